"""Linking: which image build produces the image each workload runs."""

from __future__ import annotations

from archmatch.model import RepoFacts
from archmatch.settings import Config


def link(facts: RepoFacts, config: Config) -> None:
    """Fill `facts.projects` and `facts.links`. Evidence order: direct reference, repository/tag match, config mapping, naming."""
    from archmatch.link.batch import place_batch_jobs
    from archmatch.link.deploys import resolve_deploy_targets
    from archmatch.link.matcher import find_links
    from archmatch.link.placement import place_pods
    from archmatch.link.projects import assign_projects

    assign_projects(facts)
    resolve_deploy_targets(facts)
    place_pods(facts)
    place_batch_jobs(facts)
    facts.links = find_links(facts, config)
