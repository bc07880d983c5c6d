"""CDK constructs -> facts: Lambda/ECS/Batch workloads, image assets (builds), EC2/EKS capacity.

Works on the evaluated calls of one app, whatever language they came from. Links a workload's
image to its asset with a direct key `cdk:src:<file>:<line of the asset expression>` shared by
the `ImageRef` and the `ImageBuild`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from archmatch.aws.batch import job_arch_when_omitted, job_runs_on_fargate
from archmatch.aws.defaults import ECS_DEFAULT_ARCH, EKS_DEFAULT_INSTANCE_TYPE, LAMBDA_DEFAULT_ARCH
from archmatch.aws.ecs import arch_when_omitted, cluster_name, runs_on_fargate
from archmatch.aws.eks import cluster_ref, taint_effect
from archmatch.extract.cdk_source import archvalues, codebuild
from archmatch.extract.cdk_source.archvalues import Arch
from archmatch.extract.cdk_source.assets import (
    ASSET_FACTORIES,
    Asset,
    buildarg_platform_facts,
    link_key,
    make_asset,
)
from archmatch.extract.cdk_source.ecr import repository_key, repository_name
from archmatch.extract.cdk_source.ecs_hosts import ClusterHosts
from archmatch.extract.cdk_source.values import (
    Arr,
    Call,
    Choice,
    Host,
    Null,
    Num,
    Obj,
    Ref,
    Str,
    Unknown,
    Val,
    get,
    key_line,
)
from archmatch.isolation import note_position
from archmatch.model import (
    BatchJobFacts,
    Capacity,
    CdkOrigin,
    CdkSyntax,
    ClusterRef,
    EcsFacts,
    EcsService,
    ImageRef,
    InstanceChoice,
    LambdaFacts,
    Location,
    NodeGroupFacts,
    RepoFacts,
    Workload,
)
from archmatch.platforms import AMD64, ArchFact
from archmatch.repo import RepoView

_TASK_DEFINITIONS = {
    "aws_ecs.FargateTaskDefinition": "fargate",
    "aws_ecs.Ec2TaskDefinition": "ec2",
    "aws_ecs.TaskDefinition": "",
}
_COMPATIBILITY = {"FARGATE": "fargate", "EC2_AND_FARGATE": "fargate", "EC2": "ec2", "EXTERNAL": "external"}
# ecs_patterns construct -> (launch type, props key holding the image options, or "" for top level)
_PATTERNS: dict[str, tuple[str, str]] = {}
for _kind in (
    "ApplicationLoadBalanced",
    "NetworkLoadBalanced",
    "ApplicationMultipleTargetGroups",
    "NetworkMultipleTargetGroups",
):
    _PATTERNS[f"aws_ecs_patterns.{_kind}FargateService"] = ("fargate", "taskImageOptions")
    _PATTERNS[f"aws_ecs_patterns.{_kind}Ec2Service"] = ("ec2", "taskImageOptions")
_PATTERNS["aws_ecs_patterns.QueueProcessingFargateService"] = ("fargate", "")
_PATTERNS["aws_ecs_patterns.QueueProcessingEc2Service"] = ("ec2", "")
_PATTERNS["aws_ecs_patterns.ScheduledFargateTask"] = ("fargate", "scheduledFargateTaskImageOptions")
_PATTERNS["aws_ecs_patterns.ScheduledEc2Task"] = ("ec2", "scheduledEc2TaskImageOptions")
_BATCH_CONTAINERS = {
    "aws_batch.EcsFargateContainerDefinition": "fargate",
    "aws_batch.EcsEc2ContainerDefinition": "ec2",
}
# the Batch constructs of `@aws-cdk/aws-batch` (CDK v1) and `@aws-cdk/aws-batch-alpha` (both read as `aws_batch`)
LEGACY_BATCH_JOB = "aws_batch.JobDefinition"
LEGACY_BATCH_ENVIRONMENT = "aws_batch.ComputeEnvironment"
_ECR_IMAGE_FACTORIES = {
    "aws_ecs.ContainerImage.fromEcrRepository",
    "aws_ecs.EcrImage",
    "aws_lambda.DockerImageCode.fromEcr",
    "aws_lambda.Code.fromEcrImage",
    "aws_lambda.EcrImageCode",
}


_IMAGE_CODE = frozenset(
    {
        "aws_lambda.Code.fromAssetImage",
        "aws_lambda.Code.fromEcrImage",
        "aws_lambda.AssetImageCode",
        "aws_lambda.EcrImageCode",
    }
)


def _alternatives(value: Val | None) -> list[Val]:
    if value is None:
        return []
    return list(value.options) if isinstance(value, Choice) else [value]


@dataclass
class _Pending:
    """An ECS workload on EC2 without an architecture: its capacity decides (a Batch job: its compute
    environments, when linking)."""

    workload: Workload
    service: str  # ecs | batch


@dataclass
class Interpreter:
    repo: RepoView
    facts: RepoFacts
    app_dir: str
    config: str  # cdk.json of the app
    syntax_of: dict[str, CdkSyntax]  # file -> cdk-ts | cdk-py
    platform_names: dict[str, str | None]  # file -> how it names aws_ecr_assets.Platform
    assets: dict[int, Asset] = field(default_factory=dict)  # id(call) -> asset
    workloads: dict[int, Workload] = field(default_factory=dict)  # id(construct call) -> workload
    capacities: list[tuple[str, Capacity]] = field(default_factory=list)  # (service, capacity)
    pending: list[_Pending] = field(default_factory=list)
    names: set[tuple[str, str]] = field(default_factory=set)
    capacity_by_call: dict[int, Capacity] = field(default_factory=dict)
    cluster_hosts: ClusterHosts = field(default_factory=ClusterHosts)
    task_clusters: dict[int, list[Val | None]] = field(default_factory=dict)  # id(workload) -> clusters

    # ---- entry ------------------------------------------------------------------------------
    def run(self, calls: list[Call]) -> None:
        for call in calls:
            if call.callee in ASSET_FACTORIES and id(call) not in self.assets:
                syntax, name = self.syntax_of[call.path], self.platform_names.get(call.path)
                self.assets[id(call)] = make_asset(call, syntax, self.app_dir, name, self.repo)
        constructs = [c for c in calls if c.callee is not None]
        for call in constructs:
            self._construct(call)
        for call in calls:
            if call.callee is None:
                self._method(call)
        for call in constructs:
            if call.callee == "aws_ecs.ContainerDefinition":
                self._container_definition(call)
            elif call.callee in _SERVICES:
                props = call.props(2)
                for owner in self._owner_workloads(get(props, "taskDefinition")):
                    _add_service(owner, self._service(call, props))
                    self.task_clusters.setdefault(id(owner), []).append(get(props, "cluster"))
        self._resolve_pending()
        for asset in sorted(self.assets.values(), key=lambda a: (a.call.path, a.call.line, a.call.column)):
            self.facts.builds.extend(candidate.build() for candidate in (asset, *asset.alternatives))
            facts = buildarg_platform_facts(asset, self.repo)
            if facts:
                self.facts.extra.cdk_buildarg_platforms.extend(facts)
        self.facts.workloads.extend(self.workloads.values())
        self.facts.capacities.extend(c for _, c in self.capacities)

    def _construct(self, call: Call) -> None:
        note_position(self.repo, call.path, call.line)
        callee = call.callee or ""
        if callee == "aws_lambda.DockerImageFunction":
            self._lambda(call, docker_image_function=True)
        elif callee in ("aws_lambda.Function", "aws_lambda.SingletonFunction"):
            self._lambda(call, docker_image_function=False)
        elif callee in _TASK_DEFINITIONS:
            self._task_definition(call)
        elif callee in _PATTERNS:
            self._pattern(call)
        elif callee in _BATCH_CONTAINERS:
            self._batch_container(call)
        elif callee == "aws_ecs.Cluster":
            capacity = get(call.props(2), "capacity")
            if capacity is not None and not isinstance(capacity, Unknown):
                self._ec2_capacity(call, capacity, "ecs", f"{self._id(call)} capacity")
                self.cluster_hosts.join(call, self.capacity_by_call.get(id(call)))
        elif callee == "aws_autoscaling.AutoScalingGroup":
            self._ec2_capacity(call, call.props(2), "ec2", self._id(call))
            self.cluster_hosts.group_props(call, get(call.props(2), "userData"))
        elif callee == "aws_ecs.AsgCapacityProvider":
            self._asg_provider(call)
        elif callee == "aws_eks.Nodegroup":
            props = call.props(2)
            self._nodegroup(
                call, props, self._id(call), self._cluster(get(props, "cluster"), "Nodegroup cluster")
            )
        elif callee == "aws_eks.Cluster":
            self._eks_default_capacity(call)
        elif callee == "aws_batch.ManagedEc2EcsComputeEnvironment":
            self._batch_compute(call)
        elif callee == LEGACY_BATCH_JOB:
            self._legacy_batch_job(call)
        elif callee == LEGACY_BATCH_ENVIRONMENT:
            self._legacy_batch_compute(call)
        elif callee in codebuild.PROJECT_CONSTRUCTS:
            codebuild.codebuild_project(self.repo, self.facts, self.app_dir, call, self._id(call))

    def _method(self, call: Call) -> None:
        note_position(self.repo, call.path, call.line)
        receiver = call.receiver
        if call.method == "addContainer":
            for owner in self._owner_workloads(receiver):
                props = call.props(1)
                self._add_image(owner, get(props, "image"), call, key_line(props, "image"))
        elif call.method == "addNodegroupCapacity":
            cluster = self._cluster(receiver, "addNodegroupCapacity on the cluster")
            self._nodegroup(call, call.props(1), self._method_id(call, receiver), cluster)
        elif call.method in ("addCapacity", "addAutoScalingGroupCapacity") and isinstance(receiver, Call):
            service = {"aws_ecs.Cluster": "ecs", "aws_eks.Cluster": "eks"}.get(receiver.callee or "")
            if service:
                self._ec2_capacity(call, call.props(1), service, self._method_id(call, receiver))
                self.cluster_hosts.join(receiver, self.capacity_by_call.get(id(call)))
        elif call.method == "addAsgCapacityProvider" and isinstance(receiver, Call):
            provider = call.arg(0, "provider")
            group = get(provider.props(2), "autoScalingGroup") if isinstance(provider, Call) else None
            self.cluster_hosts.join(receiver, self.capacity_by_call.get(id(group)))
        elif call.method in ("addCommands", "addUserData"):
            self.cluster_hosts.user_data_call(call)

    # ---- naming ------------------------------------------------------------------------------
    def _id(self, call: Call) -> str:
        ident = call.arg(1, "id")
        base = (
            ident.value
            if isinstance(ident, Str)
            else f"{(call.callee or call.method).rsplit('.', 1)[-1]}@{call.line}"
        )
        name = base
        if (call.path, name) in self.names:
            name = f"{base}@{call.line}"
        self.names.add((call.path, name))
        return name

    def _method_id(self, call: Call, receiver: Val | None) -> str:
        ident = call.arg(0, "id")
        owner = receiver.arg(1, "id") if isinstance(receiver, Call) else None
        prefix = f"{owner.value}/" if isinstance(owner, Str) else ""
        return prefix + (ident.value if isinstance(ident, Str) else f"{call.method}@{call.line}")

    def _loc(self, call: Call) -> Location:
        return Location(call.path, call.line, call.column)

    def _owner_workloads(self, value: Val | None) -> list[Workload]:
        """The task definitions a value names: one, or each of a choice's alternatives."""
        if isinstance(value, Choice):
            return [w for option in value.options for w in self._owner_workloads(option)]
        found = None
        if isinstance(value, Call):
            found = self.workloads.get(id(value))
        elif isinstance(value, Unknown) and value.attr == "taskDefinition" and isinstance(value.owner, Call):
            found = self.workloads.get(id(value.owner))
        return [found] if found is not None else []

    def _workload(
        self,
        call: Call,
        service: Literal["lambda", "ecs", "batch"],
        arch: ArchFact,
        arch_line: int,
        host: Host | None,
        construct: str | None = None,
        ecs: EcsFacts | None = None,
        value: Val | None = None,
    ) -> Workload:
        where, via = _arch_where(call, arch_line, value)
        workload = Workload(
            kind=f"cdk:{call.callee}",
            name=self._id(call),
            service=service,
            location=self._loc(call),
            arch=arch,
            arch_location=where,
            arch_via=via,
            arch_syntax=self.syntax_of[call.path],
            ecs=ecs,
            cdk=CdkOrigin(self.config, construct=construct, host_source=host.source if host else None),
            lambda_=LambdaFacts("Image") if service == "lambda" else None,
        )
        self.workloads[id(call)] = workload
        return workload

    # ---- images ------------------------------------------------------------------------------
    def _add_image(self, workload: Workload, image: Val | None, context: Call, line: int) -> Asset | None:
        """Attach the image expression to the workload; returns the asset it builds, if any."""
        if image is None or isinstance(image, Null):
            return None
        if isinstance(image, Choice):
            return self._add_choice(workload, image, context, line)
        path = context.path
        where = Location(path, image.line or line)
        if isinstance(image, Call) and id(image) in self.assets:
            asset = self.assets[id(image)]
            workload.images.append(
                ImageRef("", Location(path, image.line, image.column), frozenset({asset.key}), resolved=False)
            )
            return asset
        if isinstance(image, Call) and image.callee == "aws_ecs.ContainerImage.fromDockerImageAsset":
            source = image.arg(0, "asset")
            if isinstance(source, Call) and id(source) in self.assets:
                workload.images.append(
                    ImageRef(
                        "",
                        Location(path, image.line, image.column),
                        frozenset({link_key(source)}),
                        resolved=False,
                    )
                )
                return self.assets[id(source)]
        if isinstance(image, Call) and image.callee in _ECR_IMAGE_FACTORIES:
            workload.images.append(self._ecr_image(image))
            return None
        if isinstance(image, Call) and image.callee == "aws_ecs.ContainerImage.fromRegistry":
            name = image.arg(0, "name")
            if isinstance(name, Unknown) and isinstance(name.owner, Call) and id(name.owner) in self.assets:
                asset = self.assets[id(name.owner)]  # fromRegistry(asset.imageUri)
                workload.images.append(
                    ImageRef(
                        "", Location(path, image.line, image.column), frozenset({asset.key}), resolved=False
                    )
                )
                return asset
            ref = name.value if isinstance(name, Str) else ""
            workload.images.append(
                ImageRef(ref, Location(path, image.line, image.column), resolved=bool(ref))
            )
            return None
        workload.images.append(ImageRef("", where, resolved=False))
        return None

    def _add_choice(self, workload: Workload, image: Choice, context: Call, line: int) -> Asset | None:
        """Every alternative is an image of the workload. Alternatives of a condition are
        candidates (only one runs, which a finding must say); different callers' values all run."""
        first = len(workload.images)
        assets = [self._add_image(workload, option, context, line) for option in image.options]
        if image.why == "conditional":
            note = f"one of {len(image.options)} images chosen by a condition at {image.path}:{image.line}"
            workload.images[first:] = [replace(ref, candidate=note) for ref in workload.images[first:]]
        found = [a for a in assets if a is not None]
        return found[0] if len(found) == 1 else None

    def _ecr_image(self, image: Call) -> ImageRef:
        where = Location(image.path, image.line, image.column)
        repo = image.arg(0, "repository")
        if (
            isinstance(repo, Unknown)
            and repo.attr == "repository"
            and isinstance(repo.owner, Call)
            and id(repo.owner) in self.assets
        ):
            return ImageRef("", where, frozenset({link_key(repo.owner)}), resolved=False)  # asset.repository
        name = repository_name(repo)
        tag_value = image.arg(1, "tag")
        if isinstance(tag_value, Obj | Call) or (tag_value is None and image.kwargs is not None):
            opts = image.props(1)
            tag_value = get(opts, "tagOrDigest") or get(opts, "tag")
        tag = tag_value.value if isinstance(tag_value, Str) else ""
        sep = "@" if tag.startswith("sha256:") else ":"
        if name is None:
            return _unnamed_repository_image(repo, tag and sep + tag, tag_value, where)
        return ImageRef(
            name + (sep + tag if tag else ""),
            where,
            frozenset({f"ecr:{name}"}),
            resolved=bool(tag) or tag_value is None,
        )

    # ---- Lambda ------------------------------------------------------------------------------
    def _lambda(self, call: Call, docker_image_function: bool) -> None:
        props = call.props(2)
        code = get(props, "code")
        runtime = get(props, "runtime")
        image_code = any(isinstance(c, Call) and c.callee in _IMAGE_CODE for c in _alternatives(code))
        from_image = isinstance(runtime, Ref) and runtime.qual == "aws_lambda.Runtime.FROM_IMAGE"
        if not docker_image_function and not image_code and not from_image:
            return
        arch_value = get(props, "architecture")
        arch_line = key_line(props, "architecture")
        fact, parsed = _lambda_fact(arch_value)
        workload = self._workload(
            call,
            "lambda",
            fact,
            arch_line,
            parsed.host if parsed else None,
            value=arch_value,
            construct=(call.callee or "").rsplit(".", 1)[-1],
        )
        asset = self._add_image(workload, code, call, key_line(props, "code"))
        if (
            docker_image_function
            and asset is not None
            and asset.call.callee == "aws_lambda.DockerImageCode.fromImageAsset"
        ):
            asset.bound_by.append(workload.name)
            if parsed is not None and asset.bound_arch is None:
                asset.bound_arch, asset.bound_line = parsed, arch_line or arch_value.line  # type: ignore[union-attr]

    # ---- ECS ---------------------------------------------------------------------------------
    def _task_definition(self, call: Call) -> None:
        props = call.props(2)
        launch = _TASK_DEFINITIONS[call.callee or ""]
        member = ""
        if not launch:
            compat = get(props, "compatibility")
            member = compat.qual.rsplit(".", 1)[-1] if isinstance(compat, Ref) else ""
            launch = _COMPATIBILITY.get(member, "")
            if launch == "external":
                return
        self._ecs_workload(call, props, launch, "ecs", may_run_on_ec2=member == "EC2_AND_FARGATE")

    def _ecs_workload(
        self, call: Call, props: Obj, launch: str, service: Literal["ecs"], may_run_on_ec2: bool = False
    ) -> Workload:
        """`launch`: fargate | ec2 | "" (unknown); `may_run_on_ec2`: compatible with both, so not
        certainly on Fargate although the Fargate defaults apply."""
        runtime = get(props, "runtimePlatform")
        cpu = (
            get(runtime, "cpuArchitecture")
            if runtime is not None and not isinstance(runtime, Unknown | Host)
            else runtime
        )
        line = (
            key_line(runtime, "cpuArchitecture")
            if runtime is not None and cpu is not None
            else key_line(props, "runtimePlatform")
        )
        fact, host = _ecs_fact(cpu, launch)
        family = archvalues.os_family(
            get(runtime, "operatingSystemFamily") if isinstance(runtime, Obj | Call) else None
        )
        workload = self._workload(
            call,
            service,
            fact,
            line if cpu is not None else 0,
            host,
            value=cpu,
            ecs=EcsFacts(
                fargate=_certainly_fargate(launch, may_run_on_ec2),
                launch_type=launch or "unknown",
                family=_text(get(props, "family")),
            ),
        )
        workload.os_family = family
        if fact.how.value == "unknown" and launch == "ec2" and cpu is None:
            self.pending.append(_Pending(workload, service))
        return workload

    def _pattern(self, call: Call) -> None:
        launch, image_key = _PATTERNS[call.callee or ""]
        props = call.props(2)
        task_definition = get(props, "taskDefinition")
        if task_definition is not None and not isinstance(task_definition, Unknown):
            return  # the task definition construct is the workload
        workload = self._ecs_workload(call, props, launch, "ecs")
        options = get(props, image_key) if image_key else props
        if options is not None:
            self._add_image(workload, get(options, "image"), call, key_line(options, "image"))
        if workload.ecs is not None:
            family = _text(get(options, "family")) if options is not None else None
            workload.ecs = replace(workload.ecs, family=family)
        _add_service(workload, self._service(call, props))

    def _service(self, call: Call, props: Obj) -> EcsService:
        """An ECS service construct (or a pattern's service) with its `serviceName` and the
        `clusterName` of its cluster construct; None where the CDK names them."""
        ident = call.arg(1, "id")
        address = ident.value if isinstance(ident, Str) else f"{call.callee}@{call.line}"
        cluster = get(props, "cluster")
        named = get(cluster.props(2), "clusterName") if isinstance(cluster, Call) else None
        cluster_text = _text(named) or _text(cluster)
        return EcsService(
            address,
            _text(get(props, "serviceName")),
            cluster_name(cluster_text) if cluster_text else None,
            self._loc(call),
        )

    def _container_definition(self, call: Call) -> None:
        props = call.props(2)
        for owner in self._owner_workloads(get(props, "taskDefinition")):
            self._add_image(owner, get(props, "image"), call, key_line(props, "image"))

    # ---- Batch -------------------------------------------------------------------------------
    def _batch_container(self, call: Call) -> None:
        launch = _BATCH_CONTAINERS[call.callee or ""]
        props = call.props(2)
        cpu = get(props, "fargateCpuArchitecture") if launch == "fargate" else None
        fact, host = _ecs_fact(cpu, launch)
        workload = self._workload(
            call,
            "batch",
            fact,
            key_line(props, "fargateCpuArchitecture") if cpu is not None else 0,
            host,
            ecs=EcsFacts(fargate=launch == "fargate", launch_type=launch),
        )
        if launch == "ec2":  # its compute environments decide, when linking (archmatch/link/batch.py)
            workload.batch = BatchJobFacts(gpu=_gpu_request(get(props, "gpu")))
        self._add_image(workload, get(props, "image"), call, key_line(props, "image"))

    def _legacy_batch_job(self, call: Call) -> None:
        """The `JobDefinition` of `@aws-cdk/aws-batch` (v1) and `@aws-cdk/aws-batch-alpha`: its
        `container` holds the image; `platformCapabilities` naming FARGATE makes it a Fargate job."""
        props = call.props(2)
        container = get(props, "container")
        if container is None:
            return
        fargate = _names_fargate(get(props, "platformCapabilities"))
        launch = {True: "fargate", False: "ec2", None: "unknown"}[fargate]
        if fargate is None:  # decided (unknown) where written: never placed on EC2 environments
            fact, line = (
                ArchFact.unknown("platformCapabilities not known"),
                key_line(props, "platformCapabilities") or call.line,
            )
        else:
            fact, line = job_arch_when_omitted(fargate), 0
        workload = self._workload(
            call, "batch", fact, line, None, ecs=EcsFacts(fargate=bool(fargate), launch_type=launch)
        )
        if fargate is False:  # its compute environments decide, when linking (archmatch/link/batch.py)
            workload.batch = BatchJobFacts(gpu=_gpu_request(get(container, "gpuCount")))
        self._add_image(workload, get(container, "image"), call, key_line(container, "image"))

    def _legacy_batch_compute(self, call: Call) -> None:
        """The `ComputeEnvironment` of `@aws-cdk/aws-batch` (v1) and `-alpha`: a managed one (the
        default) runs its `computeResources` instance types (`optimal` when none are given); an
        unmanaged one's instances are not in the source."""
        props = call.props(2)
        managed = get(props, "managed")
        resources = get(props, "computeResources")
        written_type = get(resources, "type") if resources is not None else None
        kind = _batch_member(written_type) if written_type is not None else "ON_DEMAND"  # the default
        if kind in ("FARGATE", "FARGATE_SPOT"):
            capacity = self._capacity(
                call, f"cdk:{call.callee}", self._id(call), "batch", [], ArchFact.unknown(), 0
            )
            capacity.fargate, capacity.batch_type = True, kind
            return
        types: list[InstanceChoice] = []
        if managed is None or not archvalues.is_false(managed):
            written = get(resources, "instanceTypes") if resources is not None else None
            types = archvalues.instance_types(written, call.path)
            if written is None and kind:  # the construct's default (docs/aws-facts.md#batch-instance-types)
                types = [InstanceChoice("optimal", AMD64, self._loc(call))]
        image = get(resources, "image") if resources is not None else None
        ami = (
            archvalues.machine_image(image)
            if image is not None
            else ArchFact.unknown("Batch picks the ECS-optimized AMI")
        )
        capacity = self._capacity(
            call, f"cdk:{call.callee}", self._id(call), "batch", types, ami, key_line(resources, "image")
        )
        capacity.batch_type = kind or None

    # ---- capacity ----------------------------------------------------------------------------
    def _capacity(
        self,
        call: Call,
        kind: str,
        name: str,
        service: str,
        types: list[InstanceChoice],
        ami: ArchFact,
        ami_line: int,
        node_group: NodeGroupFacts | None = None,
        cluster: ClusterRef | None = None,
    ) -> Capacity:
        capacity = Capacity(
            kind=kind,
            name=name,
            location=self._loc(call),
            instance_types=types,
            ami_arch=ami,
            ami_location=Location(call.path, ami_line) if ami_line else None,
            node_group=node_group,
            cdk=CdkOrigin(self.config, service=service),
            cluster=cluster,
        )
        self.capacities.append((service, capacity))
        self.capacity_by_call[id(call)] = capacity
        return capacity

    def _ec2_capacity(self, call: Call, props: Val, service: str, name: str) -> None:
        instance = get(props, "instanceType")
        types = archvalues.instance_types(instance, call.path) if instance is not None else []
        image = get(props, "machineImage")
        ami = (
            archvalues.machine_image(image)
            if image is not None
            else ArchFact.unknown("no machine image given")
        )
        if image is None and service == "eks":
            archs = {t.arch for t in types}
            if len(archs) == 1 and None not in archs:  # EKS picks the AMI for the instance type
                ami = ArchFact.derived(
                    next(iter(archs)),  # type: ignore[arg-type]
                    note="EKS-optimized AMI chosen for the instance type",
                )
        kind = f"cdk:{call.callee}" if call.callee else f"cdk:{call.method}"
        self._capacity(call, kind, name, service, types, ami, key_line(props, "machineImage"))

    def _asg_provider(self, call: Call) -> None:
        asg = get(call.props(2), "autoScalingGroup")
        capacity = self.capacity_by_call.get(id(asg)) if isinstance(asg, Call) else None
        if capacity is not None:
            capacity.cdk = CdkOrigin(self.config, service="ecs", ecs_capacity_provider=self._id(call))
            self.capacities = [("ecs" if c is capacity else s, c) for s, c in self.capacities]

    def _cluster(self, cluster: Val | None, how: str) -> ClusterRef | None:
        """The `eks.Cluster` construct a node group joins: its `clusterName` when written, else the
        construct itself (each `new eks.Cluster` is a cluster of its own)."""
        if not isinstance(cluster, Call) or cluster.callee != "aws_eks.Cluster":
            return None
        where = self._loc(cluster)
        props = cluster.props(2)
        name = get(props, "clusterName")
        if isinstance(name, Str):
            return ClusterRef(name.value, f"{how}: clusterName", where)
        ident = cluster.arg(1, "id")
        label = ident.value if isinstance(ident, Str) else f"eks.Cluster@{cluster.line}"
        written = f"new eks.Cluster {label}"
        return cluster_ref(None, written, f"{cluster.path}:{cluster.line}", how, where)

    def _nodegroup(self, call: Call, props: Obj, name: str, cluster: ClusterRef | None) -> None:
        # the deprecated single `instanceType` stands for [instanceType] (docs/aws-facts.md#eks-node-groups)
        instance_value = get(props, "instanceTypes")
        if instance_value is None:
            instance_value = get(props, "instanceType")
        types = archvalues.instance_types(instance_value, call.path)
        ami_value = get(props, "amiType")
        if instance_value is None:
            types = [
                InstanceChoice(EKS_DEFAULT_INSTANCE_TYPE, AMD64, self._loc(call))
            ]  # EKS API default (docs/aws-facts.md#eks-node-groups)
        if ami_value is not None:
            ami = archvalues.eks_ami_type(ami_value)
        else:
            archs = {t.arch for t in types}
            if len(archs) == 1 and None not in archs and get(props, "launchTemplateSpec") is None:
                ami = ArchFact.derived(next(iter(archs)), note="CDK picks the AMI type from instanceTypes")  # type: ignore[arg-type]
            else:
                ami = ArchFact.unknown("no amiType")
        self._capacity(
            call,
            "cdk:aws_eks.Nodegroup",
            name,
            "eks",
            types,
            ami,
            key_line(props, "amiType"),
            _node_scheduling(props, instance_value is None),
            cluster,
        )

    def _eks_default_capacity(self, call: Call) -> None:
        props = call.props(2)
        instance = get(props, "defaultCapacityInstance")
        if instance is None or archvalues.is_false(get(props, "defaultCapacity")):
            return
        types = archvalues.instance_types(instance, call.path)
        archs = {t.arch for t in types}
        ami = (
            ArchFact.derived(next(iter(archs)), note="EKS-optimized AMI chosen for the instance type")  # type: ignore[arg-type]
            if len(archs) == 1 and None not in archs
            else ArchFact.unknown("")
        )
        self._capacity(
            call,
            "cdk:aws_eks.Cluster.defaultCapacity",
            f"{self._id(call)} default capacity",
            "eks",
            types,
            ami,
            0,
            cluster=self._cluster(call, "the cluster's default capacity"),
        )

    def _batch_compute(self, call: Call) -> None:
        props = call.props(2)
        types = archvalues.instance_types(get(props, "instanceTypes"), call.path) + archvalues.instance_types(
            get(props, "instanceClasses"), call.path
        )
        optimal = get(props, "useOptimalInstanceClasses")
        if optimal is None or not archvalues.is_false(optimal):
            types.append(
                InstanceChoice("optimal", AMD64, self._loc(call))
            )  # default true: docs/aws-facts.md#batch-instance-types
        self._capacity(
            call,
            f"cdk:{call.callee}",
            self._id(call),
            "batch",
            types,
            ArchFact.unknown("Batch picks the ECS-optimized AMI"),
            0,
        )

    def _resolve_pending(self) -> None:
        for item in self.pending:
            clusters = self.task_clusters.get(id(item.workload), [])
            hosts = (
                self.cluster_hosts.hosts(clusters, self.capacity_by_call) if item.service == "ecs" else None
            )
            if hosts is not None and item.workload.ecs is not None:
                item.workload.ecs = replace(item.workload.ecs, hosts=hosts)
                item.workload.arch, item.workload.arch_location = arch_when_omitted(item.workload.ecs)
                continue
            caps = [c for s, c in self.capacities if s == item.service]
            archs = {t.arch for c in caps for t in c.instance_types} | {
                a for c in caps for a in c.ami_arch.archs
            }
            if caps and len(archs) == 1 and None not in archs and all(c.instance_types for c in caps):
                arch = next(iter(archs))
                names = ", ".join(c.name for c in caps)
                item.workload.arch = ArchFact.derived(arch, note=f"the app's only EC2 capacity ({names})")  # type: ignore[arg-type]
                item.workload.arch_location = caps[0].instance_types[0].location


