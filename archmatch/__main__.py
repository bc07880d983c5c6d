import sys

# `python -m archmatch` puts the current directory first on sys.path; when that directory is the
# repository being scanned, its `yaml.py` or `json.py` would shadow the real modules and run.
# This cannot help against an `archmatch.py` or `archmatch/__main__.py` in that directory: Python
# runs those instead of this file. Hence the console script (or `python -P -m archmatch`) in CI.
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]
else:
    import os

    if sys.path and os.path.realpath(sys.path[0]) == os.path.realpath(os.getcwd()):
        del sys.path[0]

from archmatch.cli import main  # noqa: E402

raise SystemExit(main())
