"""The playground in a real browser: build it, serve it on 127.0.0.1, drive the system Chromium.

`playground/build.py` builds the page from this checkout; a local `http.server` serves
playground/dist; `playground/tests/browser.mjs` (playwright-core with Debian's chromium) loads the
flagship example, downloads the SARIF, applies the fix, types a build command, opens the shareable
link and reloads with a warm cache, and reports what it saw. The assertions are here: the page
shows what the CLI shows, the fix leaves a clean scan, and no request left 127.0.0.1.

In CI (CI or ARCHMATCH_CI set; .ci/run installs chromium) a missing browser, node or npm fails
the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from filelock import FileLock

from archmatch.cli import main as cli_main

# one pytest-xdist worker runs the whole module: one build, one browser
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("playground-browser")]

REPO = Path(__file__).resolve().parent.parent
PLAYGROUND = REPO / "playground"
FLAGSHIP = REPO / "examples" / "sam-lambda-arm64"
TERRAFORM = REPO / "examples" / "terraform-lambda-docker-build"
COMMAND = (
    "docker buildx build --platform linux/amd64,linux/arm64 --build-arg NPM_TOKEN=s3cr3t-value -t fn ./fn"
)


def _missing(reason: str) -> None:
    if os.environ.get("CI") or os.environ.get("ARCHMATCH_CI"):
        pytest.fail(f"{reason} (CI must run the browser test: .ci/run installs it)")
    pytest.skip(reason)


def _chromium() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        _missing("no chromium on PATH (apt-get install chromium)")
    return str(found)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"playground_{name}", PLAYGROUND / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# served as GitHub Pages serves it (max-age=600), so that a reload measures a warm cache
serve = _load("serve").serve


@pytest.fixture(scope="module")
def observations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    chromium = _chromium()
    if not shutil.which("node") or not shutil.which("npm"):
        _missing("node and npm are needed to build and drive the playground")
    out = tmp_path_factory.mktemp("playground")
    # playground/dist is one folder per checkout: another test run building it meanwhile would
    # replace the page under the browser, so the build and the browser run hold a lock
    (PLAYGROUND / "build").mkdir(exist_ok=True)
    with FileLock(PLAYGROUND / "build" / "dist.lock"):
        subprocess.run([sys.executable, str(PLAYGROUND / "build.py")], check=True, cwd=REPO)
        with serve(PLAYGROUND / "dist") as base:
            run = subprocess.run(
                ["node", str(PLAYGROUND / "tests" / "browser.mjs"), base, str(out), str(TERRAFORM)],
                cwd=PLAYGROUND,
                env={**os.environ, "CHROMIUM": chromium},
                capture_output=True,
                text=True,
                timeout=900,
            )
    print(run.stdout, run.stderr, f"screenshot: {out / 'playground.png'}", sep="\n")
    assert run.returncode == 0, run.stderr
    seen: dict[str, Any] = json.loads((out / "observations.json").read_text())
    seen["base"], seen["out"] = base, str(out)
    assert "failure" not in seen, seen.get("failure")
    return seen


def _cli(argv: list[str], cwd: Path, stdin: str = "") -> str:
    out = io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), _stdin(stdin):
            cli_main(argv)
    finally:
        os.chdir(previous)
    return out.getvalue()


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


def test_page_starts_without_errors(observations: dict[str, Any]) -> None:
    assert observations["loaded"]["state"] == "ready", observations["loaded"]["status"]
    assert observations["errors"] == []
    assert observations["failedRequests"] == []


def test_flagship_shows_the_cli_finding_with_both_ends_highlighted(observations: dict[str, Any]) -> None:
    cli = json.loads(_cli(["scan", ".", "-f", "json"], FLAGSHIP))["findings"]
    page = observations["flagship"]
    assert [f["rule"] for f in page["findings"]] == [f["rule"] for f in cli] == ["ARCH301"]
    assert page["findings"][0]["message"] == cli[0]["message"]
    assert page["findings"][0]["message"].startswith(
        "ThumbnailFunction runs arm64 (declared) but its image from sam build ThumbnailFunction"
    )
    assert page["summary"].startswith("1 finding; exit code 1")
    # the workload end on the left, the Dockerfile (root cause) on the right
    assert (page["paneA"]["path"], page["paneA"]["primary"], page["paneA"]["related"]) == (
        "template.yaml",
        [16],
        [24],
    )
    assert (page["paneB"]["path"], page["paneB"]["related"]) == ("fn/Dockerfile", [2])
    first_fix = page["findings"][0]["fixes"][0]
    assert first_fix["apply"] and "+ FROM public.ecr.aws/lambda/python:3.12" in first_fix["text"]
    assert "graph LR" in page["graph"] and "ThumbnailFunction" in page["graph"]
    # the text report as the CLI prints it, but for its last line (time taken; the page has no README)
    cli_text = _cli(["scan", ".", "-f", "text", "--no-color"], FLAGSHIP)
    assert page["report"].rsplit("\narchmatch:", 1)[0] == cli_text.rsplit("\narchmatch:", 1)[0]


def test_sarif_download_is_the_scan(observations: dict[str, Any]) -> None:
    results = observations["sarif"]["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["ARCH301"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "template.yaml"


def test_apply_edits_the_dockerfile_and_the_rescan_is_clean(observations: dict[str, Any]) -> None:
    after = observations["afterApply"]
    assert after["findings"] == []
    assert after["summary"].startswith("No findings; exit code 0")
    assert after["paneB"]["path"] == "fn/Dockerfile"
    assert after["paneB"]["text"].splitlines()[1] == "FROM public.ecr.aws/lambda/python:3.12"
    assert after["paneB"]["related"] == [] and after["paneA"]["primary"] == []


def test_build_command_is_rewritten_as_fix_command_does(observations: dict[str, Any]) -> None:
    expected = _cli(["fix-command", "--for", "lambda:arm64", "-"], REPO, stdin=COMMAND).strip()
    page = observations["withCommand"]
    assert page["fixedCommand"] == expected
    assert "s3cr3t" not in json.dumps(page["fixedCommand"]) and "NPM_TOKEN=***" in page["fixedCommand"]
    assert "command.sh" in page["tree"]


def test_shared_link_restores_the_inputs(observations: dict[str, Any]) -> None:
    assert observations["shareUrl"].startswith(observations["base"] + "#s=")
    assert observations["shared"]["tree"] == observations["withCommand"]["tree"]
    assert observations["sharedCommand"] == COMMAND
    assert observations["shared"]["fixedCommand"] == observations["withCommand"]["fixedCommand"]


def test_an_opened_folder_replaces_the_tree_and_terraform_is_read(observations: dict[str, Any]) -> None:
    cli = json.loads(_cli(["scan", ".", "-f", "json"], TERRAFORM))["findings"]
    page = observations["folder"]
    expected = sorted(p.relative_to(TERRAFORM).as_posix() for p in TERRAFORM.rglob("*") if p.is_file())
    assert page["tree"] == expected
    assert [(f["rule"], f["message"]) for f in page["findings"]] == [(f["rule"], f["message"]) for f in cli]
    assert [f["rule"] for f in cli] == ["ARCH301"]


def test_no_request_leaves_the_local_server(observations: dict[str, Any]) -> None:
    requests = observations["requests"]
    assert any(url.endswith("pyodide.asm.wasm") for url in requests)
    assert any(url.endswith("/site-packages.zip") for url in requests)
    outside = [
        u for u in requests if not u.startswith(observations["base"]) and not u.startswith(("blob:", "data:"))
    ]
    assert outside == []
    assert observations["websockets"] == []


def test_screenshot_and_timings_are_kept(observations: dict[str, Any]) -> None:
    shot = Path(observations["out"]) / "playground.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(
        f"cold load + flagship scan {observations['coldMs']} ms; warm {observations['warmMs']} ms; "
        f"warm page timings {observations['warmTimings']}"
    )
