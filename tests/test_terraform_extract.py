"""Terraform extraction: value resolution, modules, public modules, builds, diagnostics."""

from __future__ import annotations

from pathlib import Path

from archmatch.config import Config
from archmatch.engine import analyze
from archmatch.model import Location, RepoFacts, Workload
from archmatch.platforms import AMD64, ARM64, ArchFact, How


def _scan(tmp_path: Path, files: dict[str, str]) -> RepoFacts:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    facts, _ = analyze(tmp_path, Config())
    return facts


def _workload(facts: RepoFacts, name: str) -> Workload:
    return next(w for w in facts.workloads if w.name == name)


def test_tfvars_override_defaults_and_locals_conditionals_interpolation_resolve(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "infra/main.tf": (
                'variable "graviton" {\n  default = false\n}\n'  # 1-3
                'variable "tag" {\n  default = "v1"\n}\n'  # 4-6
                'locals {\n  registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"\n'  # 7-8
                '  arch = var.graviton == true ? "arm64" : "x86_64"\n}\n'  # 9-10
                'resource "aws_lambda_function" "fn" {\n'  # 11
                '  package_type  = "Image"\n'  # 12
                "  architectures = [local.arch]\n"  # 13
                '  image_uri     = "${local.registry}/fn:${var.tag}"\n'  # 14
                "}\n"
            ),
            "infra/terraform.tfvars": 'graviton = true\ntag = "from-tfvars"\n',
            "infra/z.auto.tfvars": 'tag = "from-auto"\n',
        },
    )
    fn = _workload(facts, "aws_lambda_function.fn")
    assert fn.arch == ArchFact.explicit(ARM64)
    # located at the literal (the local's conditional), with the attribute that uses it related
    assert (fn.arch_location, fn.arch_via) == (Location("infra/main.tf", 9), Location("infra/main.tf", 13))
    assert fn.location == Location("infra/main.tf", 11)
    assert [(i.ref, i.location.line, i.resolved) for i in fn.images] == [
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:from-auto", 14, True)
    ]
    assert fn.lambda_ is not None and fn.lambda_.package_type == "Image"
    assert fn.arch_syntax == "tf-lambda"


def test_unresolvable_values_stay_unknown_and_keep_placeholders(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "main.tf": (
                'variable "arch" {}\n'
                'resource "aws_lambda_function" "fn" {\n'
                '  package_type  = "Image"\n'
                "  architectures = [var.arch]\n"
                '  image_uri     = "${aws_ecr_repository.app.repository_url}:${data.external.git.result.sha}"\n'
                "}\n"
                'resource "aws_ecr_repository" "app" {\n  name = "app"\n}\n'
            )
        },
    )
    fn = _workload(facts, "aws_lambda_function.fn")
    assert fn.arch.how is How.UNKNOWN and not fn.arch.archs
    image = fn.images[0]
    assert image.ref == "${aws_ecr_repository.app.repository_url}:${data.external.git.result.sha}"
    assert image.resolved is False
    assert image.link_keys == frozenset({"ecr:app"})


def test_default_arch_when_nothing_is_written(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path, {"main.tf": 'resource "aws_lambda_function" "zip" {\n  runtime = "python3.12"\n}\n'}
    )
    fn = _workload(facts, "aws_lambda_function.zip")
    assert fn.arch == ArchFact.default(AMD64, note="architectures not set")
    assert fn.arch_location is None
    assert fn.lambda_ is not None and fn.lambda_.package_type == "Zip"


