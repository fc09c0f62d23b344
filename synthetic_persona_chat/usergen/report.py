"""The expansion report: seed pool vs expanded pool, and what each bootstrapping round did.

Figures (as in the paper's Table 1): #attributes, #categories, mean inter-category
distance (mean of 1 - cos between category centroids) and mean attribute length in
words. `categories` counts the categories attributes are assigned to (generated
attributes join their query's category); `categories_reclustered` clusters the pool
again with the same threshold, which is how the paper counts categories after expansion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .clustering import mean_inter_category_distance, relabel_by_size


def pool_figures(texts: list[str], categories: list[int], vectors: np.ndarray) -> dict[str, Any]:
    labels = relabel_by_size(np.asarray(categories)) if len(categories) else np.zeros(0, dtype=np.int64)
    return {
        "attributes": len(texts),
        "categories": int(len(set(categories))),
        "mean_inter_category_distance": round(mean_inter_category_distance(vectors, labels), 4)
        if len(texts) else 0.0,
        "mean_length_words": round(float(np.mean([len(t.split()) for t in texts])), 3) if texts else 0.0,
    }


def expansion_report(seed: dict[str, Any], expanded: dict[str, Any], rounds: list[dict[str, Any]],
                     queries: dict[str, Any], skipped_seeds: int) -> dict[str, Any]:
    return {"seed": seed, "expanded": expanded,
            "growth": expanded["attributes"] - seed["attributes"],
            "rounds": rounds, "queries": queries, "skipped_seed_lines": skipped_seeds}


def report_markdown(report: dict[str, Any]) -> str:
    seed, exp = report["seed"], report["expanded"]
    lines = ["# Persona expansion report", "",
             "| figure | seed | expanded |", "|---|---:|---:|"]
    for key, label in (("attributes", "#attributes"), ("categories", "#categories"),
                       ("categories_reclustered", "#categories (re-clustered)"),
                       ("mean_inter_category_distance", "mean inter-category distance"),
                       ("mean_length_words", "mean attribute length (words)")):
        lines.append(f"| {label} | {seed.get(key, '')} | {exp.get(key, '')} |")
    q = report["queries"]
    lines += ["", f"Queries: {q['induced']} induced by the LLM, {q['fallback']} fallbacks, "
                  f"{q['categories_without_query']} categories without a query (not bootstrapped).",
              f"Seed lines skipped: {report['skipped_seed_lines']}.", "",
              "## Rounds", "", "| round | prompts | candidates | added | pool | dropped (by reason) |",
              "|---:|---:|---:|---:|---:|---|"]
    for r in report["rounds"]:
        drops = ", ".join(f"{k}: {v}" for k, v in sorted(r["drops"].items())) or "-"
        lines.append(f"| {r['round']} | {r['prompts']} | {r['candidates']} | {r['added']} | {r['pool']} | {drops} |")
    return "\n".join(lines) + "\n"
