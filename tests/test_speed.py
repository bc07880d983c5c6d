"""What keeps scans of real repositories fast: default-skipped folders, JSON read by a JSON parser
with the YAML loader's line numbers, cheap sniffs before parsing, and lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archmatch.config import Config, parse_config
from archmatch.engine import analyze
from archmatch.extract import jsonlines, read_by_dockerfile_extractor_alone, yamlsafe
from archmatch.model import Diagnostic, RepoFacts
from archmatch.repo import RepoView, ScanOptions, discover

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api"},
    "spec": {
        "template": {
            "spec": {
                "nodeSelector": {"kubernetes.io/arch": "arm64"},
                "containers": [{"name": "a", "image": "api:1"}],
            }
        }
    },
}


def write(root: Path, rel: str, text: str = "x\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_vendored_and_generated_folders_are_skipped_with_one_note(tmp_path: Path) -> None:
    for rel in (
        "app/node_modules/dep/Dockerfile",
        "lib/python3.12/site-packages/pkg/template.yaml",
        "env/pyvenv.cfg",
        "env/lib/Dockerfile",
        "go/go.mod",
        "go/vendor/github.com/x/Dockerfile",
        "sam/.aws-sam/build/template.yaml",
        "rust/target/CACHEDIR.TAG",
        "rust/target/debug/Dockerfile",
        "cdk/cdk.out/asset.abc/Dockerfile",
        "cdk/cdk.out/asset.abc/index.js",
        "cdk/cdk.out/App.template.json",
        "vendor/Dockerfile",  # no Go/PHP/Ruby project beside it: the user's own folder
        "target/Dockerfile",  # no CACHEDIR.TAG: not known to be build output
    ):
        write(tmp_path, rel)
    diagnostics: list[Diagnostic] = []
    files = discover(tmp_path, ScanOptions(), diagnostics)
    assert files == [
        "cdk/cdk.out/App.template.json",
        "cdk/cdk.out/asset.abc/Dockerfile",
        "go/go.mod",
        "target/Dockerfile",
        "vendor/Dockerfile",
    ]
    notes = [d for d in diagnostics if "vendored or generated" in d.message]
    assert len(notes) == 1 and notes[0].location.path == "."
    assert notes[0].message.startswith("skipped 6 vendored or generated folders (")
    assert "1 installed npm packages" in notes[0].message and "`include:`" in notes[0].message


def test_include_walks_a_skipped_folder_again(tmp_path: Path) -> None:
    write(tmp_path, "go.mod")
    write(tmp_path, "vendor/Dockerfile")
    write(tmp_path, "node_modules/Dockerfile")
    config = parse_config({"include": ["vendor"]}, ".archmatch.yaml")
    diagnostics: list[Diagnostic] = []
    files = discover(tmp_path, ScanOptions(include=config.includes), diagnostics)
    assert files == ["go.mod", "vendor/Dockerfile"]
    assert discover(tmp_path, ScanOptions(include_skipped_dirs=True), []) == [
        "go.mod",
        "node_modules/Dockerfile",
        "vendor/Dockerfile",
    ]


JSON_SAMPLES = [
    '{"a": [1, 2.5, "x", {"b": null, "c": true}],\n "d": {\n  "e": "f"\n },\n "g": []}',
    '[\n {"k": "v"},\n\n "s",\n 3\n]',
    '{"esc": "\\u00e9\\n\\"q\\"", "big": -12, "neg": -0.5e+3}',
]


@pytest.mark.parametrize("text", JSON_SAMPLES)
def test_json_loads_like_the_yaml_loader_with_the_same_lines(text: str) -> None:
    ours, theirs = jsonlines.loads(text), yamlsafe.load(text)
    assert ours == theirs == json.loads(text)

    def lines(value: object) -> object:
        if isinstance(value, dict):
            return (value.line, value.key_lines, {k: lines(v) for k, v in value.items()})  # type: ignore[attr-defined]
        if isinstance(value, list):
            return (value.line, value.item_lines, [lines(v) for v in value])  # type: ignore[attr-defined]
        return getattr(value, "line", None)

    assert lines(ours) == lines(theirs)


def test_json_errors_and_limits() -> None:
    with pytest.raises(jsonlines.JsonError) as err:
        jsonlines.loads('{\n "a": 1,\n}')
    assert err.value.line == 3 and not err.value.limit
    with pytest.raises(jsonlines.JsonError) as deep:
        jsonlines.loads("[" * 300 + "]" * 300)
    assert deep.value.limit
    assert jsonlines.loads(" \n") is None
    assert jsonlines.loads("1" * 5000) == "1" * 5000  # Python refuses the integer: its text


def test_kubernetes_never_parses_json_that_only_mentions_apiversion(tmp_path: Path) -> None:
    model = {"metadata": {"apiVersion": "2016-11-15"}, "shapes": {"S": {"type": "structure"}}}
    write(tmp_path, "botocore/data/ec2/service-2.json", json.dumps(model))
    write(tmp_path, "k8s/api.json", json.dumps(DEPLOYMENT, indent=1))
    facts, repo = analyze(tmp_path, Config())
    assert [w.name for w in facts.workloads] == ["default/api"]
    assert [w.arch_location.line for w in facts.workloads if w.arch_location] == [11]
    parsed = {rel for _, rel in repo._parsed}
    assert "k8s/api.json" in parsed and "botocore/data/ec2/service-2.json" not in parsed


def _modules_after(argv: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\nfrom archmatch.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)
    return set(done.stderr.split())


HEAVY = ("hcl2", "lark", "tree_sitter", "jsonschema", "checkov")


def test_small_scans_import_only_what_they_need() -> None:
    sam = ROOT / "examples" / "sam-lambda-arm64"
    scanned = _modules_after(["scan", "-f", "json", "."], sam)
    assert "archmatch.engine" in scanned
    assert not {m for m in scanned if m.split(".")[0] in HEAVY}
    assert "archmatch.extract.hcl_tables" not in scanned  # the extractor registry skips data modules
    # only the json renderer; PyYAML for template.yaml, but not the rules' YAML (metadata.json)
    assert "archmatch.report.jsonout" in scanned and "archmatch.report.extra_formats" not in scanned
    # one command's parser, the extractor registry listed without pkgutil: `inspect` never loaded
    assert "pkgutil" not in scanned and "dis" not in scanned
    linted = _modules_after(["dockerfile", str(sam / "fn" / "Dockerfile")], sam)
    assert "archmatch.rules.dockerfile" in linted
    assert "yaml" not in linted  # no YAML file read: no .hadolint.yaml, rule metadata from JSON
    # a lone Dockerfile has no builds or workloads: the rules load no fix writer and no linking code
    assert not {m for m in linted if m.startswith(("archmatch.fixrender", "archmatch.link.effective"))}
    assert "archmatch.link.byhand" not in linted
    assert not {
        m for m in linted if m.startswith(("archmatch.engine", "archmatch.link"))
    }  # one extractor, no linker
    assert "pkgutil" not in linted  # no registry lists modules: the commands', the extractors'
    assert "ast" not in linted and "dis" not in linted  # `inspect` deferred, never loaded (prebuilt)
    assert "dockerfile_parse" not in linted and "logging" not in linted  # the lexer's own spans
    assert not {
        m
        for m in linted
        if m.split(".")[0] in HEAVY or m.startswith(("archmatch.rules.iac", "archmatch.commands.scan"))
    }
    terraform = _modules_after(
        ["scan", "-f", "json", "."], ROOT / "examples" / "terraform-lambda-docker-build"
    )
    # the HCL parser runs on its own tables (hcl_lalr.py): Lark and its 1 MB tables never load
    assert "archmatch.extract.hcl_lalr" in terraform and "archmatch.extract.hcl_tables" not in terraform
    assert not {m for m in terraform if m.split(".")[0] in HEAVY}


def test_a_terraform_scan_never_loads_inspect(tmp_path: Path) -> None:
    """The Terraform extractor's dataclasses have docstrings: `dataclasses` builds one with
    `inspect.signature` for a class without, and `inspect` (with `dis`, `ast`) would load."""
    example = ROOT / "examples" / "terraform-lambda-docker-build"
    for path in example.rglob("*.tf"):
        target = tmp_path / path.relative_to(example)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    scanned = _modules_after(["scan", "-f", "json", "."], tmp_path)
    assert "archmatch.extract.terraform.ast" in scanned and "dis" not in scanned


def _lark_regex_state(preamble: str) -> str:
    code = (
        f"import sys\n{preamble}\nimport archmatch.extract.hcl_lark\nimport lark.utils\n"
        "print('regex' in sys.modules, lark.utils._has_regex)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_lark_is_imported_without_regex_except_inside_checkov() -> None:
    # the command line and the engine: Lark never sees the module (it only needs it for Unicode
    # categories, which the grammar has none of)
    assert _lark_regex_state("") == "False False"
    # inside Checkov (the pack) its Bicep parser needs Lark(regex=True): nothing is hidden
    assert _lark_regex_state("import checkov") == "True True"
    assert _lark_regex_state("import regex") == "True True"
    # hidden only while Lark is imported: the module stays importable afterwards
    after = "import archmatch.extract.hcl_lark, regex, sys; print('regex' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", after], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr


def test_each_command_is_found_in_its_module() -> None:
    import argparse

    from archmatch import cli

    registered: dict[str, str] = {}
    for module in set(cli.COMMAND_MODULES.values()):
        sub = argparse.ArgumentParser().add_subparsers()
        __import__(f"archmatch.commands.{module}", fromlist=["register"]).register(sub)
        registered.update({name: module for name in sub.choices})
    assert registered == cli.COMMAND_MODULES
    assert set(cli.build_parser()._subparsers._group_actions[0].choices) == set(cli.COMMAND_MODULES)  # type: ignore[union-attr]
    assert _modules_after(["--debug", "rules"], ROOT).isdisjoint(
        {"archmatch.commands.scan", "archmatch.commands.annotate"}
    )


def test_each_scan_format_is_rendered_by_the_function_its_table_names() -> None:
    from archmatch.commands import scan

    assert {name: scan.renderer(name) for name in scan.RENDERER_OF} == scan.renderers()


def test_dataclass_methods_come_compiled_with_the_package() -> None:
    """archmatch's dataclasses take their methods from archmatch/prebuilt_code.py instead of
    compiling them at start-up; the methods are the ones `dataclasses` would have compiled."""
    from archmatch import prebuilt, prebuilt_code

    code = (
        "import dataclasses, sys\nimport archmatch.model as m\nfrom archmatch import prebuilt\n"
        "init = m.Location.__init__\n"
        "print(dataclasses._create_fn is prebuilt._create_fn, len(prebuilt.missed),\n"
        "      init.__code__.co_filename.endswith('prebuilt_code.py'), init.__module__,\n"
        "      init.__globals__ is vars(m), init.__qualname__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    if sys.version_info[:2] != prebuilt_code.BUILT_FOR:
        assert done.stdout.split()[:2] == ["False", "0"]  # another Python: nothing is installed
        return
    assert done.stdout.split() == ["True", "0", "True", "archmatch.model", "True", "Location.__init__"]
    for text, compiled in prebuilt_code.CODE.items():  # each entry is the compilation of its text
        namespace: dict[str, object] = {}  # compiled as `dataclasses` does: no `__future__` flags
        exec(compile(text, "<string>", "exec", dont_inherit=True), {}, namespace)
        assert prebuilt._code_parts(namespace["__create_fn__"].__code__) == prebuilt._code_parts(compiled)  # type: ignore[attr-defined]


def test_prebuilt_methods_are_up_to_date() -> None:
    from archmatch import prebuilt_code

    if sys.version_info[:2] != prebuilt_code.BUILT_FOR:  # texts differ by version: built for one
        from archmatch import prebuilt

        assert not prebuilt.install()
        return
    check = [sys.executable, str(ROOT / "scripts" / "prebuilt_methods.py"), "--check"]
    done = subprocess.run(check, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_other_dataclasses_and_other_create_fns_are_left_alone() -> None:
    import dataclasses

    from archmatch import prebuilt

    @dataclasses.dataclass(frozen=True)
    class Elsewhere:  # a class of the tests, not of the package: compiled by `dataclasses`
        name: str

    assert Elsewhere.__init__.__code__.co_filename == "<string>"
    assert Elsewhere("a") == Elsewhere("a") and hash(Elsewhere("a")) == hash(Elsewhere("a"))

    # a `dataclasses` whose `_create_fn` is not the one the table was built from: left as it is
    code = (
        "import dataclasses\ndef other(*args, **kwargs): pass\ndataclasses._create_fn = other\n"
        "from archmatch import prebuilt\nprint(dataclasses._create_fn is other, prebuilt.install())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["True", "False"]
    assert prebuilt.fingerprint(Elsewhere.__init__) != prebuilt.original_fingerprint()


def test_patterns_come_compiled_with_the_package() -> None:
    """`lazyre` patterns are built from archmatch/prebuilt_code.py, equal to what `re.compile` makes."""
    import marshal
    import re

    from archmatch import prebuilt, prebuilt_code, safetext

    if prebuilt.regex_form() != prebuilt_code.PATTERNS_FOR:  # another Python: compiled as usual
        assert prebuilt.regex("a+b", re.I) == re.compile("a+b", re.I)
        return
    assert len(prebuilt_code.PATTERNS) > 100
    for (pattern, flags), form in prebuilt_code.PATTERNS.items():  # kept marshalled, read on first use
        assert marshal.loads(form) == prebuilt.compiled_form(pattern, flags)
        built = prebuilt.regex(pattern, flags)
        assert (
            built == re.compile(pattern, flags) and built.groupindex == re.compile(pattern, flags).groupindex
        )
    surrogate = safetext._SURROGATE  # a pattern made at import: taken from the table
    assert (surrogate.pattern, surrogate.flags) in prebuilt_code.PATTERNS
    assert surrogate.compiled == re.compile(surrogate.pattern) and surrogate.search("a\ud800") is not None
    assert prebuilt.regex("not (in) the table") == re.compile("not (in) the table")


def test_a_table_built_for_another_python_installs_nothing_and_classes_still_work() -> None:
    """A prebuilt table from another Python version (or another `_create_fn`): nothing is wrapped,
    and archmatch's dataclasses are compiled by `dataclasses` itself and behave the same."""
    code = (
        "import dataclasses, sys, types\n"
        "original = dataclasses._create_fn\n"
        "fake = types.ModuleType('archmatch.prebuilt_code')\n"
        "fake.BUILT_FOR = (3, 99) if sys.argv[1] == 'version' else sys.version_info[:2]\n"
        "fake.FINGERPRINT = 'stale' if sys.argv[1] == 'fingerprint' else sys.argv[2]\n"
        "fake.CODE = {}\n"
        "sys.modules['archmatch.prebuilt_code'] = fake\n"
        "import archmatch.model as m\n"
        "from archmatch import prebuilt\n"
        "loc = m.Location('a', 1)\n"
        "print(dataclasses._create_fn is original, prebuilt.install(), len(prebuilt.missed),\n"
        "      m.Location.__init__.__code__.co_filename, loc == m.Location('a', 1), repr(loc))\n"
    )
    from archmatch import prebuilt

    for mismatch in ("version", "fingerprint"):
        argv = [sys.executable, "-c", code, mismatch, prebuilt.original_fingerprint()]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
        assert done.stdout.strip().split(maxsplit=5) == [
            "True",
            "False",
            "0",
            "<string>",
            "True",
            "Location(path='a', line=1, column=0, end_line=0, end_column=0)",
        ], (mismatch, done.stdout, done.stderr)