def test_container_definitions_from_jsonencode_file_and_templatefile(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "ecs/main.tf": (
                'locals {\n  tag = "2.0"\n}\n'  # 1-3
                'resource "aws_ecs_task_definition" "inline" {\n'  # 4
                "  container_definitions = jsonencode([\n"  # 5
                '    { name = "a", image = "nginx:${local.tag}" },\n'  # 6
                "  ])\n"
                '  runtime_platform {\n    cpu_architecture = "ARM64"\n  }\n'  # 8-10
                "}\n"
                'resource "aws_ecs_task_definition" "from_file" {\n'  # 12
                '  container_definitions = file("${path.module}/containers.json")\n'
                "}\n"
                'resource "aws_ecs_task_definition" "from_template" {\n'  # 15
                '  container_definitions = templatefile("${path.module}/tpl.json", { image = "redis:7" })\n'
                "}\n"
                'resource "aws_ecs_task_definition" "outside" {\n'  # 18
                '  container_definitions = file("../../etc/passwd")\n'
                "}\n"
            ),
            "ecs/containers.json": '[\n  {\n    "name": "web",\n    "image": "httpd:2.4"\n  },\n  {\n    "name": "log",\n    "image": "fluentd:v1"\n  }\n]\n',
            "ecs/tpl.json": '[{"name": "cache",\n  "image": "${image}"}]\n',
        },
    )
    inline = _workload(facts, "aws_ecs_task_definition.inline")
    assert [(i.ref, i.location) for i in inline.images] == [("nginx:2.0", Location("ecs/main.tf", 6))]
    assert inline.arch == ArchFact.explicit(ARM64) and inline.arch_location == Location("ecs/main.tf", 9)
    from_file = _workload(facts, "aws_ecs_task_definition.from_file")
    assert [(i.ref, i.location) for i in from_file.images] == [
        ("httpd:2.4", Location("ecs/containers.json", 4)),
        ("fluentd:v1", Location("ecs/containers.json", 8)),
    ]
    # not on Fargate and no capacity chain: the container instances decide (archmatch/aws/ecs.py)
    assert from_file.arch == ArchFact.unknown(
        "no cpuArchitecture and not on Fargate: the container instances decide"
    )
    template = _workload(facts, "aws_ecs_task_definition.from_template")
    assert [(i.ref, i.location) for i in template.images] == [("redis:7", Location("ecs/tpl.json", 2))]
    assert _workload(facts, "aws_ecs_task_definition.outside").images == []


def test_local_modules_are_followed_with_inputs_bound_and_recursion_guarded(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "main.tf": (
                'module "api" {\n  source = "./modules/fn"\n  arch   = "arm64"\n  image  = "${aws_ecr_repository.api.repository_url}:v3"\n}\n'
                'resource "aws_ecr_repository" "api" {\n  name = "api-repo"\n}\n'
                'output "uri" {\n  value = module.api.uri\n}\n'
            ),
            "modules/fn/main.tf": (
                'variable "arch" {\n  default = "x86_64"\n}\n'
                'variable "image" {}\n'
                'resource "aws_lambda_function" "this" {\n'  # 5
                '  package_type  = "Image"\n'
                "  architectures = [var.arch]\n"  # 7
                "  image_uri     = var.image\n"
                "}\n"
                'output "uri" {\n  value = var.image\n}\n'
                'module "self" {\n  source = "../fn"\n}\n'
            ),
        },
    )
    names = sorted(w.name for w in facts.workloads)
    assert names == ["module.api.aws_lambda_function.this"]
    fn = facts.workloads[0]
    assert fn.arch == ArchFact.explicit(ARM64)
    # the caller's literal, where the user can act; the module-internal line is related
    assert (fn.arch_location, fn.arch_via) == (Location("main.tf", 3), Location("modules/fn/main.tf", 7))
    assert fn.images[0].ref == "${aws_ecr_repository.api.repository_url}:v3"
    assert fn.images[0].link_keys == frozenset({"ecr:api-repo"})


