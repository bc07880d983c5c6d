"""Facts the extractors produce and the rules consume.

Layering: extract (parsers per format) -> link (builds to workloads) -> rules -> report.
Every path in these facts is relative to the scan root, POSIX-style; lines are 1-based
(0 means "the whole file" or "unknown").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from archmatch.platforms import ArchFact


@dataclass(frozen=True, order=True)
class Location:
    """A place in a scanned file: path, and 1-based line and column (0 when not known)."""

    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


DiagnosticLevel = Literal["error", "warning", "note"]
# input: unreadable, binary, too large, skipped; parse: not valid in its format; internal: an
# extractor or rule failed on it; limit: a budget stopped evaluation; single-file: what a one-file
# scan did not read
DiagnosticCode = Literal["input", "parse", "internal", "limit", "single-file"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem with the input (unparseable, binary, too large, ...), not a rule finding."""

    location: Location
    message: str
    level: DiagnosticLevel = "warning"
    code: DiagnosticCode = "input"


@dataclass(frozen=True)
class ArchEvidence:
    """One piece of evidence that an image's content is for a given architecture."""

    arch: str
    location: Location
    reason: str
    certain: bool = True
    # the ARG whose default decides it ("" when written out): certain for a build that passes no
    # --build-arg of that name
    arg: str = ""


@dataclass
class DockerImageFacts:
    """What one Dockerfile produces for one target stage, as far as architecture goes."""

    path: str
    target: str | None
    final_stage: str  # stage name, or its index as a string
    final_from: Location
    # FROM --platform=<constant> on the final stage (or the stage chain it inherits from).
    pinned: ArchEvidence | None = None
    # the `--platform=...` flag of that pin exactly as written on pinned.location's line (with the
    # whitespace after it), so that a fix can delete it without reading the file.
    pin_flag: str = ""
    # final stage runs on $BUILDPLATFORM: content is the build host's arch, label is the target's.
    from_buildplatform: Location | None = None
    # the final stage's base image is arch-specific (arm64v8/..., lambda ...:3.12-arm64).
    base_arch: ArchEvidence | None = None
    # architecture hard-coded into the final image's content (GOARCH=amd64, *_amd64.tar.gz, ...).
    hardcoded: list[ArchEvidence] = field(default_factory=list)
    # content comes from a $BUILDPLATFORM stage that compiles without TARGETARCH: host arch.
    host_binaries: list[Location] = field(default_factory=list)
    # content downloaded for the build host's architecture (a URL built from $BUILDPLATFORM or
    # $BUILDARCH, or from `uname -m` in a $BUILDPLATFORM stage) that reaches the image.
    host_downloads: list[Related] = field(default_factory=list)


class DockerfileLike(Protocol):
    path: str

    def image_facts(self, target: str | None = None) -> DockerImageFacts | None: ...


@dataclass(frozen=True)
class ImageRef:
    """An image reference a workload runs, as written (or resolved) in IaC."""

    ref: str  # resolved text; may keep ${...} placeholders; "" when wholly unknown
    location: Location
    # direct-reference keys shared with an ImageBuild, e.g. "tf:docker_registry_image.app",
    # "sam:MyFunction", "sls:image:app", "cdk:asset:<hash>"; repository keys name a repository, not
    # an image: "ecr:<repository name>", "repo:tf:module.ecr" (an unresolved module output).
    link_keys: frozenset[str] = frozenset()
    resolved: bool = True
    # set when the workload runs this image only on one branch of a condition (CDK
    # `cond ? ContainerImage.fromAsset(...) : ContainerImage.fromRegistry(...)`): says which
    candidate: str = ""
    # an image a deploy command redeploys without naming it (the image its run pushed before
    # `aws ecs update-service --force-new-deployment`): how it was pushed ("the same step pushes
    # this image (deploy.yml:21)"), and the task definition it reaches with the evidence and
    # confidence for this image (set by archmatch/link/deploys.py)
    pushed_by: str = ""
    deploy: DeployTarget | None = None


