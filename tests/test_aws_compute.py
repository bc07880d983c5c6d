import pytest

from archmatch.aws.compute import (
    INSTANCE_FAMILIES_AMD64,
    INSTANCE_FAMILIES_ARM64,
    ami_name_arch,
    batch_instance_type_arch,
    eks_ami_type_arch,
    instance_type_arch,
    ssm_ami_parameter_arch,
    ssm_ami_parameter_is_verified,
)
from archmatch.platforms import AMD64, ARM64

# --- EC2 instance types (reference §4) -------------------------------------------------------


def test_family_lists_have_reference_sizes_and_are_disjoint() -> None:
    assert len(INSTANCE_FAMILIES_ARM64) == 41
    assert len(INSTANCE_FAMILIES_AMD64) == 136
    assert not INSTANCE_FAMILIES_ARM64 & INSTANCE_FAMILIES_AMD64
    assert {"a1", "g5g", "hpc7g", "c8gb"} <= INSTANCE_FAMILIES_ARM64
    assert {"g5", "u-3tb1", "p6-b200", "m7i-flex"} <= INSTANCE_FAMILIES_AMD64


@pytest.mark.parametrize("family", sorted(INSTANCE_FAMILIES_ARM64))
def test_every_graviton_family_is_arm64(family: str) -> None:
    assert instance_type_arch(family) == ARM64
    assert instance_type_arch(f"{family}.large") == ARM64


@pytest.mark.parametrize("family", sorted(INSTANCE_FAMILIES_AMD64))
def test_every_x86_family_is_amd64(family: str) -> None:
    assert instance_type_arch(family) == AMD64
    assert instance_type_arch(f"{family}.xlarge") == AMD64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # `g` as the GPU *category* is x86; only `g` among the attribute letters means Graviton.
        ("g4ad.xlarge", AMD64),
        ("g4dn.12xlarge", AMD64),
        ("g5.48xlarge", AMD64),
        ("g6e.2xlarge", AMD64),
        ("gr6.4xlarge", AMD64),
        ("g5g.xlarge", ARM64),
        ("is4gen.medium", ARM64),
        ("im4gn.large", ARM64),
        ("x2gd.metal", ARM64),
        ("hpc7g.16xlarge", ARM64),
        ("m7i-flex.xlarge", AMD64),
        ("u7in-16tb.224xlarge", AMD64),
        ("p6-b200.48xlarge", AMD64),
        ("u-6tb1.56xlarge", AMD64),
        ("a1.medium", ARM64),
        ("c7g.large", ARM64),
        ("t4g.micro", ARM64),
        ("c6gn", ARM64),
        ("c7i.metal-24xl", AMD64),
        ("t3.medium", AMD64),
        ("inf2.xlarge", AMD64),
        ("trn1n.32xlarge", AMD64),
        # Not in the list yet but follows the rule (new generation of a known category).
        ("c10g.large", ARM64),
        ("m10i.large", AMD64),
    ],
)
def test_rule_pitfalls(value: str, expected: str) -> None:
    assert instance_type_arch(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mac1.metal", AMD64),
        ("mac2.metal", ARM64),
        ("mac2-m2.metal", ARM64),
        ("mac2-m2pro.metal", ARM64),
        ("mac2", ARM64),
    ],
)
def test_mac_families(value: str, expected: str) -> None:
    assert instance_type_arch(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "p6e-gb200.36xlarge",
        "p6e-gb200",
        "mac2-m1ultra.metal",
        "mac-m4.metal",
        "mac-m4pro.metal",
        "mac3.metal",
        "trn2u.48xlarge",
        "trn2-ac.48xlarge",
    ],
)
def test_unverified_families_are_unknown(value: str) -> None:
    assert instance_type_arch(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "garbage",
        "foo1.large",
        "c7g.",
        "c7g.large.extra",
        ".large",
        "${var.instance_type}",
        "c7g.${var.size}",
        "var.instance_type",
        "local.instance_type",
        "c7g large",
    ],
)
def test_edge_inputs_are_unknown(value: str) -> None:
    assert instance_type_arch(value) is None


def test_case_and_whitespace_are_normalised() -> None:
    assert instance_type_arch("C7G.LARGE") == ARM64
    assert instance_type_arch("  m5.large\n") == AMD64


# --- EKS AMI types (reference §1.6) ----------------------------------------------------------

EKS_X86 = [
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2023_x86_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_x86_64_FIPS",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_x86_64_NVIDIA_FIPS",
]
EKS_WINDOWS = [
    "WINDOWS_CORE_2019_x86_64",
    "WINDOWS_FULL_2019_x86_64",
    "WINDOWS_CORE_2022_x86_64",
    "WINDOWS_FULL_2022_x86_64",
    "WINDOWS_CORE_2025_x86_64",
    "WINDOWS_FULL_2025_x86_64",
]
EKS_ARM = [
    "AL2_ARM_64",
    "AL2023_ARM_64_STANDARD",
    "AL2023_ARM_64_NVIDIA",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_ARM_64_FIPS",
    "BOTTLEROCKET_ARM_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA_FIPS",
]


@pytest.mark.parametrize("ami_type", EKS_X86 + EKS_WINDOWS)
def test_eks_x86_ami_types(ami_type: str) -> None:
    assert eks_ami_type_arch(ami_type) == AMD64


@pytest.mark.parametrize("ami_type", EKS_ARM)
def test_eks_arm_ami_types(ami_type: str) -> None:
    assert eks_ami_type_arch(ami_type) == ARM64


