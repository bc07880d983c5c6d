"""Every syntax tag an extractor can write (Workload.arch_syntax, ImageBuild.fix_syntax) is
declared in archmatch/model.py and has a fix renderer: a user gets the edit in their file's syntax,
never the generic sentence. Tags are collected from the extractors' source and from the facts of
every fixture and example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.fixrender import request_platform, set_architecture
from archmatch.model import ARCH_SYNTAXES, FIX_SYNTAXES, ImageBuild, Location, Workload
from archmatch.platforms import ArchFact, How

ROOT = Path(__file__).resolve().parent.parent
_ASSIGNED = re.compile(r"(?:arch_syntax|fix_syntax|self\.syntax(?:: CdkSyntax)?)\s*=\s*(?P<value>[^,\n]+)")
_TAG = re.compile(r'"([a-z0-9]+(?:-[a-z0-9]+)*)"')


def _tags_in_source() -> set[str]:
    tags: set[str] = set()
    for path in sorted((ROOT / "archmatch").rglob("*.py")):
        if "rules" in path.relative_to(ROOT / "archmatch").parts:
            continue
        text = path.read_text(encoding="utf-8")
        for m in _ASSIGNED.finditer(text):
            tags |= set(_TAG.findall(m["value"]))
        if path.name == "cdk_out.py":  # its syntax comes from a helper returning a literal
            helper = text[text.index("def _fix_syntax") :].split("\ndef ")[0]
            tags |= {
                t
                for line in re.findall(r"return (.+)", helper)
                for t in _TAG.findall(line)
                if t.startswith("cdk")
            }
    return tags


def _tags_in_facts() -> tuple[set[str], set[str]]:
    arch, fix = set(), set()
    roots = [p for p in (ROOT / "tests" / "fixtures" / "rules").glob("*/*") if p.is_dir()]
    roots += [p for p in (ROOT / "examples").iterdir() if p.is_dir()]
    for root in roots:
        facts, _ = analyze(root, Config())
        arch |= {w.arch_syntax for w in facts.workloads if w.arch_syntax}
        fix |= {b.fix_syntax for b in facts.builds if b.fix_syntax}
    return arch, fix


def test_every_tag_extractors_write_is_declared() -> None:
    written = _tags_in_source()
    assert written, "no tag found: the source scan is broken"
    assert written <= ARCH_SYNTAXES | FIX_SYNTAXES, sorted(written - ARCH_SYNTAXES - FIX_SYNTAXES)
    arch, fix = _tags_in_facts()
    assert arch <= ARCH_SYNTAXES, sorted(arch - ARCH_SYNTAXES)
    assert fix <= FIX_SYNTAXES, sorted(fix - FIX_SYNTAXES)
    assert {"cfn-batch", "tf-ecs-module"} <= written


_SERVICES = {
    "tf-ecs": "ecs",
    "tf-ecs-module": "ecs",
    "cfn-ecs": "ecs",
    "tf-batch": "batch",
    "cfn-batch": "batch",
    "k8s": "k8s",
    "tf-k8s": "k8s",
    "tf-helm": "k8s",
    "tf-manifest": "k8s",
}


@pytest.mark.parametrize("syntax", sorted(ARCH_SYNTAXES))
def test_every_arch_syntax_has_a_workload_fix(syntax: str) -> None:
    workload = Workload(
        kind="x",
        name="app",
        service=_SERVICES.get(syntax, "lambda"),
        location=Location("f", 1),
        arch=ArchFact(frozenset({"amd64"}), How.EXPLICIT, "declared"),
        arch_location=Location("f", 2),
        arch_syntax=syntax,
    )
    fix = set_architecture(workload, "arm64", current="amd64")
    assert "declare the architecture" not in fix.diff, fix
    assert "arm64" in fix.diff.lower() or "arm_64" in fix.diff.lower(), fix.diff
    assert fix.edits, f"{syntax}: the written value gets no exact edit"


@pytest.mark.parametrize("syntax", sorted(FIX_SYNTAXES - {"docker-cli"}))
def test_every_fix_syntax_has_a_build_fix(syntax: str) -> None:
    build = ImageBuild(
        source="config",
        name="b",
        location=Location("f", 1),
        dockerfile="Dockerfile",
        platforms=ArchFact(frozenset({"amd64"}), How.EXPLICIT, "declared"),
        platform_location=Location("f", 2),
        fix_syntax=syntax,
    )
    fix = request_platform(build, "arm64")
    assert fix.description.startswith("pin the build"), fix
    assert "arm64" in fix.diff.lower(), fix.diff