# The tags extractors write in Workload.arch_syntax and ImageBuild.fix_syntax: how to write an
# architecture or a platform in the file that declares it. Every tag has a writer in
# archmatch/fixrender/ (mypy checks that its dispatch is exhaustive over these Literals;
# tests/test_fix_syntaxes.py that every tag an extractor writes is declared here).
ArchSyntax = Literal[
    "tf-lambda",
    "tf-ecs",
    "tf-ecs-module",
    "tf-batch",
    "cfn-lambda",
    "cfn-ecs",
    "cfn-batch",
    "ecs-json",
    "sam",
    "serverless",
    "k8s",
    "tf-k8s",
    "tf-helm",
    "tf-manifest",
    "cdk-ts",
    "cdk-py",
]
FixSyntax = Literal[
    "compose",
    "bake",
    "gha",
    "docker-cli",
    "tf-docker",
    "serverless",
    "sam",
    "cdk-ts",
    "cdk-py",
    "config",
    "dagger-go",
    "dagger-py",
    "docker-sdk-py",
]
CdkSyntax = Literal["cdk-ts", "cdk-py"]  # both tables hold them: CDK apps declare workloads and builds
ARCH_SYNTAXES: frozenset[ArchSyntax] = frozenset(get_args(ArchSyntax))
FIX_SYNTAXES: frozenset[FixSyntax] = frozenset(get_args(FixSyntax))

# the service a workload runs on; "eks-fargate" is a Kubernetes pod that linking placed on an EKS
# Fargate profile (archmatch/link/placement.py)
Service = Literal["lambda", "ecs", "batch", "apprunner", "k8s", "eks-fargate"]

# what declares an ImageBuild
BuildSource = Literal[
    "compose",
    "bake",
    "github-actions",
    "gitlab-ci",
    "shell",
    "makefile",
    "npm-script",
    "python",
    "javascript",
    "terraform-docker",
    "terraform-lambda-docker-build",
    "terraform-local-exec",
    "codebuild",
    "sam",
    "serverless",
    "cdk-asset",
    "cdk",
    "config",
    "dagger",
]

# how sure a link is (low: a naming heuristic; findings on it stay warnings)
Confidence = Literal["high", "medium", "low"]
# what a link rests on, strongest first: a reference the IaC makes to the build (high), equal
# repository and tag (medium), an `images:` mapping of the configuration (high), a repository name
# that matches the build's name (low), a literal ECR repository name that is the local tag of a build
# pushed where the files do not say (low), the only build, or the only Dockerfile built, in the
# project or the nearest enclosing one (low)
LinkKind = Literal[
    "direct",
    "repository",
    "config",
    "naming",
    "naming-local-tag",
    "proximity",
    "proximity-equivalent",
    "proximity-dockerfile",
    "redeploy",  # a deploy command redeploys the image its run pushed before (`aws ecs update-service`)
]
# what a proximity link says of its build, followed by where it is the only one (`Link.scope`)
PROXIMITY_SUBJECT: dict[LinkKind, str] = {
    "proximity": "the only build in",
    "proximity-equivalent": "the only Dockerfile built in",
    "proximity-dockerfile": "one of the builds of the only Dockerfile built in",
}


@dataclass(frozen=True)
class LambdaFacts:
    """What a Lambda function's declaration says beyond its architecture."""

    # PackageType as written (Image | Zip), "unknown" when unresolved; only "Image" runs an image
    package_type: str
    # the registry module that declares the function (terraform-aws-modules/lambda/aws), if any
    module: str | None = None
    # the function name as declared (Terraform function_name, CloudFormation FunctionName), when known
    function_name: str | None = None


@dataclass(frozen=True)
class CliCommand:
    """A workload written as an AWS CLI command (`aws lambda update-function-code ...`)."""

    command: str  # service and command: "lambda update-function-code"
    target: str | None  # the function, family or service name as written; None when not known
    # the command sets no architecture: the function it updates keeps its own (archmatch/link/deploys.py)
    keeps_arch: bool = False
    run: str = ""  # the script, CI job or Makefile it runs in ("workflow deploy.yml job deploy")
    # `ecs update-service`: the --cluster and --task-definition values as written (None: not given)
    cluster: str | None = None
    task_definition: str | None = None


@dataclass(frozen=True)
class DeployTarget:
    """The function (or the ECS task definition, through the service that runs it) declared in a
    template of the repository that a CLI command deploys to; the command's workload runs with its
    architecture. `related`: further lines the evidence rests on (the ECS service declaration)."""

    name: str
    location: Location
    evidence: str
    confidence: Confidence
    related: tuple[Related, ...] = ()


ValuesKind = Literal["terraform", "cloudformation"]