@pytest.mark.parametrize("ami_type", ["CUSTOM", "", "AL2023_ARM_64_NEURON", "${var.ami_type}", "x86_64"])
def test_eks_custom_and_unknown_ami_types(ami_type: str) -> None:
    assert eks_ami_type_arch(ami_type) is None


def test_eks_ami_type_case_and_whitespace() -> None:
    assert eks_ami_type_arch(" al2023_arm_64_standard ") == ARM64
    assert eks_ami_type_arch("AL2_X86_64") == AMD64


# --- SSM public AMI parameters (reference §1.3) ----------------------------------------------

EKS_AL2023_ARM = "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/arm64/standard/recommended/image_id"
ECS_AL2023_ARM = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"


@pytest.mark.parametrize(
    ("path", "expected", "verified"),
    [
        (EKS_AL2023_ARM, ARM64, True),
        (
            "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id",
            AMD64,
            True,
        ),
        (
            "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/nvidia/recommended/image_id",
            AMD64,
            True,
        ),
        (
            "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/neuron/recommended/image_id",
            AMD64,
            True,
        ),
        ("/aws/service/eks/optimized-ami/1.29/amazon-linux-2/recommended/image_id", AMD64, True),
        ("/aws/service/eks/optimized-ami/1.29/amazon-linux-2-arm64/recommended/image_id", ARM64, True),
        ("/aws/service/eks/optimized-ami/1.29/amazon-linux-2-gpu/recommended/image_id", AMD64, True),
        (
            "/aws/service/eks/optimized-ami/${var.cluster_version}/amazon-linux-2023/arm64/standard/recommended/image_id",
            ARM64,
            True,
        ),
        ("/aws/service/bottlerocket/aws-k8s-1.31/arm64/latest/image_id", ARM64, True),
        ("/aws/service/bottlerocket/aws-k8s-1.31/x86_64/latest/image_id", AMD64, True),
        ("/aws/service/bottlerocket/aws-k8s-1.31-nvidia/x86_64/latest/image_id", AMD64, True),
        ("/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id", ARM64, False),
        (ECS_AL2023_ARM, ARM64, False),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id", AMD64, False),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended", AMD64, False),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", AMD64, False),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id", ARM64, False),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id", AMD64, False),
        (
            "/aws/service/ecs/optimized-ami/amazon-linux-2/kernel-5.10/arm64/recommended/image_id",
            ARM64,
            False,
        ),
    ],
)
def test_ssm_paths(path: str, expected: str, verified: bool) -> None:
    assert ssm_ami_parameter_arch(path) == expected
    assert ssm_ami_parameter_is_verified(path) is verified


@pytest.mark.parametrize(
    "wrapped",
    [
        f"resolve:ssm:{EKS_AL2023_ARM}",
        f"{{{{resolve:ssm:{EKS_AL2023_ARM}}}}}",
        f"{{{{resolve:ssm:{EKS_AL2023_ARM}:3}}}}",
        f'"{EKS_AL2023_ARM}"',
        f"  {EKS_AL2023_ARM}\n",
        f"arn:aws:ssm:us-east-1::parameter{EKS_AL2023_ARM}",
    ],
)
def test_ssm_wrapped_forms(wrapped: str) -> None:
    assert ssm_ami_parameter_arch(wrapped) == ARM64
    assert ssm_ami_parameter_is_verified(wrapped)


def test_ssm_wrapped_ecs_is_recognised_but_unverified() -> None:
    assert ssm_ami_parameter_arch(f"{{{{resolve:ssm:{ECS_AL2023_ARM}}}}}") == ARM64
    assert not ssm_ami_parameter_is_verified(f"resolve:ssm:{ECS_AL2023_ARM}")


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/my/own/parameter",
        "ami-0123456789abcdef0",
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/${var.arch}/standard/recommended/image_id",
        "/aws/service/bottlerocket/aws-k8s-1.31/${local.arch}/latest/image_id",
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/${var.variant}/recommended/image_id",
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        "/aws/service/ecs/optimized-ami/amazon-linux/recommended/image_id",
    ],
)
def test_ssm_unrecognised(path: str) -> None:
    assert ssm_ami_parameter_arch(path) is None
    assert not ssm_ami_parameter_is_verified(path)


# --- AWS Batch instance types (reference §1.8) -----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("default_x86_64", AMD64),
        ("default_arm64", ARM64),
        ("optimal", AMD64),
        (" OPTIMAL ", AMD64),
        ("c7g", ARM64),
        ("m6g.xlarge", ARM64),
        ("c5", AMD64),
        ("r6i.2xlarge", AMD64),
        ("default", None),
        ("default_arm", None),
        ("", None),
        ("${var.instance_type}", None),
    ],
)
def test_batch_instance_types(value: str, expected: str | None) -> None:
    assert batch_instance_type_arch(value) == expected


# --- AMI name filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("al2023-ami-*-arm64", ARM64),
        ("al2023-ami-2023.*-kernel-6.1-x86_64", AMD64),
        ("amzn2-ami-hvm-*-x86_64-gp2", AMD64),
        ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-arm64-server-*", ARM64),
        ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*", AMD64),
        ("*-aarch64-*", ARM64),
        ("bottlerocket-aws-k8s-1.30-aarch64-v*", ARM64),
        ("RHEL-9.*_HVM-*-X86_64-*", AMD64),
        ("al2023-ami-*", None),
        ("Windows_Server-2022-English-Full-Base-*", None),
        ("multi-arm64-x86_64-*", None),
        ("ubuntu-*-${var.arch}-server-*", None),
        ("my-farm64-image", None),
        ("", None),
    ],
)
def test_ami_name_arch(name: str, expected: str | None) -> None:
    assert ami_name_arch(name) == expected