def _batch_member(value: Val | None) -> str:
    """`batch.ComputeResourceType.SPOT` -> "SPOT"; a string as written (upper case); "" otherwise."""
    if isinstance(value, Ref):
        return value.qual.rsplit(".", 1)[-1].upper()
    return value.value.upper() if isinstance(value, Str) else ""


def _names_fargate(value: Val | None) -> bool | None:
    """Whether a legacy `platformCapabilities` list names FARGATE (None: not known; absent: EC2)."""
    if value is None:
        return False
    if not isinstance(value, Arr) or value.open:
        return None
    names = [_batch_member(item) for item in value.items]
    return None if "" in names else job_runs_on_fargate(names)


_SERVICES = frozenset({"aws_ecs.FargateService", "aws_ecs.Ec2Service"})


def _text(value: Val | None) -> str | None:
    return value.value if isinstance(value, Str) else None


def _add_service(workload: Workload, service: EcsService) -> None:
    if workload.ecs is not None:
        declared = (*workload.ecs.declared_services, service)
        workload.ecs = replace(workload.ecs, declared_services=declared)


def _gpu_request(value: Val | None) -> bool | None:
    """An `EcsEc2ContainerDefinition`'s `gpu` count: asked for when above zero (None: not known)."""
    if value is None:
        return False
    return value.value > 0 if isinstance(value, Num) else None