@dataclass(frozen=True)
class ValueSource:
    """The input values a fact was evaluated with, when a command line names them: a Terraform
    root module's variables (`terraform plan -var-file=F`, `-var k=v`) or a CloudFormation
    template's parameters (`aws cloudformation create-stack --parameters ...`, `deploy
    --parameter-overrides`, `sam deploy`); one of `candidates` value sets when the repository's
    commands name several (one var file per environment, one stack per command)."""

    files: tuple[str, ...]  # the var or parameter files (root-relative) of the sets this fact comes from
    named_at: tuple[str, ...]  # the commands naming them ("deploy.sh:3", "main.go:38 via ci.yml:9")
    variants: frozenset[int]  # which of the root's candidate value sets give this fact
    candidates: int  # how many value sets the commands give that root
    # each script, CI job or Makefile naming values for that root, with the sets it names
    runs: tuple[tuple[str, frozenset[int]], ...] = ()
    kind: ValuesKind = "terraform"
    where: Location | None = None  # the first command naming them (a related location of findings)

    def sets_of(self, run: str) -> frozenset[int]:
        return next((sets for name, sets in self.runs if name == run), frozenset()) if run else frozenset()

    @property
    def every_candidate(self) -> bool:
        return len(self.variants) == self.candidates

    def describe(self, shown: Callable[[str], str] = str) -> str:
        """Where the values come from; `shown` writes a path or `path:line` as the report shows it."""
        what, inline = (
            ("variables", "-var values") if self.kind == "terraform" else ("parameters", "the command line")
        )
        files = ", ".join(shown(f) for f in self.files) or inline
        named = ", ".join(" via ".join(map(shown, n.split(" via "))) for n in self.named_at[:3]) + (
            " ..." if len(self.named_at) > 3 else ""
        )
        if self.candidates == 1:
            return f"{what} from {files} (named at {named})"
        if self.every_candidate:
            return (
                f"alike with each of the {self.candidates} candidate value sets ({files}; named at {named})"
            )
        return (
            f"{what} from {files}: {len(self.variants)} of {self.candidates} candidate value sets "
            f"(named at {named})"
        )


@dataclass(frozen=True)
class EcsHosts:
    """The EC2 capacity that runs an ECS task definition (service -> capacity provider -> ASG ->
    launch template instance types / AMI), when its architecture is known."""

    arch: ArchFact
    location: Location
    name: str  # the auto scaling group's address or logical id


@dataclass(frozen=True)
class EcsService:
    """An ECS service that runs a task definition, as declared: what `aws ecs update-service
    --cluster C --service S` names (archmatch/link/deploys.py)."""

    address: str  # resource address, logical id or construct path
    name: str | None  # the service name; None when computed (or left to CloudFormation)
    cluster: str | None  # its cluster's name, "default" when none is written; None when not known
    location: Location


@dataclass(frozen=True)
class EcsFacts:
    """Where an ECS task definition or a Batch job definition runs, as the IaC says.

    `fargate`: certainly on Fargate (`aws.ecs.runs_on_fargate` for task definitions; FARGATE
    platform capabilities for Batch jobs). `launch_type`: the service's launch type as written
    (upper case from Terraform/CloudFormation; CDK writes fargate | ec2 | unknown)."""

    fargate: bool = False
    launch_type: str | None = None
    requires_compatibilities: tuple[str, ...] | None = None
    platform_capabilities: tuple[str, ...] | None = None  # Batch job definitions
    services: tuple[str, ...] = ()  # the ECS services that run the task definition
    # those services with their names and clusters, for deploy commands that name them
    declared_services: tuple[EcsService, ...] = ()
    family: str | None = None  # the task definition's family as declared, when known
    # FARGATE/FARGATE_SPOT, the ASG behind a provider, or a provider not found (its name, or "?")
    capacity_providers: tuple[str, ...] = ()
    hosts: EcsHosts | None = None
    # where runtimePlatform.operatingSystemFamily is written, for a related location
    os_family_location: Location | None = None
    module: str | None = None  # the registry module that declares it (terraform-aws-modules/ecs/aws)


@dataclass(frozen=True)
class BatchEnvironments:
    """The compute environments that decided the architecture of an EC2 Batch job definition that
    writes none (set by linking, `archmatch/link/batch.py`). `basis` says which and why, as a noun
    phrase ("the only GPU compute environments of this deployment: G4dnComputeEnvironment (g4dn)");
    `confidence` is medium for the environments the same deployment creates (one template or
    nested-stack tree, Terraform root module, CDK app), low for those of the nearest project;
    `environments` say each one ("G4dnComputeEnvironment (g4dn)") with where its instance types
    are written (related locations of findings)."""

    basis: str
    confidence: Literal["medium", "low"]
    environments: tuple[tuple[str, Location], ...] = ()


@dataclass(frozen=True)
class BatchJobFacts:
    """An AWS Batch job definition: whether its resourceRequirements ask for a GPU (None: a GPU
    requirement whose value is not known), and the compute environments linking placed it on."""

    gpu: bool | None = False
    environments: BatchEnvironments | None = None


