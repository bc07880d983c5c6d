"""CPU architecture of AWS compute identifiers: EC2 instance types, EKS AMI types, SSM AMI
parameters, Batch instance-type keywords and AMI name filters (docs/aws-facts.md: instance-types, eks-node-groups, ecs-capacity, batch-instance-types).

The `*_arch` functions return `AMD64`, `ARM64` or None; None means unknown *or* UNVERIFIED in
the reference, so callers never get a confident answer the reference does not back.
"""

import re

from archmatch import lazyre
from archmatch.platforms import AMD64, ARM64


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# docs/aws-facts.md#instance-types: Karpenter's DescribeInstanceTypes-generated list (regenerated 2026-07-11).
INSTANCE_FAMILIES_ARM64 = _words(
    "a1 c6g c6gd c6gn c7g c7gd c7gn c8g c8gb c8gd c8gn c9g c9gd g5g hpc7g i4g i8g i8ge im4gn is4gen "
    "m6g m6gd m7g m7gd m8g m8gb m8gd m8gn m9g m9gd r6g r6gd r7g r7gd r8g r8gb r8gd r8gn t4g x2gd x8g"
)
INSTANCE_FAMILIES_AMD64 = _words(
    "c1 c3 c4 c5 c5a c5ad c5d c5n c6a c6i c6id c6in c7a c7i c7i-flex c8a c8i c8i-flex c8ib c8id c8in "
    "c8ine d2 d3 d3en dl2q f2 g4ad g4dn g5 g6 g6e g6f g7 g7e gr6 gr6f h1 hpc6a hpc6id hpc7a hpc8a i2 i3 "
    "i3en i4i i7i i7ie inf1 inf2 m1 m2 m3 m4 m5 m5a m5ad m5d m5dn m5n m5zn m6a m6i m6id m6idn m6in m7a "
    "m7i m7i-flex m8a m8azn m8i m8i-flex m8ib m8id m8idb m8idn m8in m8ine p3dn p4d p4de p5 p5e p5en "
    "p6-b200 p6-b300 r3 r4 r5 r5a r5ad r5b r5d r5dn r5n r6a r6i r6id r6idn r6in r7a r7i r7iz r8a r8i "
    "r8i-flex r8ib r8id r8idb r8idn r8in t1 t2 t3 t3a trn1 trn1n trn2 u-3tb1 u-6tb1 u7i-12tb u7i-6tb "
    "u7i-8tb u7in-16tb u7in-24tb u7in-32tb vt1 x1 x1e x2idn x2iedn x2iezn x8aedz x8i z1d"
)

# Mac families are macOS-only and outside the naming rule (docs/aws-facts.md#instance-types). `mac2-m1ultra` and
# `mac-m4*` are deliberately absent: their arch value is UNVERIFIED.
_MAC_FAMILIES = {"mac1": AMD64, "mac2": ARM64, "mac2-m2": ARM64, "mac2-m2pro": ARM64}

_INSTANCE_TYPE = lazyre.compile(r"(?P<family>[a-z0-9-]+)(?:\.[a-z0-9-]+)?")
_FAMILY = lazyre.compile(r"(?P<cat>[a-z]+)(?P<gen>\d+)(?P<attr>[a-z]*)(?:-(?P<suffix>[a-z0-9]+))?")
_LEGACY_HIGH_MEMORY = lazyre.compile(r"u-\d+tb\d*")  # u-3tb1, u-6tb1: no generation digit, Intel

# Only categories seen in the family list count, so garbage like `foo1.large` stays unknown.
_CATEGORIES = frozenset(
    m["cat"] for f in INSTANCE_FAMILIES_ARM64 | INSTANCE_FAMILIES_AMD64 if (m := _FAMILY.fullmatch(f))
)


def instance_type_arch(instance_type: str) -> str | None:
    """Arch of an EC2 instance type (`c7g.large`) or bare family (`c6gn`), per docs/aws-facts.md#instance-types."""
    m = _INSTANCE_TYPE.fullmatch(instance_type.strip().lower())
    if not m:
        return None
    family = m["family"]
    if family.startswith("mac"):
        return _MAC_FAMILIES.get(family)
    if _LEGACY_HIGH_MEMORY.fullmatch(family):
        return AMD64
    f = _FAMILY.fullmatch(family)
    if not f or f["cat"] not in _CATEGORIES:
        return None
    # UNVERIFIED (docs/aws-facts.md#instance-types): Grace-Blackwell hosts (`p6e-gb200`) reportedly have an Arm CPU,
    # which the rule would get wrong; Trainium variants beyond the listed ones (`trn2u`, `trn2-ac`).
    if (f["suffix"] or "").startswith("gb"):
        return None
    if f["cat"] == "trn" and family not in INSTANCE_FAMILIES_AMD64:
        return None
    return ARM64 if family == "a1" or "g" in f["attr"] else AMD64


