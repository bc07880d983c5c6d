"""Rules of this family: one module per rule, metadata YAML beside it."""
