"""Project configuration: `.archmatch.yaml` (or `--config FILE`).

```yaml
ignored: [ARCH104]                 # rules to drop everywhere
override: {error: [ARCH201], info: [ARCH102]}   # severity overrides, Hadolint-style
failure-threshold: warning         # error | warning | info | style | none
internal-errors: fail              # fail (exit 2, the default) | warn (report them, exit as usual)
exclude: ["vendor/**", "*.generated.yaml"]
include: [vendor]                  # folders skipped by default (node_modules, site-packages, ...) to scan
images:                            # explicit image -> build mapping (linking evidence #3)
  - pattern: "*.dkr.ecr.*.amazonaws.com/api:*"
    dockerfile: services/api/Dockerfile
    context: services/api
    platforms: [linux/arm64]       # optional: what your build system builds
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from archmatch.repo import escapes_through_symlink
from archmatch.safetext import one_line
from archmatch.settings import Config, ImageMapping

CONFIG_NAMES = (".archmatch.yaml", ".archmatch.yml")
SEVERITIES = ("error", "warning", "info", "style")
THRESHOLDS = (*SEVERITIES, "none")
INTERNAL_ERRORS = ("fail", "warn")


class ConfigError(Exception):
    pass


__all__ = ["Config", "ConfigError", "ImageMapping", "load_config", "parse_config"]


def _ids(value: Any, key: str, source: str = "") -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source + ': ' if source else ''}`{key}` must be a list of strings")
    return [v.strip() for v in value]


def check_config(data: dict[str, Any], source: str) -> None:
    """Raise the first problem the schema or the rule catalogue finds, naming the file and the key."""
    from archmatch.config_check import config_problems
    from archmatch.rules import metadata

    problems = config_problems(data, sorted(metadata()))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"{source}: {problems[0]}{more}")


def parse_config(data: Any, source: str) -> Config:
    if data is None:
        return Config(path=source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level must be a mapping")
    check_config(data, source)
    cfg = Config(path=source)
    cfg.ignored = set(_ids(data.get("ignored"), "ignored", source))
    override = data.get("override") or {}
    if not isinstance(override, dict):
        raise ConfigError(f"{source}: `override` must map a severity to rule ids")
    for sev, ids in override.items():
        if sev not in SEVERITIES:
            raise ConfigError(
                f"{source}: unknown severity {sev!r} in `override` (use {', '.join(SEVERITIES)})"
            )
        for rule_id in _ids(ids, f"override.{sev}", source):
            cfg.overrides[rule_id] = sev
    threshold = data.get("failure-threshold")
    if threshold is not None:
        if threshold not in THRESHOLDS:
            raise ConfigError(f"{source}: `failure-threshold` must be one of {', '.join(THRESHOLDS)}")
        cfg.failure_threshold = threshold
    internal = data.get("internal-errors")
    if internal is not None:
        if internal not in INTERNAL_ERRORS:
            raise ConfigError(f"{source}: `internal-errors` must be one of {', '.join(INTERNAL_ERRORS)}")
        cfg.internal_errors = internal
    cfg.excludes = [str(e) for e in _ids(data.get("exclude"), "exclude", source)]
    cfg.includes = [str(e) for e in _ids(data.get("include"), "include", source)]
    images = data.get("images") or []
    if not isinstance(images, list):
        raise ConfigError(f"{source}: `images` must be a list of {{pattern, dockerfile, context, platforms}}")
    for i, item in enumerate(images):
        if not isinstance(item, dict) or "pattern" not in item or "dockerfile" not in item:
            raise ConfigError(f"{source}: images[{i}] needs `pattern` and `dockerfile`")
        platforms = _ids(item.get("platforms"), f"images[{i}].platforms", source) or None
        context = item.get("context")
        if context is not None and not isinstance(context, str):
            raise ConfigError(f"{source}: images[{i}].context must be a path")
        cfg.images.append(ImageMapping(str(item["pattern"]), str(item["dockerfile"]), context, platforms))
    return cfg


def load_config(explicit: str | None, roots: list[Path]) -> Config:
    """The explicit file, else the first `.archmatch.yaml` in a scan root, else the cwd; else defaults."""
    candidates: list[Path] = []
    bases = [p if p.is_dir() else p.parent for p in [*roots, Path.cwd()]]
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file not found: {explicit}")
        candidates = [path]
    else:
        for base in bases:
            candidates.extend(base / name for name in CONFIG_NAMES)
    for path in candidates:
        if path.is_file():
            if escapes_through_symlink(path, bases):
                raise ConfigError(
                    f"{path}: a symlink to a file outside the scanned folders; refused (not read)"
                )
            import yaml  # only when there is a file to read (start-up time)

            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (yaml.YAMLError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: cannot parse: {yaml_problem(exc)}") from None
            return parse_config(data, str(path))
    return Config()


def yaml_problem(exc: Exception) -> str:
    """A YAML error without the snippet of the file PyYAML quotes (it may hold a secret): the
    problem and its line, masked."""
    import yaml  # loaded already: the error came from it

    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return one_line(str(exc.problem or exc.context or "syntax error"))[:200] + where
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 (byte {exc.start})"
    return type(exc).__name__