# docs/aws-facts.md#eks-node-groups (CFN schema 2026-06-15). CUSTOM is absent: its arch comes from the launch template's AMI.
_EKS_AMI_TYPES_AMD64 = _words(
    "AL2_x86_64 AL2_x86_64_GPU AL2023_x86_64_STANDARD AL2023_x86_64_NVIDIA AL2023_x86_64_NEURON "
    "BOTTLEROCKET_x86_64 BOTTLEROCKET_x86_64_FIPS BOTTLEROCKET_x86_64_NVIDIA BOTTLEROCKET_x86_64_NVIDIA_FIPS "
    "WINDOWS_CORE_2019_x86_64 WINDOWS_FULL_2019_x86_64 WINDOWS_CORE_2022_x86_64 WINDOWS_FULL_2022_x86_64 "
    "WINDOWS_CORE_2025_x86_64 WINDOWS_FULL_2025_x86_64"
)
_EKS_AMI_TYPES_ARM64 = _words(
    "AL2_ARM_64 AL2023_ARM_64_STANDARD AL2023_ARM_64_NVIDIA BOTTLEROCKET_ARM_64 BOTTLEROCKET_ARM_64_FIPS "
    "BOTTLEROCKET_ARM_64_NVIDIA BOTTLEROCKET_ARM_64_NVIDIA_FIPS"
)
_EKS_AMI_TYPE_ARCH = {t.upper(): AMD64 for t in _EKS_AMI_TYPES_AMD64} | {
    t.upper(): ARM64 for t in _EKS_AMI_TYPES_ARM64
}


def eks_ami_type_arch(ami_type: str) -> str | None:
    """Arch of an EKS managed node group `amiType`; None for `CUSTOM` and unknown values."""
    return _EKS_AMI_TYPE_ARCH.get(ami_type.strip().upper())


# (pattern, verified). Verified = documented in the EKS user guide (docs/aws-facts.md#eks-node-groups); the ECS-optimized
# pattern is only observed in public IaC (UNVERIFIED-official). Group `arch` holds the arch marker.
_SSM_PATTERNS: tuple[tuple[re.Pattern[str], bool], ...] = (
    (lazyre.compile(r"/aws/service/eks/optimized-ami/[^/]+/amazon-linux-2023/(?P<arch>x86_64|arm64)/"), True),
    (lazyre.compile(r"/aws/service/eks/optimized-ami/[^/]+/amazon-linux-2(?P<arch>|-arm64|-gpu)/"), True),
    (lazyre.compile(r"/aws/service/bottlerocket/aws-k8s-[^/]+/(?P<arch>x86_64|arm64)/"), True),
    (lazyre.compile(r"/aws/service/bottlerocket/[^/]+/(?P<arch>x86_64|arm64)/"), False),
    (
        lazyre.compile(
            r"/aws/service/ecs/optimized-ami/amazon-linux-(?:2|2023)/(?:kernel-[^/]+/)?"
            r"(?P<arch>arm64/|gpu/|inf/|neuron/|)recommended/"
        ),
        False,
    ),
)


_REVERSED_VERSION_TAIL = lazyre.compile(r"\W*(?:\d+:)?")


def _without_version_tail(text: str) -> str:
    r"""`text` without a trailing `:<digits>` and non-word characters: what
    `re.sub(r"(?::\d+)?\W*$", "", text)` gives, matched on the reversed text from its start, as
    that search is quadratic on a long run of non-word characters."""
    return text[: len(text) - _REVERSED_VERSION_TAIL.match(text[::-1]).end()]  # type: ignore[union-attr]


def _ssm_match(path: str) -> tuple[re.Match[str], bool] | None:
    # Accepts the bare name, `resolve:ssm:<name>[:version]`, `{{resolve:ssm:...}}`, an SSM parameter
    # ARN, or a Terraform `name = "..."` string (interpolation such as `${var.k8s}` is fine in the
    # version segment because the arch segment is literal).
    start = path.find("/aws/service/")
    if start < 0:
        return None
    name = _without_version_tail(path[start:])  # drop `:version`, `}}`, quotes
    for pattern, verified in _SSM_PATTERNS:
        if m := pattern.match(name + "/"):
            return m, verified
    return None


def ssm_ami_parameter_arch(path: str) -> str | None:
    """Arch of the AMI behind a well-known public SSM parameter path; None if not recognised."""
    hit = _ssm_match(path)
    if hit is None:
        return None
    return ARM64 if "arm64" in hit[0]["arch"] else AMD64


def ssm_ami_parameter_is_verified(path: str) -> bool:
    """True only for the EKS-optimized / Bottlerocket (aws-k8s) patterns from the EKS user guide."""
    hit = _ssm_match(path)
    return hit is not None and hit[1]


# docs/aws-facts.md#batch-instance-types: `optimal` picks c4/m4/r4/c5/m5/r5 and is moving to `default_x86_64` - x86 either way.
BATCH_KEYWORDS = {"default_x86_64": AMD64, "default_arm64": ARM64, "optimal": AMD64}


def batch_instance_type_arch(value: str) -> str | None:
    """Arch of one AWS Batch `instance_type` entry: keyword, family or full instance type."""
    key = value.strip().lower()
    return BATCH_KEYWORDS.get(key) or instance_type_arch(key)


_AMI_NAME_ARM64 = lazyre.compile(r"(?<![a-z0-9])(?:arm64|aarch64)(?![a-z0-9])")
_AMI_NAME_AMD64 = lazyre.compile(r"(?<![a-z0-9])(?:x86_64|x86-64|amd64)(?![a-z0-9])")


def ami_name_arch(name: str) -> str | None:
    """Best-effort arch of an AMI name filter (`al2023-ami-*-arm64`); None if neither or both appear."""
    lowered = name.lower()
    arm, amd = bool(_AMI_NAME_ARM64.search(lowered)), bool(_AMI_NAME_AMD64.search(lowered))
    if arm == amd:
        return None
    return ARM64 if arm else AMD64
