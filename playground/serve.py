#!/usr/bin/env python3
"""Serve playground/dist on 127.0.0.1 as GitHub Pages would (MIME types, `max-age=600`).

    python playground/serve.py [PORT]     # then open http://127.0.0.1:PORT/ (default 8000)

tests/test_playground_browser.py serves the page with `serve()` too.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

DIST = Path(__file__).resolve().parent / "dist"


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def server(folder: Path = DIST, port: int = 0) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(PagesHandler, directory=str(folder))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


@contextlib.contextmanager
def serve(folder: Path = DIST) -> Iterator[str]:
    """The base URL of `folder` served on a free port of 127.0.0.1 by a thread, while in the block."""
    httpd = server(folder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
    if not (DIST / "index.html").is_file():
        print("serve: no playground/dist/index.html; run python playground/build.py first", file=sys.stderr)
        return 2
    httpd = server(DIST, port)
    print(f"serving {DIST} on http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C stops)")
    with contextlib.suppress(KeyboardInterrupt):
        httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
