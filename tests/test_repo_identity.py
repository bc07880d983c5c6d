"""Which URLs name the scanned repository (archmatch/extract/repo_identity.py), and builds that read
a clone of it (archmatch/extract/builds/_clones.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from archmatch.engine import analyze
from archmatch.extract.repo_identity import (
    MAX_BYTES,
    MAX_FILES,
    RepoUrl,
    clone_operands,
    default_folder,
    identity_of,
    normalise_url,
)
from archmatch.repo import RepoView, ScanOptions, discover
from archmatch.settings import Config

FIXTURES = Path(__file__).parent / "fixtures" / "rules"


@pytest.mark.parametrize(
    ("text", "slug", "subfolder"),
    [
        (
            "https://github.com/aws-samples/spark-on-aws-lambda",
            "github.com/aws-samples/spark-on-aws-lambda",
            "",
        ),
        ("https://github.com/Example/App.git", "github.com/example/app", ""),
        ("http://github.com/example/app/", "github.com/example/app", ""),
        ("git@github.com:Example/App.git", "github.com/example/app", ""),
        ("ssh://git@github.com:22/example/app.git", "github.com/example/app", ""),
        ("git+https://github.com/example/app.git", "github.com/example/app", ""),
        ("git://github.com/example/app", "github.com/example/app", ""),
        ("https://token@github.com/example/app.git", "github.com/example/app", ""),
        ("https://github.com/example/app#readme", "github.com/example/app", ""),
        ("https://github.com/example/app/tree/main/services/api", "github.com/example/app", "services/api"),
        ("https://github.com/example/app/blob/main/docker/Dockerfile", "github.com/example/app", "docker"),
        ("https://gitlab.com/group/sub/app.git", "gitlab.com/group/sub/app", ""),
        ("https://gitlab.com/group/app/-/tree/main/svc", "gitlab.com/group/app", "svc"),
        ("'https://github.com/example/app'", "github.com/example/app", ""),
    ],
)
def test_urls_are_normalised(text: str, slug: str, subfolder: str) -> None:
    assert normalise_url(text) == RepoUrl(slug, subfolder)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "example/app",  # npm's shorthand only where npm reads it
        "https://github.com/example",  # an owner, no repository
        "https://github.com/example/../app",
        "https://localhost/app",  # not a host name with a domain
        "file:///srv/git/app.git",
        "https://github.com/" + "a" * 5000 + "/b",
        "x" * 100_000,
    ],
)
def test_what_is_not_a_repository_url(text: str) -> None:
    assert normalise_url(text) is None


def test_npm_shorthand() -> None:
    assert normalise_url("example/app", shorthand=True) == RepoUrl("github.com/example/app")
    assert normalise_url("gitlab:group/app", shorthand=True) == RepoUrl("gitlab.com/group/app")


@pytest.mark.parametrize(
    ("words", "url", "folder", "branch"),
    [
        (["https://github.com/o/r.git"], "https://github.com/o/r.git", None, ""),
        (["https://github.com/o/r.git", "src"], "https://github.com/o/r.git", "src", ""),
        (
            ["--depth", "1", "-b", "release", "https://github.com/o/r", "src"],
            "https://github.com/o/r",
            "src",
            "release",
        ),
        (["--branch=v2", "--single-branch", "git@github.com:o/r.git"], "git@github.com:o/r.git", None, "v2"),
        (["https://github.com/o/r", "&&", "cd", "r"], "https://github.com/o/r", None, ""),
    ],
)
def test_clone_operands(words: list[str], url: str, folder: str | None, branch: str) -> None:
    found = clone_operands(words)
    assert found is not None
    assert (found.url, found.folder, found.branch) == (url, folder, branch)


def test_clone_operands_without_a_url_or_bare() -> None:
    assert clone_operands(["--depth", "1"]) is None
    bare = clone_operands(["--mirror", "https://github.com/o/r"])
    assert bare is not None and bare.bare
    assert default_folder("https://github.com/o/spark-on-aws-lambda.git") == "spark-on-aws-lambda"
    assert default_folder("git@github.com:o/r.git") == "r"
    assert default_folder("https://github.com/o/..") is None


def _repo(root: Path, files: dict[str, str]) -> RepoView:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    diagnostics: list = []
    options = ScanOptions()
    return RepoView(root, discover(root, options, diagnostics), options, diagnostics)


def _claims(repo: RepoView) -> set[tuple[str, str, str | None, str]]:
    return {(c.slug, c.folder, c.subfolder, c.strength) for c in identity_of(repo).claims}


def test_each_kind_of_evidence(tmp_path: Path) -> None:
    files = {
        "py/pyproject.toml": '[project]\nname = "x"\n[project.urls]\nSource = "https://github.com/o/py"\n'
        'Documentation = "https://docs.example.com"\n',
        "cfg/setup.cfg": "[metadata]\nname = x\nproject_urls =\n    Repository = https://gitlab.com/o/cfg\n",
        "sp/setup.py": 'from setuptools import setup\nsetup(name="x", url="https://github.com/o/sp")\n',
        "go/go.mod": "module github.com/o/gomod/go/v2\n\ngo 1.22\n",
        "rs/Cargo.toml": '[package]\nname = "x"\nrepository = "https://github.com/o/rs"\n',
        "cf/template.yaml": "Metadata:\n  AWS::ServerlessRepo::Application:\n"
        "    SourceCodeUrl: 'https://github.com/o/sam/tree/main/app'\n",
        "tools/package.json": json.dumps({"repository": "o/tools"}),
    }
    alone = _repo(tmp_path / "alone", files)
    assert _claims(alone) == {
        ("github.com/o/py", "py", None, "declared"),
        ("gitlab.com/o/cfg", "cfg", None, "declared"),
        ("github.com/o/sp", "sp", None, "declared"),
        ("github.com/o/gomod", "go", "go", "declared"),
        ("github.com/o/rs", "rs", None, "declared"),
        ("github.com/o/sam", "cf", "app", "declared"),
        ("github.com/o/tools", "tools", None, "declared"),
    }
    files["package.json"] = json.dumps(
        {"repository": {"url": "git+https://github.com/o/web.git", "directory": "ui"}}
    )
    files["README.md"] = "Run:\n\n```\n$ git clone --depth 1 https://github.com/o/readme.git\n```\n"
    repo = _repo(tmp_path / "rooted", files)
    # the root's package.json declares github.com/o/web: the subfolders' manifests naming other
    # repositories are vendored copies, left out; the README's clone instructions are kept (weak)
    assert _claims(repo) == {
        ("github.com/o/web", ".", "ui", "declared"),
        ("github.com/o/readme", ".", None, "readme"),
    }
    assert {c.basis for c in identity_of(repo).claims} == {
        "package.json `repository`",
        "`git clone` instructions",
    }


def test_subfolder_claims_count_without_a_root_claim(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "go/go.mod": "module github.com/o/gomod/go/v2\n",
            "cf/template.yaml": "AWS::ServerlessRepo::Application:\n  HomePageUrl: https://github.com/o/gomod\n",
            "web/pyproject.toml": '[project.urls]\nHomepage = "https://example.com"\n',  # a web site: no claim
        },
    )
    assert _claims(repo) == {
        ("github.com/o/gomod", "go", "go", "declared"),
        ("github.com/o/gomod", "cf", None, "declared"),
    }


def test_readme_cloning_several_repositories_names_none(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {"README.md": "git clone https://github.com/o/app\ngit clone https://github.com/o/dependency\n"},
    )
    assert _claims(repo) == set()


def test_git_config_remote(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"Dockerfile": "FROM scratch\n"})
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text(
        '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:O/App.git\n'
    )
    assert _claims(repo) == {("github.com/o/app", ".", None, "checkout")}
    placement = identity_of(repo).placement("https://github.com/o/app", "Dockerfile", repo.exists)
    assert placement is not None and placement.scan_path("Dockerfile") == "Dockerfile"


def test_placement_follows_the_claimed_folder(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "services/api/go.mod": "module github.com/o/mono/services/api\n",
            "services/api/Dockerfile": "FROM scratch\n",
            "Dockerfile": "FROM scratch\n",
        },
    )
    identity = identity_of(repo)
    placed = identity.placement("https://github.com/o/mono.git", "services/api/Dockerfile", repo.exists)
    assert placed is not None and placed.scan_path("services/api/Dockerfile") == "services/api/Dockerfile"
    assert identity.placement("https://github.com/o/mono.git", "Dockerfile", repo.exists) is not None
    assert identity.placement("https://github.com/o/other.git", "Dockerfile", repo.exists) is None


def test_a_file_found_at_two_candidate_roots_is_not_placed(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "deploy/template.yaml": "AWS::ServerlessRepo::Application:\n  SourceCodeUrl: https://github.com/o/app\n",
            "deploy/Dockerfile": "FROM scratch\n",
            "Dockerfile": "FROM scratch\n",
        },
    )
    assert identity_of(repo).placement("https://github.com/o/app", "Dockerfile", repo.exists) is None


def test_hostile_evidence_is_bounded(tmp_path: Path) -> None:
    files = {
        "package.json": "[" * 100_000,  # nesting no parser follows
        "setup.py": "x = " + "(" * 10_000 + ")" * 10_000,
        "pyproject.toml": "a = [" * 5_000,
        "README.md": "git clone https://github.com/o/app\n" * 200_000,  # read only up to MAX_BYTES
        "big/Cargo.toml": '[package]\nrepository = "https://github.com/o/big"\n' + "#" * (MAX_BYTES + 10),
    }
    files.update({f"p{i:04d}/package.json": '{"repository": "o/app"}' for i in range(MAX_FILES + 50)})
    repo = _repo(tmp_path, files)
    os.mkfifo(tmp_path / "go.mod")  # a FIFO would block a plain read
    repo = RepoView(tmp_path, repo.files + ["go.mod"], repo.options, repo.diagnostics)
    started = time.process_time()
    claims = identity_of(repo).claims
    assert time.process_time() - started < 5
    assert not any(c.slug == "github.com/o/big" for c in claims)  # over the byte limit: not read
    assert sum(1 for c in claims if c.location.path.endswith("package.json")) <= MAX_FILES


@pytest.mark.parametrize(
    ("case", "basis"),
    [
        ("fail_proximity_codebuild_clone_of_this_repository", "cloudformation/sam-template.yaml:13 (SAM"),
        ("fail_proximity_codebuild_clone_named_by_package_json", "package.json:4 (package.json `repository`"),
        ("fail_proximity_ci_clone_named_by_readme", "README.md:4 (`git clone` instructions, weak evidence"),
    ],
)
def test_a_clone_of_this_repository_reads_its_dockerfile_and_says_why(case: str, basis: str) -> None:
    facts, _ = analyze(FIXTURES / "ARCH302" / case, Config())
    cloned = [b for b in facts.builds if b.clone_of]
    assert [b.dockerfile for b in cloned] == ["Dockerfile"]
    assert basis in cloned[0].clone_of
    assert "another branch or commit" in cloned[0].clone_of
    assert all(lk.confidence == "low" and basis in lk.evidence for lk in facts.links if lk.build is cloned[0])


def test_a_clone_of_another_repository_is_left_alone() -> None:
    facts, _ = analyze(
        FIXTURES / "ARCH302" / "pass_proximity_codebuild_clone_of_another_repository", Config()
    )
    assert not any(b.clone_of for b in facts.builds)
    assert {b.dockerfile for b in facts.builds} == {"Dockerfile", "app-builder/Dockerfile"}
    assert facts.links == []


def test_a_repository_link_to_a_clone_is_low_confidence() -> None:
    case = FIXTURES / "ARCH301" / "fail_cfn_codebuild_clone_of_this_repository_low_confidence"
    facts, _ = analyze(case, Config())
    [link] = facts.links
    assert (link.kind, link.confidence) == ("repository", "low")
    assert link.build.dockerfile == "docker/app/Dockerfile" and link.build.context == "docker/app"
    assert "(branch main)" in link.evidence
