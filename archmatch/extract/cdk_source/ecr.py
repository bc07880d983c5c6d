"""ECR repositories of a CDK app: the name a repository construct gives, and the key that ties an
image of it (`DockerImageCode.fromEcr(repo)`, `ContainerImage.fromEcrRepository(repo)`) to a build
that pushes to it (a CodeBuild project's `environmentVariables: {X: {value: repo.repositoryUri}}`).

A repository whose name is written is `ecr:<name>`, as in the other formats; one the CDK names at
deploy time (`new ecr.Repository(this, 'Repo')`) is `ecr:<construct id>@cdk:<file>:<line>`, the
construct itself, which only references to that construct share.
"""

from __future__ import annotations

from archmatch.extract.cdk_source.values import Call, Str, Unknown, Val, get

REPO_FACTORIES = {
    "aws_ecr.Repository.fromRepositoryName": 2,
    "aws_ecr.Repository.fromRepositoryArn": 2,
}
_CONSTRUCTORS = ("aws_ecr.Repository", "aws_ecr.Repository.fromRepositoryAttributes")
# attributes of a repository construct that are its name or URI, whole
_NAME_ATTRIBUTES = frozenset({"repositoryName", "repositoryUri"})


def repository_name(repo: Val | None) -> str | None:
    """The written name of the repository construct `repo`, None when not written or not one."""
    if not isinstance(repo, Call):
        return None
    if repo.callee in _CONSTRUCTORS:
        name = get(repo.props(2), "repositoryName")
    elif repo.callee in REPO_FACTORIES:
        name = repo.arg(REPO_FACTORIES[repo.callee], "repositoryName")
        if isinstance(name, Str) and repo.callee.endswith("Arn"):
            return name.value.rsplit("repository/", 1)[-1] if "repository/" in name.value else None
    else:
        return None
    return name.value if isinstance(name, Str) else None


def repository_key(repo: Val | None) -> str | None:
    """`ecr:<name>`, or for a `new ecr.Repository` the CDK names, the construct's own key."""
    name = repository_name(repo)
    if name is not None:
        return f"ecr:{name}"
    if isinstance(repo, Call) and repo.callee == "aws_ecr.Repository":
        ident = repo.arg(1, "id")
        label = ident.value if isinstance(ident, Str) else "Repository"
        return f"ecr:{label}@cdk:{repo.path}:{repo.line}"
    return None


def named_repository_key(value: Val | None) -> str | None:
    """The repository key of a value that is a repository construct's name or URI, whole
    (`repo.repositoryUri`, `repo.repositoryName`)."""
    if isinstance(value, Unknown) and value.attr in _NAME_ATTRIBUTES:
        return repository_key(value.owner)
    return None