@dataclass(frozen=True)
class NestedStack:
    """A CloudFormation template that creates another template of the repository as a nested
    stack (`AWS::CloudFormation::Stack` `TemplateURL`, SAM `AWS::Serverless::Application`
    `Location`): both belong to one deployment."""

    parent: str  # the template that declares the stack
    child: str  # the nested template's path, relative to the scan root
    location: Location


@dataclass(frozen=True)
class ClusterRef:
    """The EKS cluster a capacity belongs to, or the one a pod is deployed to.

    `name` identifies it: the cluster's name when the files give it (eksctl `metadata.name`, a
    Terraform `cluster_name` that evaluates to a string), else the reference that names it as
    written (`aws_eks_cluster.main.name`, `Ref EksCluster`), prefixed by the file or module that
    writes it, so that two node groups naming one cluster resource compare equal. `basis` says how
    it was decided, for `--list-workloads` and messages; `location` is where it is written."""

    name: str
    basis: str
    location: Location | None = None
    known: bool = True  # False: `name` is a reference whose value the files do not give


@dataclass(frozen=True)
class PodScheduling:
    """What a pod template says about the nodes it accepts besides the architecture: its
    `nodeSelector` labels, the keys and values its required node affinity asks for (`In` / `Exists`,
    every term an alternative), and the taints it tolerates. None where a value is not known."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    # required node affinity: alternatives, each a conjunction of (key, allowed values or None for Exists)
    affinity_terms: tuple[tuple[tuple[str, frozenset[str] | None], ...], ...] = ()
    tolerations: tuple[tuple[str | None, str | None, str | None], ...] = ()  # (key, value, effect)
    tolerates_all: bool = False  # a toleration with `operator: Exists` and no key


@dataclass(frozen=True)
class PodFacts:
    """A Kubernetes pod template's namespace and labels, which Fargate profile selectors match."""

    namespace: str
    labels: Mapping[str, str] = field(default_factory=dict)
    fargate_profile: str | None = None  # set by linking when a profile selects the pod
    # set by linking when the pod has no arch constraint and every node group it may land on has
    # one architecture, saying why: "the project's only capacity is arm64 (eksctl:managedNodeGroup
    # c/ng), nothing says the manifest deploys there"; a proximity link
    sole_capacity: str | None = None
    scheduling: PodScheduling = field(default_factory=PodScheduling)
    # the cluster the pod is deployed to, set by linking from a deploy script or the project's only
    # cluster (None: not known)
    cluster: ClusterRef | None = None


@dataclass(frozen=True)
class CdkOrigin:
    """A workload or capacity declared in a CDK app's source."""

    app: str  # the app's cdk.json
    construct: str | None = None  # the Lambda construct class (DockerImageFunction, Function)
    # the architecture is computed from the machine that runs `cdk deploy` (os.arch(), platform.machine())
    host_source: str | None = None
    # capacity: the service it hosts (ecs | ec2 | eks | batch) and the ECS capacity provider using it
    service: str | None = None
    ecs_capacity_provider: str | None = None

    @property
    def host_derived(self) -> bool:
        return self.host_source is not None


@dataclass
class Workload:
    """A place an image runs, with the CPU architecture that runs it."""

    kind: str  # resource type: aws_lambda_function, AWS::Serverless::Function, k8s:Deployment, ...
    name: str  # address or logical id (unique within its file)
    service: Service
    location: Location  # the resource's first line
    arch: ArchFact
    arch_location: Location | None = None  # where the architecture is declared or derived from
    # where the workload takes that value when its literal is written elsewhere (a module's
    # `architectures = var.architectures` whose caller writes `["arm64"]`): a related location
    arch_via: Location | None = None
    images: list[ImageRef] = field(default_factory=list)
    os_family: str = "linux"
    # how to write the architecture in this file's syntax, for fixes (None: nothing to write)
    arch_syntax: ArchSyntax | None = None
    # per-service facts: at most the one of the workload's service (and `cdk` for CDK sources)
    lambda_: LambdaFacts | None = None
    ecs: EcsFacts | None = None  # ECS task definitions and Batch job definitions
    batch: BatchJobFacts | None = None  # Batch job definitions
    pod: PodFacts | None = None
    cdk: CdkOrigin | None = None
    cli: CliCommand | None = None  # declared by an AWS CLI command in shell text
    deploys_to: DeployTarget | None = None  # the template's function such a command deploys to
    # Terraform: evaluated with the variable values a command line names (-var-file), not only
    # with the ones Terraform loads by itself
    values: ValueSource | None = None
    # folder of the deployable unit it belongs to (archmatch/link/projects.py); set by linking from
    # the location, or by the extractor when the location does not tell (Terraform root modules)
    project: str | None = None

    @property
    def id(self) -> str:
        return f"{self.location.path}::{self.name}"


