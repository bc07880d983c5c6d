"""Sub-commands of the `archmatch` CLI, one module each."""