def _unnamed_repository_image(repo: Val | None, tag: str, tag_value: Val | None, where: Location) -> ImageRef:
    """An image of a repository construct whose name the CDK gives at deploy time: known only as that
    construct (`${Repo.repositoryUri}:tag`, with its key); any other repository is not known at all."""
    key = repository_key(repo)
    if key is None:
        return ImageRef("", where, resolved=False)
    if not tag and tag_value is not None:
        tag = ":${tag}"  # a tag written but not known
    label = key[len("ecr:") :].split("@", 1)[0]
    return ImageRef(f"${{{label}.repositoryUri}}{tag}", where, frozenset({key}), resolved=False)


def _arch_where(call: Call, key_line: int, value: Val | None) -> tuple[Location | None, Location | None]:
    """(where the architecture's literal is written, the property that only passes it on): a
    parameter's default or a helper's constant in the same file is the literal to edit."""
    if not key_line:
        return None, None
    key = Location(call.path, key_line)
    literal = isinstance(value, Ref | Str) or (isinstance(value, Call) and value.callee is not None)
    if literal and value is not None and value.path == call.path and value.line not in (0, key_line):
        return Location(value.path, value.line), key
    return key, None


def _lambda_fact(value: Val | None) -> tuple[ArchFact, Arch | None]:
    if value is None or isinstance(value, Null):
        return ArchFact.default(LAMBDA_DEFAULT_ARCH, note="Lambda default: no architecture"), None
    parsed = archvalues.lambda_architecture(value)
    if parsed.host is not None:
        return ArchFact.host(f"architecture computed from the deploy machine ({parsed.host.source})"), parsed
    if parsed.arch is not None:
        return ArchFact.explicit(parsed.arch, note=parsed.text), parsed
    return ArchFact.unknown(parsed.text), parsed


