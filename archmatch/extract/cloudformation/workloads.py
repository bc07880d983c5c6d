"""CloudFormation/SAM resources that run images: Lambda, ECS task definitions, Batch jobs, App Runner."""

from __future__ import annotations

from typing import Any

from archmatch.aws.batch import job_arch_when_omitted, job_gpu_request, job_runs_on_fargate
from archmatch.aws.defaults import LAMBDA_DEFAULT_ARCH, apprunner_arch
from archmatch.aws.ecs import arch_when_omitted, os_family_of
from archmatch.extract.cloudformation import ecs
from archmatch.extract.cloudformation.context import (
    Ctx,
    Resource,
    arch_list_fact,
    arch_text_fact,
    as_list,
    key_value_line,
    sub,
    value_line,
)
from archmatch.extract.cloudformation.intrinsics import known_text
from archmatch.extract.yamlsafe import LDict, line_of
from archmatch.model import BatchJobFacts, EcsFacts, ImageBuild, ImageRef, LambdaFacts, Location, Workload
from archmatch.platforms import ArchFact, How

LAMBDA_DEFAULT = ArchFact.default(
    LAMBDA_DEFAULT_ARCH, note="Lambda runs x86_64 when Architectures is omitted"
)
SAM_PLATFORM_NOTE = "sam build derives it from Architectures"


def lambda_function(ctx: Ctx, res: Resource) -> None:
    """AWS::Lambda::Function and AWS::Serverless::Function (with SAM Globals and build Metadata)."""
    sam = res.type == "AWS::Serverless::Function"
    arch, arch_line, arch_raw = _lambda_arch(ctx, res, sam)
    arch_location, arch_via = _arch_locations(ctx, arch_raw, arch_line)
    package = known_text(res.props.get("PackageType"))
    image_key = "ImageUri" if sam else None
    image_raw = res.raw.get("ImageUri") if sam else sub(res.raw, "Code", "ImageUri")
    metadata = res.body.get("Metadata")
    build = _sam_build(ctx, res, arch, metadata) if package in ("Image", None) else None
    if package != "Image" and not (package is None and (image_raw is not None or build is not None)):
        return  # a Zip function runs no image
    images: list[ImageRef] = []
    sam_key = frozenset({f"sam:{ctx.path}:{res.logical_id}"}) if build is not None else frozenset()
    if image_raw is not None:
        fallback = res.raw.line_of(image_key) if image_key else key_value_line(res.raw, "Code")
        images.append(ctx.image_ref(image_raw, fallback, sam_key))
    elif build is not None:
        # The pushed tag is chosen by `sam deploy`; the Metadata build is the image.
        images.append(ImageRef(f"${{sam:{res.logical_id}}}", build.location, sam_key, resolved=False))
    if build is not None:
        ctx.facts.builds.append(build)
    ctx.facts.workloads.append(
        Workload(
            kind=res.type,
            name=res.logical_id,
            service="lambda",
            location=ctx.loc(res.line),
            arch=arch,
            arch_location=arch_location,
            arch_via=arch_via,
            images=images,
            arch_syntax="sam" if sam else "cfn-lambda",
            lambda_=LambdaFacts(
                package_type=package or "Image", function_name=known_text(res.props.get("FunctionName"))
            ),
        )
    )


def _arch_locations(ctx: Ctx, raw: Any, line: int) -> tuple[Location | None, Location | None]:
    """(where the architecture's literal is written, the line that only refers to it): a parameter's
    Default or a mapping value is where the user changes it; the property line becomes related."""
    origin = ctx.tpl.origin_line(raw) if raw is not None else 0
    if origin and origin != line:
        return ctx.loc(origin), ctx.loc(line) if line else None
    return (ctx.loc(line) if line else None), None


def _lambda_arch(ctx: Ctx, res: Resource, sam: bool) -> tuple[ArchFact, int, Any]:
    local = "Architectures" in res.raw
    global_raw = sub(ctx.tpl.doc, "Globals", "Function") if sam and ctx.tpl.is_sam else None
    in_globals = isinstance(global_raw, LDict) and "Architectures" in global_raw
    if local and in_globals:
        # SAM concatenates list globals with the function's list; Lambda takes exactly one entry.
        line = value_line(res.raw["Architectures"])
        return (
            ArchFact.unknown("Globals and the function both set Architectures; SAM concatenates them"),
            line,
            None,
        )
    if in_globals:
        assert isinstance(global_raw, LDict)
        value = ctx.resolve(global_raw["Architectures"])
        raw = global_raw["Architectures"]
        return (
            arch_list_fact(value, "Globals.Function.Architectures"),
            key_value_line(global_raw, "Architectures"),
            raw,
        )
    if not local or "Architectures" not in res.props:  # omitted, or Ref AWS::NoValue
        return LAMBDA_DEFAULT, 0, None
    raw = res.raw["Architectures"]
    return (
        arch_list_fact(res.props["Architectures"], "Architectures"),
        key_value_line(res.raw, "Architectures"),
        raw,
    )


