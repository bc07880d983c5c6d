"""A script's own folder (`extract/builds/_shelldirs.py`): the idioms scripts use to find it, and the
docker build arguments written under it (`-f $DIR/../Dockerfile`), read as root-relative paths."""

from __future__ import annotations

import pytest

from archmatch.extract.builds._common import LineMap, join
from archmatch.extract.builds._shellscan import ShellState, scan

SCRIPT = "apps/api/scripts/build.sh"


def dockerfile_and_context(text: str) -> tuple[str | None, str | None]:
    state = ShellState(path=SCRIPT, script_dir="apps/api/scripts")
    (found,) = scan(text, state, LineMap(text))
    context = join(found.cwd, found.cmd.context)
    if found.cmd.file is None:
        return join(context, "Dockerfile"), context
    return join(found.cwd, found.cmd.file), context


@pytest.mark.parametrize(
    "assignment",
    [
        'DIR="$(dirname "$0")"',
        "DIR=$(dirname $0)",
        'DIR=$(cd "$(dirname "$0")" && pwd)',
        'DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" >/dev/null 2>&1 && pwd -P)"',
        'DIR=$( cd -- "$( dirname -- "${BASH_SOURCE[0]}" )" &> /dev/null && pwd )',
        "DIR=$(cd $(dirname $0); pwd)",
        'DIR=$(dirname "$(readlink -f "$0")")',
        'DIR=$(dirname "$(realpath "$0")")',
        'DIR=$(realpath "$(dirname "$0")")',
        'DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"',
        'local DIR; DIR=$(dirname "$0")',
    ],
)
def test_script_folder_idioms(assignment: str) -> None:
    text = f'{assignment}\ndocker build -t api -f "$DIR/../Dockerfile" "$DIR/.."\n'
    assert dockerfile_and_context(text) == ("apps/api/Dockerfile", "apps/api")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a folder computed from another one, and `cd` before the build
        (
            'D=$(dirname "$0")\nROOT=$(cd "$D/../../.." && pwd)\ndocker build -f $ROOT/apps/api/Dockerfile $ROOT',
            ("apps/api/Dockerfile", "."),
        ),
        (
            'ROOT=$(realpath "$(dirname "$0")/..")\ncd /tmp\ndocker build -f $ROOT/Dockerfile $ROOT',
            (None, None),
        ),
        (
            'cd "$(dirname "$0")/.."\nD=$(dirname "$0")\ndocker build -f "$D/../Dockerfile" .',
            ("apps/api/Dockerfile", "apps/api"),
        ),
        ('D=$(dirname "$0")\ndocker build -t api "$(dirname "$0")/.."', ("apps/api/Dockerfile", "apps/api")),
        # the parent of a folder variable
        ('D=$(dirname "$0")\nP=$(dirname "$D")\ndocker build $P', ("apps/api/Dockerfile", "apps/api")),
        # leaving the scan root: unknown
        ('D=$(dirname "$0")\ndocker build -f $D/../../../../Dockerfile $D/../../../..', (None, None)),
        # `readlink` without -f prints the link's target, not the script's path: unknown
        ('D=$(dirname "$(readlink "$0")")\ndocker build -f $D/../Dockerfile $D/..', (None, None)),
        # not an idiom: a command the folder comes out of
        ("D=$(find . -name api)\ndocker build -f $D/Dockerfile $D", (None, None)),
    ],
)
def test_folders_from_the_script_folder(text: str, expected: tuple[str | None, str | None]) -> None:
    assert dockerfile_and_context(text) == expected
