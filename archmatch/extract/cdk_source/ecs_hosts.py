"""The EC2 container instances of the ECS clusters of a CDK app, so that a task definition on EC2
that writes no architecture gets the architecture of the instances of its service's cluster, as
Terraform and CloudFormation do (`aws/ecs.py`).

An instance group joins a cluster through `cluster.addCapacity(...)`, the cluster's `capacity` prop,
`cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(..., { autoScalingGroup }))`, or user
data that writes `ECS_CLUSTER=<the cluster's clusterName>` (`asg.userData.addCommands(...)`,
`asg.addUserData(...)`, a `UserData` given as the group's `userData` prop). A cluster's hosts are
known when every group that joins it has one and the same known architecture; a group whose user
data names its cluster only at boot may join any cluster, so then no cluster is decided by user data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archmatch.aws.ecs import agent_clusters
from archmatch.extract.cdk_source.values import Call, Str, Unknown, Val, get
from archmatch.model import Capacity, EcsHosts, Location
from archmatch.platforms import ArchFact

CLUSTER = "aws_ecs.Cluster"


@dataclass
class ClusterHosts:
    joined: dict[int, list[Capacity]] = field(default_factory=dict)  # id(cluster call) -> capacities
    commands: dict[int, list[str]] = field(default_factory=dict)  # id(group call) -> user data text
    user_data_of: dict[int, int] = field(default_factory=dict)  # id(UserData call) -> id(group call)

    def join(self, cluster: Val | None, capacity: Capacity | None) -> None:
        if isinstance(cluster, Call) and cluster.callee == CLUSTER and capacity is not None:
            self.joined.setdefault(id(cluster), []).append(capacity)

    def group_props(self, group: Call, user_data: Val | None) -> None:
        """A group's `userData` prop: commands added to it later are the group's."""
        if isinstance(user_data, Call):
            self.user_data_of[id(user_data)] = id(group)

    def user_data_call(self, call: Call) -> None:
        """`asg.userData.addCommands(...)`, `asg.addUserData(...)`, `userData.addCommands(...)`."""
        receiver = call.receiver
        owner: int | None = None
        if call.method == "addUserData" and isinstance(receiver, Call):
            owner = id(receiver)
        elif call.method == "addCommands":
            if (
                isinstance(receiver, Unknown)
                and receiver.attr == "userData"
                and isinstance(receiver.owner, Call)
            ):
                owner = id(receiver.owner)
            elif isinstance(receiver, Call):
                owner = self.user_data_of.get(id(receiver))
        if owner is not None:
            self.commands.setdefault(owner, []).extend(_text(a) for a in call.args)

    def hosts(self, clusters: list[Val | None], capacity_of: dict[int, Capacity]) -> EcsHosts | None:
        """The instances every one of a task's service clusters runs it on, when they all agree."""
        if not clusters or not all(isinstance(c, Call) and c.callee == CLUSTER for c in clusters):
            return None
        groups: list[tuple[Capacity, str]] = []
        for cluster in clusters:
            assert isinstance(cluster, Call)
            label = _cluster_label(cluster)
            members = [
                (c, f"{c.name} (capacity of cluster {label})") for c in self.joined.get(id(cluster), [])
            ]
            members += [
                (c, f"{c.name} (joins cluster {label}: ECS_CLUSTER in its user data)")
                for c in self._joined_by_user_data(cluster, capacity_of)
            ]
            if not members:
                return None
            groups.extend(members)
        archs = [_arch(c) for c, _ in groups]
        if any(a is None for a in archs) or len(set(archs)) != 1:
            return None
        names = ", ".join(dict.fromkeys(label for _, label in groups))
        return EcsHosts(ArchFact.derived(archs[0] or ""), _where(groups[0][0]), names)

    def _joined_by_user_data(self, cluster: Call, capacity_of: dict[int, Capacity]) -> list[Capacity]:
        name = get(cluster.props(2), "clusterName")
        if not isinstance(name, Str) or not self.commands:
            return []
        found: list[Capacity] = []
        for group, texts in self.commands.items():
            names, computed = agent_clusters("\n".join(texts))
            if computed:
                return []  # it joins a cluster named only at boot: maybe this one
            if name.value in names and group in capacity_of:
                found.append(capacity_of[group])
        return found


def _cluster_label(cluster: Call) -> str:
    name = get(cluster.props(2), "clusterName")
    if isinstance(name, Str):
        return name.value
    ident = cluster.arg(1, "id")
    return ident.value if isinstance(ident, Str) else f"ecs.Cluster@{cluster.line}"


def _text(value: Val) -> str:
    if isinstance(value, Str):
        return value.value
    return value.template if isinstance(value, Unknown) and value.template else "ECS_CLUSTER=${?}"


def _arch(capacity: Capacity) -> str | None:
    archs = {t.arch for t in capacity.instance_types}
    if capacity.ami_arch.known:
        archs |= set(capacity.ami_arch.archs)
    if not capacity.instance_types or None in archs or len(archs) != 1:
        return None
    return next(iter(archs))


def _where(capacity: Capacity) -> Location:
    if capacity.ami_location is not None:
        return capacity.ami_location
    return capacity.instance_types[0].location or capacity.location