@dataclass
class InstanceChoice:
    """An instance type a workload or capacity may run on, with its architecture."""

    instance_type: str
    arch: str | None
    location: Location


@dataclass(frozen=True)
class NodeGroupFacts:
    """An EKS node group (managed, self-managed or a module's)."""

    # no instance types written anywhere: the EKS default (t3.medium, x86_64) was assumed
    instance_types_default: bool = False
    # the labels and taints its nodes get (eksctl `labels`/`taints`, a Karpenter NodePool's template
    # labels, requirements and taints); None where the files do not say or a value is not known
    labels: Mapping[str, str] | None = None
    # NodePool requirements on labels other than the architecture: key -> allowed values (None: any)
    label_values: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    taints: tuple[tuple[str, str | None, str], ...] | None = None  # (key, value, effect)
    # `labels` are every label its nodes get besides the ones Kubernetes and AWS set (no launch
    # template or bootstrap command that may add others): an unprefixed label it lacks keeps pods off
    labels_complete: bool = False


@dataclass(frozen=True)
class FargateSelector:
    """One selector of an EKS Fargate profile; None where the value is not known (never matches)."""

    namespace: str | None
    labels: Mapping[str, str] | None = field(default_factory=dict)


@dataclass(frozen=True)
class FargateProfileFacts:
    """An EKS Fargate profile: the pods its selectors send to Fargate."""

    selectors: tuple[FargateSelector, ...]


@dataclass
class Capacity:
    """Compute that hosts workloads: node group, launch template, ASG, Batch compute env, instance."""

    kind: str
    name: str
    location: Location
    instance_types: list[InstanceChoice] = field(default_factory=list)
    ami_arch: ArchFact = field(default_factory=lambda: ArchFact.unknown())
    ami_location: Location | None = None
    # what decided ami_arch ("ssm:<parameter>", "eks-ami-type:<type>", ...) and whether that
    # evidence is verified (False: an UNVERIFIED name pattern, never the basis of an error)
    ami_evidence: str = ""
    ami_verified: bool = True
    launch_template: str | None = None  # address or logical id of the launch template it uses
    override_of: str | None = None  # an ASG override with its own launch template: the ASG's name
    fargate: bool = False  # Fargate capacity (EKS Fargate profile, Batch FARGATE environment)
    node_group: NodeGroupFacts | None = None  # an EKS node group
    fargate_profile: FargateProfileFacts | None = None  # an EKS Fargate profile with known selectors
    batch_type: str | None = None  # a Batch compute environment's type (EC2, SPOT, FARGATE, ...)
    module: str | None = None  # the registry module that declares it
    cdk: CdkOrigin | None = None
    project: str | None = None  # as Workload.project
    cluster: ClusterRef | None = None  # the EKS cluster of a node group, Fargate profile or NodePool

    @property
    def id(self) -> str:
        return f"{self.location.path}::{self.name}"


@dataclass(frozen=True)
class CommandFlags:
    """Where the first docker build of `ImageBuild.command` writes the flags a fix rewrites: (start,
    end) character spans of each flag with its value, and where a new flag can go (after `build`)."""

    subcommand_end: int
    platform: tuple[tuple[int, int], ...] = ()
    provenance: tuple[tuple[int, int], ...] = ()
    sbom: tuple[tuple[int, int], ...] = ()
    attest: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class PlatformInsertion:
    """How a fix adds a platform to a build that requests none, as its extractor read the source:
    on `location.line`, `find` becomes `head + <the platform> + tail` (a CDK image asset call, or the
    line of a multi-line call where its last argument ends; `head` ends with `Platform.` as the file
    names it, and may hold a line break). `imported`: the file imports
    that name; when it does not, the edit alone would leave an app that fails to compile."""

    location: Location
    find: str
    head: str
    tail: str
    imported: bool


