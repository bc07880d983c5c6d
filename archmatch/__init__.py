"""archmatch: find CPU-architecture mismatches between built images and the compute that runs them."""

from archmatch import prebuilt as _prebuilt

__version__ = "0.2.0"

_prebuilt.install_patterns()  # first: before dataclasses, json, logging, argparse... compile their patterns
_prebuilt.install()  # before any module of the package defines a dataclass (start-up time)
