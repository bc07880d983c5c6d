"""Hadolint's configuration, read the way Hadolint 2.15.1 reads it, for `archmatch dockerfile`.

Sources, later ones winning for single values and adding up for lists (checked against the real
binary: `--ignore` and `HADOLINT_IGNORE` add to the file's `ignored`, although Hadolint's help says
the command line replaces it):

1. `.hadolint.yaml` / `.hadolint.yml` in the current directory, else in the user's config folders
   (or the file given with `-c/--config`);
2. the `HADOLINT_*` environment variables and `NO_COLOR`;
3. the command line.

Hadolint's severity order is error > warning > info > style > ignore/none. A finding fails the run
when it is at or above the threshold; with `none` or `ignore` every finding fails (as Hadolint 2.15.1
does: they rank below `style`). `archmatch scan --severity-threshold none` differs on purpose: there it
means "never fail" (the drop-in keeps Hadolint's meaning; `--no-fail` is its "never fail").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archmatch.config import yaml_problem
from archmatch.repo import escapes_through_symlink

LEVELS = ("error", "warning", "info", "style")
THRESHOLDS = (*LEVELS, "ignore", "none")
_RANK = {"error": 0, "warning": 1, "info": 2, "style": 3, "ignore": 4, "none": 4}
CONFIG_NAMES = (".hadolint.yaml", ".hadolint.yml")


class HadolintConfigError(Exception):
    pass


@dataclass
class HadolintConfig:
    """The Hadolint configuration in force: file, environment and command line merged."""

    ignored: set[str] = field(default_factory=set)
    overrides: dict[str, str] = field(default_factory=dict)  # code -> level
    failure_threshold: str = "info"
    no_fail: bool = False
    no_color: bool = False
    format: str = "tty"
    disable_ignore_pragma: bool = False
    source: str | None = None
    # Settings of Hadolint's own rules (DL3026, DL3048-3058): accepted and shown, no archmatch rule uses them.
    trusted_registries: list[str] = field(default_factory=list)
    label_schema: dict[str, str] = field(default_factory=dict)
    strict_labels: bool = False

    def describe(self) -> str:
        """The configuration in use, for `--verbose` (Hadolint's `-V` prints the same on stderr)."""
        lines = [
            f"configuration file: {self.source or 'none (defaults)'}",
            f"no fail: {self.no_fail}",
            f"no color: {self.no_color}",
            f"output format: {self.format}",
            f"failure threshold: {self.failure_threshold}",
            f"ignored: {', '.join(sorted(self.ignored)) or 'none'}",
        ]
        for level in LEVELS:
            codes = sorted(code for code, lv in self.overrides.items() if lv == level)
            lines.append(f"override {level}: {', '.join(codes) or 'none'}")
        lines += [
            f"disable ignore pragma: {self.disable_ignore_pragma}",
            f"trusted registries (Hadolint's DL3026 only): {', '.join(self.trusted_registries) or 'none'}",
            f"label schema (Hadolint's label rules only): "
            f"{', '.join(f'{k}:{v}' for k, v in sorted(self.label_schema.items())) or 'none'}",
            f"strict labels (Hadolint's label rules only): {self.strict_labels}",
        ]
        return "".join(f"archmatch dockerfile: {line}\n" for line in lines)

    def level(self, code: str, default: str) -> str:
        return self.overrides.get(code, default)

    def fails(self, level: str) -> bool:
        return _RANK[level] <= _RANK[self.failure_threshold]


def user_config_candidates(env: Mapping[str, str]) -> list[Path]:
    home = Path(env.get("HOME", str(Path.home())))
    xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    out = []
    for name in ("hadolint.yaml", "hadolint.yml"):
        out += [xdg / name, home / ".config" / name, home / ".hadolint" / name]
    out += [home / "hadolint" / "config.yaml", home / ".hadolint.yaml", home / ".hadolint.yml"]
    return out


def find_config(explicit: str | None, cwd: Path, env: Mapping[str, str]) -> Path | None:
    """The configuration file to read. One given with `-c` or found in the current directory
    that is a symlink out of the current directory is refused (the repository being linted
    could point it at `~/.aws/credentials`); the user's own config folders are theirs."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise HadolintConfigError(f"config file not found: {explicit}")
        return _inside(path, cwd)
    for path in [cwd / name for name in CONFIG_NAMES]:
        if path.is_file():
            return _inside(path, cwd)
    for path in user_config_candidates(env):
        if path.is_file():
            return path
    return None


def _inside(path: Path, cwd: Path) -> Path:
    if escapes_through_symlink(path, [cwd]):
        raise HadolintConfigError(
            f"{path}: a symlink to a file outside the current directory; refused (not read)"
        )
    return path


def _codes(value: Any, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HadolintConfigError(f"`{key}` must be a list of rule codes")
    return [v.strip() for v in value if v.strip()]


def _threshold(value: Any, source: str) -> str:
    if value not in THRESHOLDS:
        raise HadolintConfigError(
            f"{source}: failure threshold must be one of {', '.join(THRESHOLDS)}, not {value!r}"
        )
    return str(value)


def apply_file(cfg: HadolintConfig, path: Path) -> None:
    import yaml  # only when there is a configuration file (`archmatch dockerfile` start-up time)

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise HadolintConfigError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HadolintConfigError(f"{path}: cannot read: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise HadolintConfigError(f"{path}: top level must be a mapping")
    cfg.source = str(path)
    cfg.ignored |= set(_codes(data.get("ignored"), "ignored"))
    override = data.get("override") or {}
    if not isinstance(override, dict):
        raise HadolintConfigError(f"{path}: `override` must map a level to rule codes")
    for level, codes in override.items():
        if level not in LEVELS:
            raise HadolintConfigError(f"{path}: unknown level {level!r} in `override`")
        for code in _codes(codes, f"override.{level}"):
            cfg.overrides[code] = level
    if "failure-threshold" in data:
        cfg.failure_threshold = _threshold(data["failure-threshold"], str(path))
    cfg.no_fail = bool(data.get("no-fail", cfg.no_fail))
    cfg.no_color = bool(data.get("no-color", cfg.no_color))
    cfg.disable_ignore_pragma = bool(data.get("disable-ignore-pragma", cfg.disable_ignore_pragma))
    if data.get("format"):
        cfg.format = str(data["format"])
    cfg.trusted_registries += [str(r) for r in data.get("trustedRegistries") or [] if isinstance(r, str)]
    schema = data.get("label-schema")
    if isinstance(schema, dict):
        cfg.label_schema.update({str(k): str(v) for k, v in schema.items()})
    cfg.strict_labels = bool(data.get("strict-labels", cfg.strict_labels))


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _split(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def apply_env(cfg: HadolintConfig, env: Mapping[str, str]) -> None:
    if "HADOLINT_NOFAIL" in env:
        cfg.no_fail = _truthy(env["HADOLINT_NOFAIL"])
    if env.get("HADOLINT_FORMAT"):
        cfg.format = env["HADOLINT_FORMAT"]
    if env.get("HADOLINT_FAILURE_THRESHOLD"):
        cfg.failure_threshold = _threshold(env["HADOLINT_FAILURE_THRESHOLD"], "HADOLINT_FAILURE_THRESHOLD")
    for level in LEVELS:
        for code in _split(env.get(f"HADOLINT_OVERRIDE_{level.upper()}", "")):
            cfg.overrides[code] = level
    cfg.ignored |= set(_split(env.get("HADOLINT_IGNORE", "")))
    if "HADOLINT_DISABLE_IGNORE_PRAGMA" in env:
        cfg.disable_ignore_pragma = _truthy(env["HADOLINT_DISABLE_IGNORE_PRAGMA"])
    if "NO_COLOR" in env:  # any value, even empty, turns colour off (as in Hadolint)
        cfg.no_color = True


def load(
    explicit: str | None = None, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> HadolintConfig:
    """The configuration from the file and the environment (the command line is applied by the caller)."""
    env = os.environ if env is None else env
    cfg = HadolintConfig()
    path = find_config(explicit, cwd or Path.cwd(), env)
    if path is not None:
        apply_file(cfg, path)
    apply_env(cfg, env)
    return cfg