@dataclass
class ImageBuild:
    """A place an image is built: compose service, bake target, CI step, script line, IaC build."""

    source: BuildSource
    name: str  # human label, e.g. "compose service api"
    location: Location
    dockerfile: str | None  # root-relative path of the Dockerfile, None if outside the repo/unknown
    context: str | None = None
    target: str | None = None
    platforms: ArchFact = field(default_factory=lambda: ArchFact.host())
    platform_location: Location | None = None
    platform_via: Location | None = None  # like Workload.arch_via: the module-internal line
    # the platform as written at platform_location when it is not `linux/<arch>`, the text a fix
    # replaces: a CDK `Platform` member (`LINUX_AMD64` of `Platform.LINUX_AMD64`)
    platform_member: str | None = None
    platform_insertion: PlatformInsertion | None = None  # where a build requesting none gets one
    tags: list[str] = field(default_factory=list)
    link_keys: frozenset[str] = frozenset()
    attestations: bool | None = None  # True if provenance/SBOM attestations make an image index
    # how to add a platform in this file's syntax, for fixes (None: only the generic advice)
    fix_syntax: FixSyntax | None = None
    command: str | None = None  # the original command line, for docker-cli builds
    command_flags: CommandFlags | None = None  # where `command` writes the flags a fix rewrites
    # names of the build args the build passes (--build-arg, build-args:, args), None when unknown
    build_args: frozenset[str] | None = None
    project: str | None = None  # as Workload.project: the folder of the file that declares the build
    # how `dockerfile` was found when the build names another path ("copied to tmp/Dockerfile by
    # build.sh:12"; a generated asset folder's source), "" when it is the path the build names
    dockerfile_origin: str = ""
    dockerfile_via: Location | None = None  # the line that put the Dockerfile there (the copy)
    # why the Dockerfile cannot be read (an asset folder generated at build time from sources
    # archmatch cannot tell), "" when it is read or simply unknown
    dockerfile_unread: str = ""
    # the Dockerfiles of the repository that a Dockerfile path computed from values the files do not
    # give may name (`-f Dockerfile.$SERVICE` in a function a loop calls), when more than one: the
    # build line may build several images; () when the path is known or names at most one
    dockerfile_candidates: tuple[str, ...] = ()
    # why the image never leaves the machine that builds it (its names are never pushed while the
    # same shell run pushes other images: a pulled placeholder retagged for the repository), "" when
    # it may be pushed; such a build is no image of a repository by its name alone
    stays_local: str = ""
    # the clone of this repository the build reads its files from (`git clone URL && cd REPO`), with
    # why the URL is this repository; "" otherwise. The clone may be of another branch or commit than
    # the files scanned, so links to the build are at most of low confidence
    clone_of: str = ""

    @property
    def id(self) -> str:
        return f"{self.location.path}:{self.location.line}:{self.name}"

    def dockerfile_evidence(self) -> list[Related]:
        """The copy that put the Dockerfile where the build reads it, as a related location."""
        if self.dockerfile_via is None or not self.dockerfile:
            return []
        return [Related(self.dockerfile_via, f"the build reads {self.dockerfile}, {self.dockerfile_origin}")]


@dataclass
class Link:
    """A workload linked to the build that produces its image, with the evidence and its confidence."""

    workload: Workload
    image: ImageRef
    build: ImageBuild
    evidence: str  # e.g. "direct reference docker_registry_image.app", "repository and tag match (api:v1)"
    confidence: Confidence  # low: a naming heuristic; findings on it stay warnings
    kind: LinkKind  # what `evidence` describes
    # proximity links: where the build is the only one ("this project", "the repository", "the
    # enclosing project infra"); empty for the other kinds
    scope: str = ""


@dataclass(frozen=True)
class Related:
    """Another location a finding points to, with what it shows there."""

    location: Location
    message: str


@dataclass(frozen=True)
class Edit:
    """Replace the text of `location`'s region (lines/columns inclusive, 1-based) with `text`.
    A region with column 0 means whole lines; end_line 0 with line N inserts before line N.
    With `find`, the region is the first occurrence of `find` on `location.line`: rules do not
    read files, so the engine resolves the columns (and drops the edit if the text is not there)."""

    location: Location
    text: str
    find: str = ""