def _dockerfile_view(facts: RepoFacts, repo: RepoView, name: str) -> tuple[object, ...]:
    """What the Dockerfile rules and `archmatch dockerfile` take from the facts of one file."""
    from archmatch.rules import family_rules

    findings = sorted(
        (f for rule in family_rules("dockerfile") for f in rule.check(facts)), key=lambda f: f.sort_key()
    )
    return (
        [(f.rule_id, f.location, f.message, f.fixes, f.related) for f in findings],
        [d for d in facts.diagnostics if d.location.path == name],
        dict(repo.templated),
        sorted(facts.dockerfiles),
    )


DOCKERFILES = sorted(
    p
    for base in (ROOT / "tests" / "fixtures", ROOT / "examples")
    for p in base.rglob("*")
    if p.is_file() and "dockerfile" in p.name.lower()
)


def test_dockerfile_command_reads_a_lone_dockerfile_as_the_engine_does() -> None:
    """`archmatch dockerfile` runs the Dockerfile extractor alone, without the engine and the
    linker: on every Dockerfile of the fixtures and examples (parse errors and templated ones
    included), the rules find what they find on the engine's facts of that file."""
    from archmatch.commands.dockerfile import facts_of

    assert len(DOCKERFILES) > 200
    alone = 0
    for path in DOCKERFILES:
        engine = _dockerfile_view(*analyze(path.parent, Config(), [path.name]), path.name)
        assert _dockerfile_view(*facts_of(path.parent, path.name), path.name) == engine, path
        alone += read_by_dockerfile_extractor_alone(path.name)
    assert alone > 200


