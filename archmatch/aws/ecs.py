"""ECS (and Batch-on-ECS) semantics shared by every IaC format."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from archmatch import lazyre
from archmatch.aws.defaults import ECS_DEFAULT_ARCH
from archmatch.model import EcsFacts, EcsHosts, EcsService, Location
from archmatch.platforms import ArchFact

# `ECS_CLUSTER=name` in /etc/ecs/ecs.config: the cluster the ECS agent of an instance registers it in
_AGENT_CLUSTER = lazyre.compile(r"\bECS_CLUSTER\s*=\s*[\"']?([^\s\"'`;|&<>)]*)")
_CLUSTER_NAME = lazyre.compile(r"[A-Za-z0-9_-]{1,255}")
# capacity providers that run tasks on Fargate (ECS `capacityProviderStrategy`)
FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
DEFAULT_CLUSTER = "default"  # the cluster of a service or an `aws ecs` command that names none


def cluster_name(value: str) -> str:
    """A cluster's name from its name or ARN (`arn:aws:ecs:<region>:<account>:cluster/<name>`)."""
    return value.rsplit(":cluster/", 1)[1] if ":cluster/" in value else value


def service_name(value: str) -> tuple[str, str | None]:
    """A service's name, and the cluster its ARN names (None when it names none), from its name or
    ARN (`...:service/<cluster>/<name>`, or `...:service/<name>` in the old format)."""
    if ":service/" not in value:
        return value, None
    parts = value.rsplit(":service/", 1)[1].split("/")
    return parts[-1], parts[0] if len(parts) > 1 else None


def task_family(value: str) -> str:
    """The family of a `--task-definition` value: `family`, `family:revision`, or its ARN
    (`...:task-definition/<family>:<revision>`)."""
    if ":task-definition/" in value:
        value = value.rsplit(":task-definition/", 1)[1]
    return value.split(":", 1)[0]


def os_family_of(value: Any) -> str:
    """`runtimePlatform.operatingSystemFamily`: not written (None) is Linux, the default; a
    `WINDOWS_SERVER_*` value is windows, `LINUX` linux; anything else written (another spelling,
    an unresolved reference) is unknown, never guessed."""
    if value is None:
        return "linux"
    if isinstance(value, str):
        upper = value.upper()
        return "windows" if upper.startswith("WINDOWS") else "linux" if upper == "LINUX" else "unknown"
    return "unknown"


def runs_on_fargate(
    launch_type: str | None,
    capacity_providers: Iterable[str] | None,
    requires_compatibilities: Iterable[str] | None,
) -> bool:
    """A task definition certainly runs on Fargate: the one answer for every format and rule.

    `launch_type` is the launch type in effect, None when a capacity provider strategy replaces
    it (the ECS API refuses both; the ecs module drops its launch_type default then). A task
    definition whose written compatibilities leave FARGATE out never runs there. Otherwise the
    capacity provider strategy decides when there is one (Fargate when every provider is
    FARGATE/FARGATE_SPOT), then the launch type, then compatibility with FARGATE only."""
    compat = {c.upper() for c in requires_compatibilities or ()}
    if compat and "FARGATE" not in compat:
        return False
    providers = [p.upper() for p in capacity_providers or ()]
    if providers:
        return all(p in FARGATE_PROVIDERS for p in providers)
    if launch_type is not None:
        return launch_type.upper() == "FARGATE"
    return compat == {"FARGATE"}


def arch_when_omitted(ecs: EcsFacts) -> tuple[ArchFact, Location | None]:
    """The architecture of a task definition that does not write `runtimePlatform.cpuArchitecture`,
    and where it is decided, the same for every format (docs/aws-facts.md#service-defaults).
    On Fargate, X86_64: the documented default. Elsewhere the EC2 container instances run it, and
    whether ECS places it by that default is not documented: so the instances' architecture when
    the capacity chain names them (docs/aws-facts.md#ecs-capacity), else unknown, never a guess."""
    if ecs.fargate:
        note = "ECS runs X86_64 on Fargate when runtimePlatform.cpuArchitecture is omitted"
        return ArchFact.default(ECS_DEFAULT_ARCH, note=note), None
    if ecs.hosts is not None and ecs.hosts.arch.known:
        note = f"no cpuArchitecture: the container instances of {ecs.hosts.name} run it"
        return ArchFact.derived(*sorted(ecs.hosts.arch.archs), note=note), ecs.hosts.location
    return ArchFact.unknown("no cpuArchitecture and not on Fargate: the container instances decide"), None


@dataclass
class Hosting:
    """What the ECS services running one task definition say about where it runs (collected by
    each format's extractor, then frozen into `EcsFacts`)."""

    services: list[str] = field(default_factory=list)
    launch_type: str | None = None
    capacity_providers: list[str] = field(default_factory=list)
    hosts: EcsHosts | None = None
    declared: list[EcsService] = field(default_factory=list)  # the services with names and clusters

    def facts(
        self,
        requires_compatibilities: tuple[str, ...] | None,
        os_family_location: Location | None,
        family: str | None = None,
    ) -> EcsFacts:
        return EcsFacts(
            fargate=runs_on_fargate(self.launch_type, self.capacity_providers, requires_compatibilities),
            launch_type=self.launch_type,
            requires_compatibilities=requires_compatibilities,
            services=tuple(self.services),
            capacity_providers=tuple(self.capacity_providers),
            hosts=self.hosts,
            os_family_location=os_family_location,
            declared_services=tuple(self.declared),
            family=family,
        )


def agent_clusters(user_data: str) -> tuple[set[str], bool]:
    """The clusters an instance's user data makes its ECS agent join (`ECS_CLUSTER=name` written
    to the agent's configuration), and whether some `ECS_CLUSTER=` names one that is not known
    (computed at boot, or a template placeholder)."""
    names: set[str] = set()
    unknown = False
    for m in _AGENT_CLUSTER.finditer(user_data):
        if _CLUSTER_NAME.fullmatch(m.group(1)):
            names.add(m.group(1))
        else:
            unknown = True
    return names, unknown


def known_cluster_name(value: str) -> str | None:
    """A service's `cluster` as written (a name or an ARN), when it is a literal cluster name."""
    name = cluster_name(value)
    return name if _CLUSTER_NAME.fullmatch(name) else None


@dataclass(frozen=True)
class JoinedInstances:
    """Instances (an auto scaling group, an EC2 instance) whose user data joins them to a cluster."""

    name: str  # address or logical id
    arch: ArchFact
    location: Location | None


def hosts_of_cluster(cluster: str, joined: list[JoinedInstances]) -> EcsHosts | None:
    """The EC2 capacity of a cluster whose container instances all join it through their user data:
    known when every such group has one and the same known architecture; None when none joins it,
    or when they disagree or one is unknown (the task may land on any of them)."""
    if not joined or any(not j.arch.known or len(j.arch.archs) != 1 for j in joined):
        return None
    archs = {a for j in joined for a in j.arch.archs}
    if len(archs) != 1:
        return None
    names = ", ".join(sorted(j.name for j in joined))
    arch = ArchFact.derived(*sorted(archs))
    location = next((j.location for j in joined if j.location is not None), None)
    if location is None:
        return None
    return EcsHosts(arch, location, f"{names} (joins cluster {cluster}: ECS_CLUSTER in its user data)")
