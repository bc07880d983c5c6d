"""Static shell values (archmatch/extract/builds/_shellvalues.py): expansion rules and the budgets
that keep hostile scripts cheap."""

from __future__ import annotations

import time

from archmatch.extract.budget import Budget
from archmatch.extract.builds._common import LineMap
from archmatch.extract.builds._shellscan import ShellState, scan
from archmatch.extract.builds._shellvalues import MAX_VALUE_CHARS, ShellValues


def _tags(text: str) -> list[list[str]]:
    state = ShellState(path="build.sh", script_dir=".")
    return [found.cmd.tags for found in scan(text, state, LineMap(text))]


def _values() -> ShellValues:
    return ShellValues(Budget("build.sh"))


def test_defaults_positional_and_unknown_sources() -> None:
    values = _values()
    values.assign("IMAGE", "api")
    assert values.expand("${IMAGE:-x}:${TAG:-v1}")[0] == "api:v1"
    assert values.expand("${1:-latest}")[0] == "latest"  # the script's own argument defaults
    assert values.expand("$1")[0] == "$1"
    values.assign("ACCOUNT", "$(aws sts get-caller-identity)")
    assert values.expand("$ACCOUNT.dkr")[0] == "$ACCOUNT.dkr"
    values.sourced = True  # a sourced file may set TAG: its default is no longer certain
    assert values.expand("${TAG:-v1}")[0] == "${TAG:-v1}"