def test_the_extractor_modules_are_listed_as_pkgutil_lists_them() -> None:
    import pkgutil

    from archmatch import extract

    listed = sorted(info.name for info in pkgutil.iter_modules(extract.__path__))
    assert extract.module_names() == listed and "builds" in listed and "dockerfile" in listed


def test_only_the_dockerfile_extractor_always_runs() -> None:
    """Every other extractor is gated by file names (`read_by_dockerfile_extractor_alone` relies on
    it), and which names only the Dockerfile extractor reads."""
    from archmatch.extract import _Lazy, extractors

    assert [name for name, fn in extractors() if not isinstance(fn, _Lazy)] == [
        "dockerfile",
        "dockerfile.finalize",
    ]
    alone = ["Dockerfile", "svc/Containerfile", "Dockerfile.prod", "api.dockerfile", "x/App.Dockerfile"]
    others = [
        "Dockerfile.template",
        "Dockerfile.json",
        "Dockerfile.yaml",
        "a.dockerignore",
        "Makefile",
        "x.sh",
    ]
    assert [read_by_dockerfile_extractor_alone(n) for n in alone + others] == [True] * 5 + [False] * 6


INSPECT_ON_FIRST_USE = '''\
import sys
import archmatch
from dataclasses import dataclass
standin = sys.modules["inspect"]
print(type(standin).__name__, "ast" in sys.modules)
@dataclass
class WithDoc:
    """Documented."""
    x: int
print(type(sys.modules["inspect"]).__name__, WithDoc.__doc__)
@dataclass
class Plain:
    x: int
    y: str = "a"
import inspect
print(Plain.__doc__, type(sys.modules["inspect"]).__name__, inspect is sys.modules["inspect"])
print(standin.getmodulename("a/b.py"), standin.__file__ == inspect.__file__, "signature" in dir(standin))
from inspect import *
print(signature is inspect.signature)
'''