def _certainly_fargate(launch: str, may_run_on_ec2: bool) -> bool:
    """The construct's compatibilities (FargateTaskDefinition and the Fargate patterns: FARGATE;
    Ec2TaskDefinition: EC2; TaskDefinition: its `compatibility`) through `runs_on_fargate`."""
    compat = {"fargate": ("EC2", "FARGATE") if may_run_on_ec2 else ("FARGATE",), "ec2": ("EC2",)}
    return runs_on_fargate(None, None, compat.get(launch))


def _ecs_fact(cpu: Val | None, launch: str) -> tuple[ArchFact, Host | None]:
    if cpu is None or isinstance(cpu, Null):
        if launch == "fargate":
            return ArchFact.default(
                ECS_DEFAULT_ARCH, note="ECS default X86_64: no runtimePlatform.cpuArchitecture"
            ), None
        return ArchFact.unknown(
            "EC2 launch type without cpuArchitecture: the container instances decide"
        ), None
    if isinstance(cpu, Host):
        return ArchFact.host(f"cpuArchitecture computed from the deploy machine ({cpu.source})"), cpu
    parsed = archvalues.ecs_cpu_architecture(cpu)
    if parsed.host is not None:
        return ArchFact.host(
            f"cpuArchitecture computed from the deploy machine ({parsed.host.source})"
        ), parsed.host
    if parsed.arch is not None:
        return ArchFact.explicit(parsed.arch, note=parsed.text), None
    return ArchFact.unknown(parsed.text), None


