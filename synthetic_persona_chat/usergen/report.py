"""The expansion report: seed pool vs expanded pool, and what each bootstrapping round did.

Figures (as in the paper's Table 1): #attributes, #categories, mean inter-category
distance (mean of 1 - cos between category centroids) and mean attribute length in
words. `categories` counts the categories attributes are assigned to (generated
attributes join their query's category); `categories_reclustered` clusters the pool
again with the same threshold, which is how the paper counts categories after expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..jsonrow import JsonRow, optional
from .clustering import mean_inter_category_distance, relabel_by_size


@dataclass
class PoolFigures(JsonRow):
    """The Table 1 figures of one attribute pool (the seeds, or the expanded pool)."""

    attributes: int
    categories: int
    mean_inter_category_distance: float
    mean_length_words: float
    categories_reclustered: int


@dataclass
class RoundInfo(JsonRow):
    """What one bootstrapping round did: stored in its checkpoint unit and listed in report.json."""

    round: int
    prompts: int = 0
    candidates: int = 0
    added: int = 0
    pool: int = 0
    drops: dict[str, int] = field(default_factory=dict)  # candidates dropped, by reason
    stopped: str | None = optional()  # why the round asked nothing (pool cap reached, no query)


@dataclass
class QuerySummary(JsonRow):
    """Where the categories' queries came from (report.json's `queries`)."""

    induced: int
    fallback: int
    fallback_reasons: dict[str, int]
    categories_without_query: int
    bootstrapped: int
    failed: int


@dataclass
class ExpansionReport(JsonRow):
    """expand/report.json: seed pool vs expanded pool, per round, and the queries."""

    seed: PoolFigures
    expanded: PoolFigures
    growth: int
    rounds: list[RoundInfo]
    queries: QuerySummary
    skipped_seed_lines: int


def pool_figures(texts: list[str], categories: list[int], vectors: np.ndarray, reclustered: int) -> PoolFigures:
    """`reclustered`: the categories found when the pool is clustered again (the paper's count)."""
    labels = relabel_by_size(np.asarray(categories)) if len(categories) else np.zeros(0, dtype=np.int64)
    return PoolFigures(
        attributes=len(texts),
        categories=int(len(set(categories))),
        mean_inter_category_distance=round(mean_inter_category_distance(vectors, labels), 4)
        if len(texts) else 0.0,
        mean_length_words=round(float(np.mean([len(t.split()) for t in texts])), 3) if texts else 0.0,
        categories_reclustered=reclustered,
    )


def expansion_report(seed: PoolFigures, expanded: PoolFigures, rounds: list[RoundInfo],
                     queries: QuerySummary, skipped_seeds: int) -> ExpansionReport:
    return ExpansionReport(seed, expanded, expanded.attributes - seed.attributes, rounds, queries, skipped_seeds)


def report_markdown(report: ExpansionReport) -> str:
    seed, exp = report.seed, report.expanded
    lines = ["# Persona expansion report", "",
             "| figure | seed | expanded |", "|---|---:|---:|"]
    for key, label in (("attributes", "#attributes"), ("categories", "#categories"),
                       ("categories_reclustered", "#categories (re-clustered)"),
                       ("mean_inter_category_distance", "mean inter-category distance"),
                       ("mean_length_words", "mean attribute length (words)")):
        lines.append(f"| {label} | {getattr(seed, key)} | {getattr(exp, key)} |")
    q = report.queries
    lines += ["", f"Queries: {q.induced} induced by the LLM, {q.fallback} fallbacks, "
                  f"{q.categories_without_query} categories without a query (not bootstrapped).",
              f"Seed lines skipped: {report.skipped_seed_lines}.", "",
              "## Rounds", "", "| round | prompts | candidates | added | pool | dropped (by reason) |",
              "|---:|---:|---:|---:|---:|---|"]
    for r in report.rounds:
        drops = ", ".join(f"{k}: {v}" for k, v in sorted(r.drops.items())) or "-"
        lines.append(f"| {r.round} | {r.prompts} | {r.candidates} | {r.added} | {r.pool} | {drops} |")
    return "\n".join(lines) + "\n"