def test_inspect_is_imported_for_real_on_first_use() -> None:
    """`dataclasses` gets a stand-in for `inspect` (see `prebuilt.defer_inspect`): the real module is
    loaded on the first read of any attribute, by `dataclasses` (a class without a docstring) or by
    anyone who imports `inspect`, and from then on `sys.modules` holds the real module."""
    argv = [sys.executable, "-c", INSPECT_ON_FIRST_USE]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == [
        "_ImportedOnFirstUse False",
        "_ImportedOnFirstUse Documented.",
        "Plain(x: int, y: str = 'a') module True",
        "b True True",
        "True",
    ], done.stderr


def test_the_patterns_re_compiles_on_the_common_paths_come_from_the_table() -> None:
    """json, logging, textwrap, argparse, dockerfile-parse... compile their patterns through `re`;
    those the table holds are built from it (equal to `re.compile`'s, checked above), so linting a
    Dockerfile compiles none of them; other patterns (and bytes ones) compile as usual."""
    from archmatch import prebuilt, prebuilt_code

    if prebuilt.regex_form() != prebuilt_code.PATTERNS_FOR:
        return  # another Python: nothing is installed (see the test above)
    code = (
        "import re, sys\nfrom re import _compiler\nfrom archmatch import prebuilt\nfrom archmatch.cli import main\n"
        "compiled = []\noriginal = prebuilt._original_compiler_compile\n"
        "def counting(p, flags=0):\n    compiled.append(p)\n    return original(p, flags)\n"
        "prebuilt._original_compiler_compile = counting\n"
        "main(['dockerfile', '--no-fail', 'examples/sam-lambda-arm64/fn/Dockerfile'])\n"
        "known = [p for p in compiled if isinstance(p, str) and (p, 0) in prebuilt_code.PATTERNS]\n"
        "print(_compiler.compile is prebuilt._compile_known, len(known),\n"
        "      re.compile('not (in) the table+') == re.compile('not (in) the table+', 0),\n"
        "      re.compile(b'x+').pattern, 'not (in) the table+' in compiled, file=sys.stderr)\n"
    )
    code = code.replace(
        "prebuilt_code.PATTERNS", "__import__('archmatch.prebuilt_code').prebuilt_code.PATTERNS"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stderr.split() == ["True", "0", "True", "b'x+'", "True"], done.stderr


def test_a_terraform_scan_compiles_no_pattern_of_its_own() -> None:
    """The table also holds the patterns of the scans of the synthetic benchmark's formats
    (Terraform, GitHub workflows, compose): the HCL parser's lexer (one alternation of terminals
    per parser state, ~8 M instructions each) and the extractors' are built from it."""
    from archmatch import prebuilt, prebuilt_code

    if prebuilt.regex_form() != prebuilt_code.PATTERNS_FOR:
        return
    code = (
        "import sys\nfrom archmatch import prebuilt\nfrom archmatch.cli import main\n"
        "compiled = []\noriginal = prebuilt._original_compiler_compile\n"
        "def counting(p, flags=0):\n    compiled.append(p)\n    return original(p, flags)\n"
        "prebuilt._original_compiler_compile = counting\n"
        "main(['scan', '-f', 'json', 'examples/terraform-lambda-docker-build'])\n"
        "print(sorted(p for p in compiled if isinstance(p, str)), 'lark' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stderr.split() == ["[]", "False"], done.stderr  # and the HCL parser runs without Lark


def test_the_table_serves_patterns_compiled_while_dataclasses_is_imported() -> None:
    """The package installs the pattern table before it imports `dataclasses` (which imports
    `inspect` and `tokenize`): their module-level patterns are built from the table too."""
    from archmatch import prebuilt, prebuilt_code

    if prebuilt.regex_form() != prebuilt_code.PATTERNS_FOR:
        return
    code = (
        "import sys\nfrom re import _compiler\ncompiled = []\noriginal = _compiler.compile\n"
        "def counting(p, flags=0):\n    compiled.append(p)\n    return original(p, flags)\n"
        "_compiler.compile = counting\nassert 'dataclasses' not in sys.modules\nimport archmatch, dataclasses\n"
        "print(dataclasses._MODULE_IDENTIFIER_RE.pattern in compiled, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stderr.split() == ["False"], done.stderr


HCL_SAMPLE = """\
locals {
  enabled = !contains(var.skip, "x")
    && length(var.names) > 0
}
resource "aws_lambda_function" "f" {
  architectures = ["arm64"]
  image_uri     = "${var.repo}:latest"
  policy        = <<-EOT
    {"a": 1}
  EOT
  dynamic "x" {
    for_each = { for k, v in var.m : k => v if v != null }
    content { name = x.key }
  }
}
"""


def test_hcl_parser_tables_come_with_the_package_and_parse_as_a_built_parser(tmp_path: Path) -> None:
    """The HCL parser is loaded from archmatch/extract/hcl_tables.py (no ~1 s table computation on
    a machine without Lark's cache), and gives the same trees, positions included, as the parser
    Lark computes from the grammar."""
    from lark import Lark

    from archmatch.extract import hcl_grammar, hcl_lark

    prebuilt = hcl_lark.hcl_parser()
    assert prebuilt.source_path == "<deserialized>"  # loaded, not computed
    built = Lark(grammar=hcl_grammar.hcl_grammar(), cache=str(tmp_path / "lark.cache"), **hcl_grammar.OPTIONS)
    ours, theirs = prebuilt.parse(HCL_SAMPLE), built.parse(HCL_SAMPLE)
    assert ours == theirs
    positions = [(t.data, t.meta.line, t.meta.column, t.meta.end_line) for t in ours.iter_subtrees()]
    assert positions == [
        (t.data, t.meta.line, t.meta.column, t.meta.end_line) for t in theirs.iter_subtrees()
    ]
    assert {line for _, line, _, _ in positions} >= {1, 2, 3, 5, 8, 12}
    files = sorted(p for folder in ("tests/fixtures", "examples") for p in (ROOT / folder).rglob("*.tf"))
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace") + "\n"
        try:
            expected = built.parse(text)
        except Exception as exc:  # a fixture that does not parse must fail alike
            with pytest.raises(type(exc)):
                prebuilt.parse(text)
            continue
        got = prebuilt.parse(text)
        assert got == expected, path
        lines = [getattr(t.meta, "line", 0) for t in got.iter_subtrees()]
        assert lines == [getattr(t.meta, "line", 0) for t in expected.iter_subtrees()], path


def test_hcl_parser_tables_are_used_only_for_their_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    from archmatch.extract import hcl_grammar, hcl_lark, hcl_tables

    assert hcl_lark._prebuilt_parser(hcl_grammar.hcl_grammar()) is not None
    assert hcl_lark._prebuilt_parser(hcl_grammar.hcl_grammar() + "\n") is None
    monkeypatch.setattr(hcl_tables, "LARK_VERSION", "0.0.1")
    assert hcl_lark._prebuilt_parser(hcl_grammar.hcl_grammar()) is None


def test_hcl_parse_table_is_read_into_the_objects_lark_reads_it_into() -> None:
    """`_table_loader` reads the LALR table faster than Lark (see its docstring): the same states,
    with the same actions and the very rule objects of the memo, as `Lark._load_from_dict` gives."""
    from lark import Lark

    from archmatch.extract import hcl_lark, hcl_tables

    ours = hcl_lark.hcl_parser().parser.parser
    theirs = Lark._load_from_dict(hcl_tables.DATA, hcl_tables.MEMO).parser.parser  # type: ignore[no-untyped-call]
    assert type(ours).__name__ == "_TableLoader" and type(theirs).__name__ == "LALR_Parser"
    mine, lark_s = ours._parse_table, theirs._parse_table
    assert len(mine.states) == len(lark_s.states) > 500
    assert mine.states == lark_s.states
    assert (mine.start_states, mine.end_states) == (lark_s.start_states, lark_s.end_states)
    for state, actions in mine.states.items():
        for token, (action, arg) in actions.items():
            their_action, their_arg = lark_s.states[state][token]
            assert action is their_action and type(arg) is type(their_arg) and arg == their_arg


def test_hcl_parser_tables_are_up_to_date() -> None:
    check = [sys.executable, str(ROOT / "scripts" / "hcl_tables.py"), "--check"]
    done = subprocess.run(check, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


GC_AT_STARTUP = """\
import gc, sys
from archmatch.cli import main
before_freeze = []
gc.callbacks.append(lambda phase, info: phase == "start" and before_freeze.append(gc.get_freeze_count() == 0))
how, args = sys.argv[1], sys.argv[2:]
sys.argv = ["archmatch", *args]
code = main() if how == "command-line" else main(args)
print(code, gc.isenabled(), gc.get_freeze_count() > 5000, any(before_freeze), len(before_freeze) > 0, file=sys.stderr)
"""


def test_the_command_line_starts_up_without_the_garbage_collector() -> None:
    """Run as the command line (`main()` without arguments), archmatch makes its start-up objects
    with automatic collection off, freezes them, then collects as usual (see `cli._end_of_startup`);
    called with arguments (a program, a test) it leaves the collector alone."""
    dockerfile = str(ROOT / "examples" / "sam-lambda-arm64" / "fn" / "Dockerfile")
    for how, expected in (
        ("command-line", ["0", "True", "True", "False", "True"]),  # collections only after the freeze
        ("in-process", ["0", "True", "False", "True", "True"]),
    ):
        argv = [sys.executable, "-c", GC_AT_STARTUP, how, "dockerfile", "--no-fail", dockerfile]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert done.stderr.split()[-5:] == expected, (how, done.stderr)