# --- node group labels and taints ---------------------------------------------------------------------
def _node_scheduling(props: Obj, instance_types_default: bool) -> NodeGroupFacts:
    """A node group's `labels` and `taints` ({key, value, effect: eks.TaintEffect.NO_SCHEDULE}); its
    labels are all known unless a launch template may add others."""
    labels = _string_fields(get(props, "labels"))
    return NodeGroupFacts(
        instance_types_default=instance_types_default,
        labels=labels,
        taints=_node_taints(get(props, "taints")),
        labels_complete=labels is not None and get(props, "launchTemplateSpec") is None,
    )


def _string_fields(value: Val | None) -> dict[str, str] | None:
    if value is None:
        return {}
    if not isinstance(value, Obj) or value.open or not all(isinstance(v, Str) for v in value.fields.values()):
        return None
    return {k: v.value for k, v in value.fields.items() if isinstance(v, Str)}


def _member_name(value: Val | None) -> str:
    """`eks.TaintEffect.NO_SCHEDULE` (or the string itself) as `NO_SCHEDULE`; "" when not known."""
    if isinstance(value, Str):
        return value.value
    return value.qual.rpartition(".")[2] if isinstance(value, Ref) else ""


def _node_taints(value: Val | None) -> tuple[tuple[str, str | None, str], ...] | None:
    if value is None:
        return ()
    if not isinstance(value, Arr) or value.open:
        return None
    out: list[tuple[str, str | None, str]] = []
    for item in value.items:
        key, written, effect = (get(item, k) for k in ("key", "value", "effect"))
        kube_effect = taint_effect(_member_name(effect))
        if (
            not isinstance(key, Str)
            or kube_effect is None
            or not (written is None or isinstance(written, Str))
        ):
            return None
        out.append((key.value, written.value if written is not None else None, kube_effect))
    return tuple(out)
