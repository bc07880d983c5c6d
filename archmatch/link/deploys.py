"""Which function of the repository's templates an `aws lambda update-function-code` command
without `--architectures` deploys to: the function keeps its architecture, so the image the
command pushes is judged against the architecture the template declares for it.

Evidence, strongest first (the first that finds image functions decides):
1. the command's `--function-name` (a name or an ARN) equals a function's declared name (Terraform
   `function_name`, CloudFormation/SAM `FunctionName`): medium confidence, like a repository and
   tag match; low when that name comes from variable values a command line names and only some of
   the candidate value sets (one var file per environment) declare it, unless those include every
   set the command's own script or CI job gives terraform;
2. it equals a function's resource name or logical id: low;
3. the name is not known (computed at run time) and the scan root declares exactly one image
   Lambda function: low, "the only image Lambda function in the repository";
4. the name is known, no function declares or is named it, and the scan root declares exactly one
   image Lambda function, whose name is computed (a `for_each` key, a variable): low.
A command whose candidates disagree on the architecture gets none. Findings on a low-confidence
target are warnings at most: the matcher gives each link the weaker of its two confidences.
"""

from __future__ import annotations

from archmatch.model import Confidence, DeployTarget, RepoFacts, ValueSource, Workload


def _is_template_image_function(w: Workload) -> bool:
    return (
        w.service == "lambda"
        and w.cli is None
        and w.lambda_ is not None
        and w.lambda_.package_type.lower() == "image"
    )


def _resource_name(w: Workload) -> str:
    return w.name.rsplit(".", 1)[-1]


def _candidates(
    name: str | None, functions: list[Workload], run: str = ""
) -> tuple[list[Workload], str, Confidence]:
    if name is not None:
        declared = [f for f in functions if f.lambda_ is not None and f.lambda_.function_name == name]
        if declared:
            return declared, f"function name {name!r} declared by", _declared_confidence(declared, run)
        named = [f for f in functions if _resource_name(f) == name]
        if named:
            return named, f"function name {name!r} is the resource name of", "low"
        if (
            len(functions) == 1
            and functions[0].lambda_ is not None
            and functions[0].lambda_.function_name is None
        ):
            return (
                functions,
                f"function name {name!r}; the only image Lambda function in the repository computes its name:",
                "low",
            )
        return [], "", "low"
    if len(functions) == 1:
        return functions, "function name unknown; the only image Lambda function in the repository is", "low"
    return [], "", "low"


def _declared_confidence(declared: list[Workload], run: str) -> Confidence:
    """Medium, unless the name is declared with some of a root's candidate value sets only, and
    not with the ones the command's own run (its script, CI job) gives terraform."""
    by_root: dict[str | None, tuple[set[int], ValueSource]] = {}
    for f in declared:
        if f.values is None or f.values.candidates == 1:
            return "medium"  # declared whatever the command-line values, or with the only ones
        given, _ = by_root.setdefault(f.project, (set(), f.values))
        given.update(f.values.variants)
    for given, values in by_root.values():
        used = values.sets_of(run)
        if len(given) == values.candidates or (used and used <= given):
            return "medium"
    return "low"


def _values_note(target: Workload) -> str:
    return f" ({target.values.describe()})" if target.values is not None else ""


def resolve_deploy_targets(facts: RepoFacts) -> None:
    functions = sorted(
        (w for w in facts.workloads if _is_template_image_function(w)), key=lambda w: (w.location, w.name)
    )
    for w in facts.workloads:
        if w.cli is None or not w.cli.keeps_arch:
            continue
        found, evidence, confidence = _candidates(w.cli.target, functions, w.cli.run)
        archs = {f.arch.archs for f in found}
        if len(archs) != 1 or not next(iter(archs)):
            continue  # no target, or targets that disagree: the architecture stays unknown
        target = found[0]
        more = f" (and {len(found) - 1} more with the same architecture)" if len(found) > 1 else ""
        # a default architecture is decided by the function's declaration, where the fix goes
        w.arch, w.arch_via = target.arch, target.arch_via
        w.arch_location = target.arch_location or target.location
        w.arch_syntax = target.arch_syntax
        w.deploys_to = DeployTarget(
            target.name, target.location, f"{evidence} {target.name}{more}{_values_note(target)}", confidence
        )