class Applicability(str, Enum):
    """How far a fix may be applied without a person reading it (ruff's Applicability).

    safe: a mechanical edit that only fixes the finding; `archmatch fix` applies it.
    unsafe: a mechanical edit that also changes something beyond the finding (what other hosts
    build, the hardware a workload runs on); applied only with --unsafe-fixes.
    display-only: advice or a diff for a person (a choice to make, a value shared with other
    resources, an edit the rules cannot place); never applied, never a SARIF `fixes` entry."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"

    def weakest(self, *others: Applicability) -> Applicability:
        order = (Applicability.DISPLAY_ONLY, Applicability.UNSAFE, Applicability.SAFE)
        return min((self, *others), key=order.index)


@dataclass(frozen=True)
class Fix:
    """A way to fix a finding. A fix with edits says whether it is safe or unsafe; a fix without
    edits (or whose edits the engine could not place) is display-only, whatever it was given."""

    description: str
    edits: tuple[Edit, ...] = ()
    diff: str = ""  # a short human-readable diff for text output
    applicability: Applicability = Applicability.DISPLAY_ONLY

    def __post_init__(self) -> None:
        if not self.edits:
            object.__setattr__(self, "applicability", Applicability.DISPLAY_ONLY)
        elif self.applicability is Applicability.DISPLAY_ONLY:
            raise ValueError(f"a fix with edits must say whether it is safe or unsafe: {self.description}")


@dataclass
class Finding:
    """One problem a rule found, where, with related locations and fixes."""

    rule_id: str
    message: str
    location: Location
    entity: str  # stable anchor for fingerprints and Checkov adapters (resource address, stage, ...)
    related: tuple[Related, ...] = ()
    fixes: tuple[Fix, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)
    severity: str = ""  # filled from rule metadata / config overrides by the engine
    # the workload a finding located elsewhere is about (ARCH302 sits at the build): what Checkov
    # adapters map it onto; related locations never decide that
    subject: Location | None = None

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc.path, loc.line, loc.column, self.rule_id, self.entity, self.message)


@dataclass(frozen=True, order=True)
class Project:
    """A deployable unit of the repository: a Terraform root module with its tfvars, a CDK app, a
    SAM/Serverless app, a compose project, a bake file, a kustomization or chart folder, or the
    repository of CI workflows. Identified by its folder; one folder may be several kinds."""

    folder: str  # root-relative, "" for the scan root
    kind: str  # terraform | cdk | sam | serverless | compose | bake | kustomize | helm | ci | repository
    marker: str = ""  # the file (or folder) that makes it one

    @property
    def label(self) -> str:
        return self.folder or "."


@dataclass(frozen=True)
class CdkBuildArgPlatform:
    """A CDK image asset's `buildArgs` entry that looks like an attempt to choose the platform
    (ARCH401): what the asset really builds, and what the Dockerfile does with the argument."""

    location: Location  # the entry
    key: str
    value: str  # as written (or described, when not a constant)
    arch: str | None  # the architecture the value names, if any
    dashed: bool  # the key starts with "-" (a CLI flag, not a build argument)
    asset: str
    asset_location: Location
    effective_arch: str | None  # the platform the asset is built for, when its `platform` says
    dockerfile: str | None
    target: str | None
    dockerfile_read: bool
    arg_used_in_from_platform: bool  # `FROM --platform=$KEY` uses it
    syntax: CdkSyntax
    unresolved: bool  # the value is not a constant


@dataclass(frozen=True)
class ManifestDeploy:
    """A shell command that applies Kubernetes manifests to a named EKS cluster (`kubectl apply -f`
    after `aws eks update-kubeconfig --name X` in the same script): the pods of those files run on
    that cluster. `paths` are root-relative files or folders; `cluster_file` is an eksctl config
    whose cluster it is, when the script names the cluster only through that file."""

    location: Location  # the kubectl command
    paths: tuple[str, ...]
    cluster: str | None  # the cluster's name
    how: str  # the commands that say so, for messages
    cluster_file: str | None = None


@dataclass(frozen=True)
class KustomizeImage:
    """An `images:` entry of a kustomization: rewrites `name` to newName:newTag or @digest."""

    location: Location
    name: str
    new_name: str | None = None
    new_tag: str | None = None
    digest: str | None = None


@dataclass(frozen=True)
class GhaBakeAction:
    """A docker/bake-action step of a GitHub Actions job (its inputs as written)."""

    location: Location
    job: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class DaggerCall:
    """A CI step that runs a Dagger pipeline: `dagger call <function> --flag=value ...` (the
    dagger/dagger-for-github action or a `run:` line) or a Go program run with `dagger run` /
    `go run`. The Dagger engine the step starts runs on the step's machine."""

    location: Location  # the line of the call (the action's `args:`/`call:` input, the run line)
    where: str  # "workflow deploy.yml job deploy"
    module: str | None  # root-relative folder given as the module or program; None when unknown
    cwd: str | None  # the folder the command runs in (relative paths of its arguments)
    words: tuple[str, ...]  # `dagger call` words after the verb (function, flags, chained calls)
    program: bool  # a Go program (`go run`), not a module function
    host_note: str  # who runs the engine ("runs-on: ubuntu-latest")
    host_hint: frozenset[str] = frozenset()  # that machine's architecture, when its label says it