def test_docker_builds_and_their_link_keys(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "infra/main.tf": (
                'resource "aws_ecr_repository" "app" {\n  name = "app"\n}\n'
                'resource "docker_image" "app" {\n'  # 4
                '  name = "${aws_ecr_repository.app.repository_url}:v1"\n'
                "  build {\n"
                '    context    = "${path.module}/../src"\n'
                '    dockerfile = "docker/Dockerfile.prod"\n'
                '    platform   = "linux/arm64"\n'  # 9
                '    target     = "runtime"\n'
                "  }\n}\n"
                'resource "docker_registry_image" "app" {\n  name = docker_image.app.name\n}\n'
                'resource "docker_image" "worker" {\n'  # 16
                '  name = "worker:latest"\n'
                '  build {\n    context = "../worker"\n  }\n}\n'
                'resource "aws_lambda_function" "fn" {\n  package_type = "Image"\n  image_uri = docker_registry_image.app.name\n}\n'
            ),
        },
    )
    builds = {b.name: b for b in facts.builds}
    app = builds["terraform docker_image.app"]
    assert (app.source, app.location, app.context, app.dockerfile, app.target) == (
        "terraform-docker",
        Location("infra/main.tf", 4),
        "src",
        "src/docker/Dockerfile.prod",
        "runtime",
    )
    assert app.platforms == ArchFact.explicit(ARM64) and app.platform_location == Location("infra/main.tf", 9)
    assert app.link_keys == frozenset({"tf:docker_image.app", "tf:docker_registry_image.app", "ecr:app"})
    assert app.fix_syntax == "tf-docker"
    worker = builds["terraform docker_image.worker"]
    assert worker.platforms.how is How.HOST and worker.dockerfile == "worker/Dockerfile"
    assert worker.tags == ["worker:latest"]
    fn = _workload(facts, "aws_lambda_function.fn")
    assert {"tf:docker_registry_image.app", "tf:docker_image.app", "ecr:app"} <= fn.images[0].link_keys
    assert [(lk.build.name, lk.confidence) for lk in facts.links] == [("terraform docker_image.app", "high")]


def test_public_modules_lambda_docker_build_ecs_and_eks(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "main.tf": (
                'module "image" {\n'  # 1
                '  source      = "terraform-aws-modules/lambda/aws//modules/docker-build"\n'
                '  ecr_repo    = "fn"\n'
                '  image_tag   = "1.0"\n'
                '  source_path = "${path.module}/src"\n'
                "}\n"
                'module "fn" {\n'  # 7
                '  source         = "terraform-aws-modules/lambda/aws"\n'
                "  create_package = false\n"
                '  package_type   = "Image"\n'
                '  architectures  = ["arm64"]\n'  # 11
                "  image_uri      = module.image.image_uri\n"  # 12
                "}\n"
                'module "svc" {\n'  # 14
                '  source = "terraform-aws-modules/ecs/aws//modules/service"\n'
                "  container_definitions = {\n"
                '    app = {\n      image = "public.ecr.aws/nginx/nginx:1.27"\n    }\n'  # 17-19
                "  }\n}\n"
                'module "eks" {\n'  # 22
                '  source = "terraform-aws-modules/eks/aws"\n'
                "  eks_managed_node_groups = {\n"
                "    arm = {\n"  # 25
                '      ami_type       = "AL2023_ARM_64_STANDARD"\n'
                '      instance_types = ["m7g.large"]\n'  # 27
                "    }\n  }\n}\n"
            ),
            "src/Dockerfile": "FROM alpine\n",
        },
    )
    build = next(b for b in facts.builds if b.source == "terraform-lambda-docker-build")
    assert (build.location, build.context, build.dockerfile) == (
        Location("main.tf", 1),
        "src",
        "src/Dockerfile",
    )
    assert build.platforms.how is How.HOST
    assert build.link_keys == frozenset({"tf:module.image", "ecr:fn"})
    fn = _workload(facts, "module.fn")
    assert (fn.arch, fn.arch_location, fn.lambda_ and fn.lambda_.package_type) == (
        ArchFact.explicit(ARM64),
        Location("main.tf", 11),
        "Image",
    )
    assert fn.images[0].link_keys == frozenset({"tf:module.image"}) and fn.images[0].location == Location(
        "main.tf", 12
    )
    assert [(lk.workload.name, lk.build.name) for lk in facts.links] == [
        ("module.fn", "the docker-build module call module.image")
    ]
    svc = _workload(facts, "module.svc")
    assert svc.arch.how is How.DEFAULT and svc.arch.archs == {AMD64}
    assert svc.ecs is not None
    assert svc.ecs.fargate is True and svc.ecs.requires_compatibilities == ("FARGATE",)
    assert [(i.ref, i.location.line) for i in svc.images] == [("public.ecr.aws/nginx/nginx:1.27", 18)]
    group = next(c for c in facts.capacities if c.name == "module.eks.eks_managed_node_groups.arm")
    assert group.ami_arch.archs == {ARM64} and group.ami_location == Location("main.tf", 26)
    assert [(i.instance_type, i.arch, i.location.line) for i in group.instance_types] == [
        ("m7g.large", ARM64, 27)
    ]


