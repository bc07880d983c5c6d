from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The tools the suite drives (checkov, hadolint, pre-commit, archmatch) are installed next to the
# interpreter running pytest; put that folder first so `venv/bin/python -m pytest` works without
# an activated venv, and a same-named tool elsewhere on PATH is never picked by mistake.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.fixture(scope="session")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@pytest.fixture(scope="session", autouse=True)
def private_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """TMPDIR for this test process (each pytest-xdist worker has its own) and every tool it
    starts: Checkov's analysis cache and whatever else goes to the temporary folder belongs to this
    run, never to another run or worker sharing /tmp.

    The Python processes the tests start (hundreds of `python -m archmatch`, Checkov, pre-commit)
    keep their bytecode in this run's own folder too: the first compiles archmatch and the others
    load it, even where PYTHONDONTWRITEBYTECODE is set (it made each of them compile every module
    again); nothing is written into the checkout or a scanned tree."""
    folder = tmp_path_factory.mktemp("tmp", numbered=False)
    patch = pytest.MonkeyPatch()
    patch.setenv("TMPDIR", str(folder))
    patch.setattr(tempfile, "tempdir", None)  # tempfile reads TMPDIR once
    patch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path_factory.mktemp("pycache", numbered=False)))
    patch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    yield folder
    patch.undo()


def assert_valid_sarif(validator: jsonschema.protocols.Validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite tests/snapshots/ from the current findings (review the diff like code)",
    )