@dataclass(frozen=True)
class TerraformVarsUse:
    """A `terraform plan/apply/destroy/...` command that gives root-module variables on its command
    line, in a script, a Makefile recipe, a CI step or a program (a Dagger pipeline's `WithExec`)."""

    location: Location  # the command
    cwd: str | None  # root-relative folder it runs in (after `-chdir`); None when unknown
    var_files: tuple[str, ...]  # as written, in order; an unknown part is written `${X}`
    variables: tuple[tuple[str, str], ...] = ()  # `-var name=value`, in order
    via: Location | None = None  # the CI call that gives a program the values (`dagger call --tf-var-file`)
    run: str = ""  # the script, CI job or Makefile it runs in ("workflow deploy.yml job deploy")


@dataclass(frozen=True)
class CfnParametersUse:
    """A command that deploys a CloudFormation template with parameter values: `aws cloudformation
    create-stack|update-stack|create-change-set --template-body file://T --parameters ...`, `aws
    cloudformation deploy --template-file T --parameter-overrides K=V`, `sam deploy`, an environment
    of a SAM configuration file (`extract/builds/samconfig.py`). The template's extractor evaluates
    that template once per distinct set of values (`ValueSource`)."""

    location: Location  # the command
    template: str | None  # root-relative template file; None when not known
    own_template: str | None  # the same path if the script ran from its own folder
    parameters: tuple[tuple[str, str | None], ...] = ()  # as given, in order; None: not known
    parameter_files: tuple[str, ...] = ()  # root-relative JSON files of parameters, in order
    unknown_files: bool = False  # a parameter file that is not known (its path, or not in the repository)
    stack_name: str | None = None  # `--stack-name`, the template's `AWS::StackName`
    run: str = ""  # the script, CI job or Makefile it runs in
    config_file: str | None = None  # the SAM configuration (samconfig.toml) that gives these values


@dataclass(frozen=True)
class ImageRetag:
    """`docker tag SOURCE TARGET` and then `docker push TARGET` in a run that built no SOURCE (an ops
    program's deploy step): the image another run built and named SOURCE is pushed as TARGET."""

    source: str  # as written, unresolved parts as `${name}`
    target: str
    location: Location  # the command that retags and pushes
    run: str  # what runs it ("JavaScript apps/ops/src/aws/ecr.ts")


@dataclass
class ExtraFacts:
    """Facts one extractor produces for one rule (or for its own `finalize`), typed per kind."""

    cdk_buildarg_platforms: list[CdkBuildArgPlatform] = field(default_factory=list)
    kustomize_images: list[KustomizeImage] = field(default_factory=list)
    gha_bake_actions: list[GhaBakeAction] = field(default_factory=list)
    claimed_buildspecs: list[str] = field(default_factory=list)  # buildspec files a CodeBuild project runs
    dagger_calls: list[DaggerCall] = field(default_factory=list)  # CI steps running a Dagger pipeline
    # terraform commands that give root-module variables on their command line (-var-file, -var)
    terraform_vars: list[TerraformVarsUse] = field(default_factory=list)
    # commands that deploy a CloudFormation template with parameter values (--parameters, overrides)
    cfn_parameters: list[CfnParametersUse] = field(default_factory=list)
    # files that run a docker build no build source reads (a command string in program code, a CI
    # system without an extractor): a project holding one has builds archmatch cannot see
    unread_builds: list[Location] = field(default_factory=list)
    manifest_deploys: list[ManifestDeploy] = field(default_factory=list)  # kubectl applies to a named cluster
    nested_stacks: list[NestedStack] = field(default_factory=list)  # CloudFormation nested-stack trees
    image_retags: list[ImageRetag] = field(default_factory=list)  # pushes of images other runs built

    def copy(self) -> ExtraFacts:
        """A copy whose lists are new (the isolation snapshot)."""
        return ExtraFacts(**{f.name: list(getattr(self, f.name)) for f in fields(self)})


@dataclass
class RepoFacts:
    """Everything extracted and linked from one scan root."""

    root: Path
    files: list[str] = field(default_factory=list)
    dockerfiles: dict[str, DockerfileLike] = field(default_factory=dict)
    builds: list[ImageBuild] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    capacities: list[Capacity] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    # deployable units (archmatch/link/projects.py); extractors add what only they know (Terraform
    # root modules), linking adds the rest from marker files
    projects: list[Project] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # facts from one extractor for one rule that no other source has (e.g. CDK buildArgs misuse)
    extra: ExtraFacts = field(default_factory=ExtraFacts)