def test_ecs_capacity_chain_records_host_arch(tmp_path: Path) -> None:
    root = Path(__file__).parent / "fixtures" / "rules" / "ARCH206" / "fail_tf_capacity_provider_chain"
    facts, _ = analyze(root, Config())
    task = _workload(facts, "aws_ecs_task_definition.app")
    assert task.ecs is not None and task.ecs.hosts is not None
    assert task.ecs.hosts.arch.archs == {ARM64}
    assert task.ecs.hosts.name == "aws_autoscaling_group.ecs"
    assert task.ecs.hosts.location == Location("main.tf", 7)
    assert task.ecs.fargate is False


def test_broken_file_gives_a_diagnostic_with_line_and_the_rest_is_scanned(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "broken/main.tf": 'resource "aws_lambda_function" "x" {\n  package_type = "Image"\n  architectures = \n}\n',
            "broken/ok.tf": 'resource "aws_lambda_function" "y" {\n  package_type = "Image"\n}\n',
            "good/main.tf": 'resource "aws_lambda_function" "z" {\n  architectures = ["arm64"]\n}\n',
        },
    )
    parse = [d for d in facts.diagnostics if d.code == "parse"]
    assert [(d.location.path, d.location.line) for d in parse] == [("broken/main.tf", 3)]
    assert "HCL syntax error" in parse[0].message
    assert sorted(w.name for w in facts.workloads) == ["aws_lambda_function.y", "aws_lambda_function.z"]


def test_tf_json_files_are_read(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "main.tf.json": '{\n  "resource": {\n    "aws_lambda_function": {\n      "fn": {\n        "package_type": "Image",\n'
            '        "architectures": ["arm64"],\n        "image_uri": "repo/fn:${var.tag}"\n      }\n    }\n  },\n'
            '  "variable": {"tag": {"default": "v9"}}\n}\n',
        },
    )
    fn = _workload(facts, "aws_lambda_function.fn")
    assert fn.arch == ArchFact.explicit(ARM64)
    assert fn.images[0].ref == "repo/fn:v9"


def test_operator_precedence_is_restored(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "main.tf": (
                'variable "a" {\n  default = 1\n}\n'
                'resource "aws_lambda_function" "fn" {\n'
                '  architectures = [var.a + 1 == 2 && var.a < 2 || false ? "arm64" : "x86_64"]\n'
                "}\n"
            )
        },
    )
    assert _workload(facts, "aws_lambda_function.fn").arch == ArchFact.explicit(ARM64)


def test_same_address_in_two_root_modules_gives_two_workloads(tmp_path: Path) -> None:
    tf = 'resource "aws_lambda_function" "fn" {\n  package_type  = "Image"\n  image_uri     = "r/fn:1"\n  architectures = ["%s"]\n}\n'
    facts = _scan(tmp_path, {"a/main.tf": tf % "arm64", "b/main.tf": tf % "x86_64"})
    got = sorted((w.location.path, w.name, sorted(w.arch.archs)[0]) for w in facts.workloads)
    assert got == [
        ("a/main.tf", "aws_lambda_function.fn", ARM64),
        ("b/main.tf", "aws_lambda_function.fn", AMD64),
    ]


