"""archmatch: find CPU-architecture mismatches between built images and the compute that runs them."""

__version__ = "0.2.0"