def _sam_build(ctx: Ctx, res: Resource, arch: ArchFact, metadata: Any) -> ImageBuild | None:
    """The image `sam build` makes from the resource's Metadata (SAM CLI app_builder, docs/aws-facts.md#sam-build)."""
    if not isinstance(metadata, LDict) or "Dockerfile" not in metadata:
        return None
    meta = ctx.resolve(metadata)
    dockerfile, context = known_text(meta.get("Dockerfile")), known_text(meta.get("DockerContext"))
    context_path = ctx.repo_path(context) if context is not None else None
    dockerfile_path = ctx.repo_path(context, dockerfile) if context is not None and dockerfile else None
    if arch.how in (How.EXPLICIT, How.DEFAULT) and len(arch.archs) == 1:
        platforms = ArchFact.explicit(*arch.archs, note=SAM_PLATFORM_NOTE)
    else:
        platforms = ArchFact.unknown(f"{SAM_PLATFORM_NOTE}, which is {arch.describe()}")
    image = known_text(meta.get("DockerImage")) or res.logical_id.lower()
    tag = known_text(meta.get("DockerTag")) or "latest"
    return ImageBuild(
        source="sam",
        name=f"sam build {res.logical_id}",
        location=ctx.loc(metadata.line),
        dockerfile=dockerfile_path,
        context=context_path,
        target=known_text(meta.get("DockerBuildTarget")),
        platforms=platforms,
        tags=[f"{image}:{tag}"],
        link_keys=frozenset({f"sam:{ctx.path}:{res.logical_id}"}),
        fix_syntax="sam",
    )


def ecs_task_definition(ctx: Ctx, res: Resource) -> None:
    platform_raw, platform = res.raw.get("RuntimePlatform"), res.props.get("RuntimePlatform")
    written = arch_text_fact(sub(platform, "CpuArchitecture"), "RuntimePlatform.CpuArchitecture")
    arch_line = key_value_line(platform_raw, "CpuArchitecture") if written else 0
    cpu_raw = sub(platform_raw, "CpuArchitecture") if written else None
    arch_location, arch_via = _arch_locations(ctx, cpu_raw, arch_line)
    images = [
        ctx.image_ref(c.get("Image"), line_of(c))
        for c in as_list(res.raw.get("ContainerDefinitions"))
        if isinstance(c, dict) and c.get("Image") is not None
    ]
    compat = [str(known_text(c) or "?").upper() for c in as_list(res.props.get("RequiresCompatibilities"))]
    os_family_location = (
        ctx.loc(key_value_line(platform_raw, "OperatingSystemFamily"))
        if isinstance(platform_raw, dict) and "OperatingSystemFamily" in platform_raw
        else None
    )
    family = ctx.text(res.raw.get("Family"))
    facts = ecs.hosting(ctx, res.logical_id).facts(tuple(compat) or None, os_family_location, family)
    arch = written
    if arch is None:
        arch, arch_location = arch_when_omitted(facts)
    ctx.facts.workloads.append(
        Workload(
            kind=res.type,
            name=res.logical_id,
            service="ecs",
            location=ctx.loc(res.line),
            arch=arch,
            arch_location=arch_location,
            arch_via=arch_via,
            images=images,
            os_family=_os_family(platform),
            arch_syntax="cfn-ecs",
            ecs=facts,
        )
    )


def batch_job_definition(ctx: Ctx, res: Resource) -> None:
    raw_container = res.raw.get("ContainerProperties")
    capabilities = [str(known_text(c) or "?").upper() for c in as_list(res.props.get("PlatformCapabilities"))]
    fargate = job_runs_on_fargate(capabilities)
    platform = sub(res.props, "ContainerProperties", "RuntimePlatform")
    arch = arch_text_fact(sub(platform, "CpuArchitecture"), "RuntimePlatform.CpuArchitecture")
    arch_line = key_value_line(sub(raw_container, "RuntimePlatform"), "CpuArchitecture") if arch else 0
    if arch is None:
        arch = job_arch_when_omitted(fargate)
    images = [ctx.image_ref(raw, line_of(raw)) for raw in _batch_images(res.raw)]
    if not images:
        return
    ctx.facts.workloads.append(
        Workload(
            kind=res.type,
            name=res.logical_id,
            service="batch",
            location=ctx.loc(res.line),
            arch=arch,
            arch_location=ctx.loc(arch_line) if arch_line else None,
            images=images,
            os_family=_os_family(platform),
            arch_syntax="cfn-batch",
            ecs=EcsFacts(fargate=fargate, platform_capabilities=tuple(capabilities) or None),
            batch=BatchJobFacts(gpu=_batch_gpu(ctx, res.raw)),
        )
    )


def _batch_gpu(ctx: Ctx, raw: LDict) -> bool | None:
    """Whether any container of the job definition asks for a GPU (None: a value not known)."""
    found: bool | None = False
    for container in _batch_containers(raw):
        wants = job_gpu_request(ctx.resolve(sub(container, "ResourceRequirements")))
        if wants:
            return True
        found = None if wants is None else found
    return found


def _batch_containers(raw: LDict) -> list[Any]:
    found = [sub(raw, "ContainerProperties")]
    for task in as_list(sub(raw, "EcsProperties", "TaskProperties")):
        found.extend(as_list(sub(task, "Containers")))
    found.extend(as_list(sub(raw, "EksProperties", "PodProperties", "Containers")))
    found.extend(
        sub(node, "Container") for node in as_list(sub(raw, "NodeProperties", "NodeRangeProperties"))
    )
    return [c for c in found if isinstance(c, dict)]


def _batch_images(raw: LDict) -> list[Any]:
    return [image for c in _batch_containers(raw) if (image := c.get("Image")) is not None]


def apprunner_service(ctx: Ctx, res: Resource) -> None:
    raw_image = sub(res.raw, "SourceConfiguration", "ImageRepository", "ImageIdentifier")
    images = [ctx.image_ref(raw_image, res.line)] if raw_image is not None else []
    ctx.facts.workloads.append(
        Workload(
            kind=res.type,
            name=res.logical_id,
            service="apprunner",
            location=ctx.loc(res.line),
            arch=apprunner_arch(),
            images=images,
        )
    )


def _os_family(platform: Any) -> str:
    """RuntimePlatform.OperatingSystemFamily: the written text, or the unresolved value itself."""
    value = sub(platform, "OperatingSystemFamily")
    text = known_text(value)
    return os_family_of(text if text is not None else value)
