"""Which EKS cluster a shell run applies Kubernetes manifests to.

A script that points kubectl at a cluster (`aws eks update-kubeconfig --name X`, `eksctl utils
write-kubeconfig --cluster X`, `eksctl create cluster --name X` / `-f config.yaml`, `kubectl config
use-context <EKS context>`) and then applies manifests (`kubectl apply|create|replace -f F`, `-k D`,
or with `--context <EKS context>`) deploys those manifests' pods to that cluster. Words are the
scanner's, variables already expanded; a cluster name that is still unresolved forgets the cluster
(later applies go to a cluster the script does not name).
"""

from __future__ import annotations

from dataclasses import dataclass

from archmatch import lazyre
from archmatch.dockercli import Word
from archmatch.extract.builds._common import has_unresolved

_APPLY = frozenset({"apply", "create", "replace"})
# kubectl options that take a value (so that `kubectl -n shop apply` finds its verb)
_VALUED = frozenset(
    {"-n", "--namespace", "--context", "--kubeconfig", "--cluster", "-s", "--server", "--user"}
)
# options that send a command to a cluster other than the one the current context names
_ELSEWHERE = ("--kubeconfig", "--cluster", "--server", "-s")
# kubectl contexts written by `aws eks update-kubeconfig` (the cluster ARN) and by eksctl
# (`user@NAME.REGION.eksctl.io`)
_ARN_CONTEXT = lazyre.compile(r"^arn:aws[a-z-]*:eks:[^:]*:[^:]*:cluster/([A-Za-z0-9][A-Za-z0-9_-]*)$")
_EKSCTL_CONTEXT = lazyre.compile(r"^[^@\s]+@([A-Za-z0-9][A-Za-z0-9_-]*)\.[a-z0-9-]+\.eksctl\.io$")


@dataclass(frozen=True)
class KubeTarget:
    """The cluster kubectl talks to: its name as written (None: unresolved), or the eksctl config
    file that names it; `how` is the command, for messages."""

    name: str | None
    how: str
    line: int
    config_file: str | None = None


@dataclass(frozen=True)
class KubeApply:
    """A `kubectl apply` of manifest files or folders (as written, relative to `cwd`)."""

    paths: tuple[str, ...]
    context: KubeTarget | None  # `--context` of the command itself


def _texts(words: list[Word]) -> list[str]:
    return [w.text for w in words if not w.redirect]


def _option(texts: list[str], *names: str) -> str | None:
    """The value of `--name value` / `--name=value` / `-n value`, the last one written."""
    found = None
    for i, text in enumerate(texts):
        for name in names:
            if text == name and i + 1 < len(texts):
                found = texts[i + 1]
            elif text.startswith(name + "=") and name.startswith("--"):
                found = text[len(name) + 1 :]
    return found


def _known(value: str | None) -> str | None:
    return value if value and not has_unresolved(value) else None


def _after_program(texts: list[str], program: str) -> list[str] | None:
    at = next((i for i, t in enumerate(texts) if t == program or t.endswith("/" + program)), None)
    return texts[at + 1 :] if at is not None else None


def context_cluster(context: str | None) -> str | None:
    """The EKS cluster a kubectl context name stands for, when it is one of the names AWS tools write."""
    if context is None:
        return None
    m = _ARN_CONTEXT.match(context) or _EKSCTL_CONTEXT.match(context)
    return m.group(1) if m else None


def kube_target(words: list[Word], line: int) -> KubeTarget | None:
    """The cluster a command points kubectl at, or None when it does not."""
    texts = _texts(words)
    aws = _after_program(texts, "aws")
    if aws is not None and [t for t in aws if not t.startswith("-")][:2] == ["eks", "update-kubeconfig"]:
        name = _option(aws, "--name")
        if _option(aws, "--kubeconfig") is not None:  # written to a file plain kubectl may not read
            name = None
        return KubeTarget(_known(name), f"aws eks update-kubeconfig --name {name}", line)
    eksctl = _after_program(texts, "eksctl")
    if eksctl is not None:
        return _eksctl_target(eksctl, line)
    kubectl = _after_program(texts, "kubectl")
    if kubectl is not None and kubectl[:2] == ["config", "use-context"] and len(kubectl) > 2:
        name = context_cluster(kubectl[2])
        return KubeTarget(name, f"kubectl config use-context {kubectl[2]}", line)
    return None


def _eksctl_target(args: list[str], line: int) -> KubeTarget | None:
    verbs = [t for t in args if not t.startswith("-")][:2]
    if verbs == ["utils", "write-kubeconfig"]:
        name = _option(args, "--cluster", "-c")
        if _option(args, "--kubeconfig") is not None:  # written to a file plain kubectl may not read
            name = None
        return KubeTarget(_known(name), f"eksctl utils write-kubeconfig --cluster {name}", line)
    if verbs[:2] == ["create", "cluster"]:
        config = _option(args, "--config-file", "-f")
        if config is not None:
            return KubeTarget(None, f"eksctl create cluster -f {config}", line, _known(config))
        name = _option(args, "--name", "-n")
        return KubeTarget(_known(name), f"eksctl create cluster --name {name}", line)
    return None


def kube_apply(words: list[Word], line: int) -> KubeApply | None:
    """The manifests a `kubectl apply|create|replace` reads (`-f -` reads stdin: not a file)."""
    texts = _texts(words)
    kubectl = _after_program(texts, "kubectl")
    if kubectl is None:
        return None
    verbs = _verbs(kubectl)
    if not verbs or verbs[0] not in _APPLY:
        return None
    paths: list[str] = []
    for i, text in enumerate(kubectl):
        for flag in ("-f", "--filename", "-k", "--kustomize"):
            if text == flag and i + 1 < len(kubectl):
                paths.append(kubectl[i + 1])
            elif text.startswith(flag + "=") and flag.startswith("--"):
                paths.append(text[len(flag) + 1 :])
    paths = [p for p in paths if p != "-" and "://" not in p]
    if not paths:
        return None
    context = _option(kubectl, "--context")
    target = None
    if context is not None:
        target = KubeTarget(context_cluster(context), f"kubectl --context {context}", line)
    elif _elsewhere(texts, kubectl):
        target = KubeTarget(None, "kubectl with its own kubeconfig or server", line)
    return KubeApply(tuple(paths), target)


def _verbs(args: list[str]) -> list[str]:
    """The words of a kubectl command that are neither options nor option values."""
    out, skip = [], False
    for text in args:
        if skip:
            skip = False
        elif text in _VALUED:
            skip = True
        elif not text.startswith("-"):
            out.append(text)
    return out


def _elsewhere(texts: list[str], kubectl: list[str]) -> bool:
    """Whether the command reads another kubeconfig or server than the current context's
    (`--kubeconfig F`, `--server URL`, `KUBECONFIG=F kubectl ...`)."""
    prefix = texts[: len(texts) - len(kubectl)]
    if any(t.startswith("KUBECONFIG=") for t in prefix):
        return True
    return any(t == o or t.startswith(o + "=") for t in kubectl for o in _ELSEWHERE)