def test_script_builds_with_function_arguments_and_retag() -> None:
    text = (
        'NAME=api\nbuild() { docker build -t "$NAME:${2:-dev}" "$1"; }\nbuild ./svc v2\n'
        'docker tag "$NAME:v2" "123456789012.dkr.ecr.eu-west-1.amazonaws.com/$NAME:v2"\n'
    )
    assert _tags(text) == [["api:v2", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:v2"]]


def test_a_function_defined_with_a_space_before_its_parens_runs_per_call() -> None:
    """`name () {` (the `{` a command of its own): the body runs per call with that call's `$1`, and
    the definition's own head is not a call of the function (it was: recursion to the depth limit)."""
    text = 'deploy () {\n  local N="$1"\n  docker build -t "repo/$N" -f "Dockerfile.$N" .\n}\ndeploy order\ndeploy rproxy\n'
    state = ShellState(path="build.sh", script_dir=".")
    found = scan(text, state, LineMap(text))
    assert [f.cmd.tags for f in found] == [["repo/order"], ["repo/rproxy"]]
    assert state.values is not None and state.values.budget.exceeded is None


def test_uncalled_function_is_still_a_build() -> None:
    assert _tags('build() {\n  docker build -t "app:${1:-dev}" .\n}\n') == [["app:dev"]]


def test_read_and_for_make_values_unknown() -> None:
    assert _tags('TAG=v1\nread -r TAG\ndocker build -t "app:$TAG" .\n') == [["app:$TAG"]]
    assert _tags('R=x\nfor R in a b; do docker build -t "$R/app" .; done\n') == [["$R/app"]]


def test_hostile_recursive_functions_stay_bounded() -> None:
    text = "f() {\n  f\n  f\n  docker build -t app .\n}\nf\n"
    started = time.monotonic()
    state = ShellState(path="build.sh", script_dir=".")
    found = scan(text, state, LineMap(text))
    assert time.monotonic() - started < 10
    assert found and state.values is not None and state.values.budget.exceeded is not None


def test_hostile_self_referencing_variable_stays_bounded() -> None:
    text = "A=x\n" + "A=$A$A$A$A\n" * 200 + 'docker build -t "$A" .\n'
    state = ShellState(path="build.sh", script_dir=".")
    found = scan(text, state, LineMap(text))
    assert len(found) == 1 and len(found[0].cmd.tags[0]) <= MAX_VALUE_CHARS
    assert state.values is not None and state.values.budget.exceeded is not None


def test_hostile_huge_string_is_unknown() -> None:
    values = _values()
    values.assign("BIG", "y" * (MAX_VALUE_CHARS * 10))
    assert values.expand("$BIG:tag")[0] == "$BIG:tag"
    assert values.budget.exceeded is not None


def _make_builds(tmp_path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    from archmatch.extract.builds import makefile
    from archmatch.model import RepoFacts
    from archmatch.repo import RepoView, ScanOptions, discover

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    facts = RepoFacts(root=tmp_path)
    facts.files = discover(tmp_path, ScanOptions(), facts.diagnostics)
    makefile.extract(RepoView(tmp_path, facts.files, ScanOptions(), facts.diagnostics), facts)
    return facts.builds, facts


def test_make_flavours_and_target_variables(tmp_path) -> None:  # type: ignore[no-untyped-def]
    builds, _ = _make_builds(
        tmp_path,
        {
            "Makefile": "A = one\nB := $(A)\nA = two\nC ?= $(A)\nC ?= ignored\nD = x\nD += y\n"
            "t: E = e\nt:\n\tdocker build -t '$(B)/$(C)/$(D)/$(E)/$@:$(shell git rev-parse HEAD)' .\n"
        },
    )
    assert [b.tags for b in builds] == [["one/two/x y/e/t:$(shell git rev-parse HEAD)"]]


def test_hostile_make_variables_stay_bounded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    builds, facts = _make_builds(
        tmp_path,
        {
            "Makefile": "include Makefile other.mk\nA = $(A)$(A)\nB = " + "$(B)" * 50 + "\n"
            "t:\n\tdocker build -t $(A):$(B) .\n",
            "other.mk": "include Makefile\n",
        },
    )
    assert time.monotonic() - started < 10
    assert len(builds) == 1
    assert any(d.code == "limit" for d in facts.diagnostics)


def test_a_parameter_named_arch_is_not_a_host_test() -> None:
    text = (
        'arch=${1:-arm64}\nif [ "$arch" = arm64 ]; then P=linux/arm64; fi\ndocker build --platform "$P" .\n'
    )
    state = ShellState(path="build.sh", script_dir=".")
    (found,) = scan(text, state, LineMap(text))
    assert found.host_note == "" and found.cmd.platforms == ["linux/arm64"]
    text = 'if [ "$(arch)" = arm64 ]; then P=linux/amd64; fi\ndocker build --platform "$P" .\n'
    (found,) = scan(text, ShellState(path="build.sh", script_dir="."), LineMap(text))
    assert found.host_note.startswith('`[ "$(arch)"')


def test_a_function_called_twice_alike_is_one_build() -> None:
    text = 'b() { docker build -t "app:${1:-dev}" .; }\nb v1\nb v1\nb v2\n'
    assert _tags(text) == [["app:v1"], ["app:v2"]]


def _platforms(text: str) -> list[list[str]]:
    state = ShellState(path="build.sh", script_dir=".")
    return [found.cmd.platforms for found in scan(text, state, LineMap(text))]


def test_a_variable_the_branches_of_an_if_set_differently_is_unknown_after_it() -> None:
    chosen = (
        'read -r c\nif [ "$c" = 2 ]; then\n  P=linux/arm64\nelif [ "$c" = 3 ]; then\n  P=linux/386\n'
        "else\n  P=linux/amd64\nfi\ndocker build --platform $P .\n"
    )
    assert _platforms(chosen) == [["$P"]]
    alike = 'if [ "$c" = 2 ]; then\n  P=linux/arm64\nelse P=linux/arm64\nfi\ndocker build --platform $P .\n'
    assert _platforms(alike) == [["linux/arm64"]]
    nested = (
        'if [ "$a" ]; then\n  if [ "$b" ]; then P=linux/arm64; else P=linux/amd64; fi\n'
        "else\n  P=linux/amd64\nfi\ndocker build --platform $P .\n"
    )
    assert _platforms(nested) == [["$P"]]
    # one branch only: the value written last, as before; a host test keeps its note (host-dependent)
    assert _platforms(
        'P=linux/amd64\nif [ "$ARM" ]; then P=linux/arm64; fi\ndocker build --platform $P .\n'
    ) == [["linux/arm64"]]
    host = 'if [ "$(uname -m)" = arm64 ]; then P=linux/arm64; else P=linux/amd64; fi\ndocker build --platform $P .\n'
    assert _platforms(host) == [["linux/amd64"]]