def test_provenance_follows_tfvars_module_inputs_and_build_platforms(tmp_path: Path) -> None:
    """Values keep where their literal was written: tfvars -> module input -> resource inside the
    module; the module-internal attribute becomes `arch_via` / `platform_via`."""
    facts = _scan(
        tmp_path,
        {
            "envs/prod/main.tf": (
                'variable "arch" {}\n'  # 1
                'variable "platform" {}\n'  # 2
                'module "fn" {\n'  # 3
                '  source        = "../../modules/fn"\n'
                "  architectures = [var.arch]\n"  # 5
                "  platform      = var.platform\n"  # 6
                "}\n"
            ),
            "envs/prod/terraform.tfvars": 'arch     = "arm64"\nplatform = "linux/arm64"\n',
            "modules/fn/main.tf": (
                'variable "architectures" {}\n'
                'variable "platform" {}\n'
                'resource "docker_image" "img" {\n'  # 3
                '  name = "registry.example.com/fn:1"\n'
                "  build {\n"
                '    context  = "app"\n'
                "    platform = var.platform\n"  # 7
                "  }\n}\n"
                'resource "aws_lambda_function" "this" {\n'  # 10
                '  package_type  = "Image"\n'
                "  architectures = var.architectures\n"  # 12
                "  image_uri     = docker_image.img.name\n"
                "}\n"
            ),
        },
    )
    fn = _workload(facts, "module.fn.aws_lambda_function.this")
    assert fn.arch == ArchFact.explicit(ARM64)
    assert (fn.arch_location, fn.arch_via) == (
        Location("envs/prod/terraform.tfvars", 1),
        Location("modules/fn/main.tf", 12),
    )
    build = next(b for b in facts.builds if b.name.endswith("docker_image.img"))
    assert build.platforms == ArchFact.explicit(ARM64)
    assert (build.platform_location, build.platform_via) == (
        Location("envs/prod/terraform.tfvars", 2),
        Location("modules/fn/main.tf", 7),
    )
    # a literal written where it is used has no via
    direct = _scan(
        tmp_path / "direct",
        {"main.tf": 'resource "aws_lambda_function" "f" {\n  architectures = ["arm64"]\n}\n'},
    )
    f = _workload(direct, "aws_lambda_function.f")
    assert (f.arch_location, f.arch_via) == (Location("main.tf", 2), None)


def test_jsonencode_container_definitions_with_quoted_keys(tmp_path: Path) -> None:
    """`"image" : "nginx"` (JSON-style quoted keys inside jsonencode) is read like `image = "nginx"`,
    through a local too."""
    facts = _scan(
        tmp_path,
        {
            "main.tf": """
locals {
  container_image = "amazon/amazon-ecs-sample"
}
resource "aws_ecs_task_definition" "quoted" {
  family                   = "quoted"
  requires_compatibilities = ["FARGATE"]
  container_definitions = jsonencode([
    {
      "name" : "web",
      "image" : "nginx",
    },
    {
      "name" : "sample",
      "image" : "${local.container_image}",
    }
  ])
}
"""
        },
    )
    images = [(i.ref, i.location.line) for i in _workload(facts, "aws_ecs_task_definition.quoted").images]
    assert images == [("nginx", 11), ("amazon/amazon-ecs-sample", 15)]


def test_every_public_module_the_extractor_reads_says_what_it_creates() -> None:
    """The Checkov integration learns from `terraform_modules` which module calls archmatch reads;
    the extractor's handlers must be exactly those."""
    from archmatch.extract import terraform_modules
    from archmatch.extract.terraform import public

    assert set(public._HANDLERS) == set(terraform_modules._CREATES)


_FN_MODULE = (
    'variable "name" {}\nvariable "arch" {}\n'
    'resource "aws_lambda_function" "this" {\n  function_name = var.name\n  package_type  = "Image"\n'
    '  image_uri     = "app:1"\n  architectures = [var.arch]\n}\n'
    'output "function_name" {\n  value = aws_lambda_function.this.function_name\n}\n'
)


def test_local_module_for_each_and_count_are_one_instance_per_key(tmp_path: Path) -> None:
    facts = _scan(
        tmp_path,
        {
            "modules/fn/main.tf": _FN_MODULE,
            "main.tf": (
                'variable "unknown" {}\n'
                'module "svc" {\n  source   = "./modules/fn"\n'
                '  for_each = { api = "arm64", worker = "x86_64" }\n'
                "  name     = each.key\n  arch     = each.value\n}\n"
                'module "n" {\n  source = "./modules/fn"\n  count  = 2\n'
                '  name   = "n${count.index}"\n  arch   = "arm64"\n}\n'
                'module "none" {\n  source   = "./modules/fn"\n  for_each = {}\n'
                "  name     = each.key\n  arch     = each.value\n}\n"
                'module "some" {\n  source   = "./modules/fn"\n  for_each = var.unknown\n'
                "  name     = each.key\n  arch     = each.value\n}\n"
                # an output of one instance, by its key, names the function of that instance
                'resource "aws_lambda_function" "copy" {\n  function_name = module.svc["worker"].function_name\n'
                '  package_type  = "Image"\n  image_uri     = "app:1"\n}\n'
            ),
        },
    )
    archs = {w.name: w.arch for w in facts.workloads}
    assert archs == {
        'module.svc["api"].aws_lambda_function.this': ArchFact.explicit(ARM64),
        'module.svc["worker"].aws_lambda_function.this': ArchFact.explicit(AMD64),
        "module.n[0].aws_lambda_function.this": ArchFact.explicit(ARM64),
        "module.n[1].aws_lambda_function.this": ArchFact.explicit(ARM64),
        "module.some.aws_lambda_function.this": archs["module.some.aws_lambda_function.this"],
        "aws_lambda_function.copy": archs["aws_lambda_function.copy"],
    }
    assert archs["module.some.aws_lambda_function.this"].how is How.UNKNOWN  # an unknown collection
    # the api instance's architecture is located in the caller (the argument `arch = each.value`;
    # a for_each map from a local would give the map entry's own line, as for resources)
    api = _workload(facts, 'module.svc["api"].aws_lambda_function.this')
    assert api.arch_location == Location("main.tf", 6)
    copy = _workload(facts, "aws_lambda_function.copy")
    assert copy.lambda_ is not None and copy.lambda_.function_name == "worker"


def test_continuation_lines_starting_with_an_operator_after_a_unary_operation(tmp_path: Path) -> None:
    # valid HCL (seen in a public guidance repository): newlines inside parentheses are insignificant,
    # also after `!contains(...)`
    facts = _scan(
        tmp_path,
        {
            "main.tf": """
locals {
  regions = ["eu-west-1"]
  graviton = (
    !contains(local.regions, "us-east-1")
    && !contains(local.regions, "us-west-2")
    || false
  )
}
resource "aws_lambda_function" "f" {
  function_name = "f"
  package_type  = "Image"
  image_uri     = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/f:1"
  architectures = local.graviton ? ["arm64"] : ["x86_64"]
}
""",
        },
    )
    assert not [d for d in facts.diagnostics if d.level != "note"]
    assert _workload(facts, "aws_lambda_function.f").arch.archs == {ARM64}


def test_a_module_source_outside_the_scan_root_is_a_note_and_is_not_read(tmp_path: Path) -> None:
    lambda_tf = 'resource "aws_lambda_function" "outside" {\n  package_type = "Image"\n}\n'
    (tmp_path / "shared/fn").mkdir(parents=True)
    (tmp_path / "shared/fn/main.tf").write_text(lambda_tf)
    facts = _scan(
        tmp_path / "repo",
        {
            "envs/dev/main.tf": (
                'module "fn" {\n  source = "../../../shared/fn"\n}\n'  # 1-3: leaves the root
                'module "local" {\n  source = "../../modules/local"\n}\n'  # 4-6: inside it
                'module "lambda" {\n  source = "terraform-aws-modules/lambda/aws"\n}\n'
            ),
            "modules/local/main.tf": 'resource "aws_lambda_function" "inside" {\n  package_type = "Image"\n}\n',
        },
    )
    notes = [(d.location.path, d.location.line, d.level, d.message) for d in facts.diagnostics]
    assert notes == [
        (
            "envs/dev/main.tf",
            2,
            "note",
            'module "fn": source "../../../shared/fn" is outside the scan root, so it is not read '
            "(scan a folder that holds it to check what it creates)",
        )
    ]
    assert "module.local.aws_lambda_function.inside" in [w.name for w in facts.workloads]
    assert not [w for w in facts.workloads if "outside" in w.name]
