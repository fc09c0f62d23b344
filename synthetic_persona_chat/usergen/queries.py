"""Query induction: one LLM-written question per persona category ("What do you do for a living?").

The LLM sees the attributes nearest the category's centroid. When its answer holds no
usable question (empty, chatter, no '?'), a fallback query built from the category's
most central attribute is used and the reason is kept, so the category still grows (the compact
algorithm); the paper's algorithm records the failure as a skip instead.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from ..models.llm import LLM, GenerationParams
from ..tasks import ask, query_induction
from .clustering import centroids


class QueryRequest(TypedDict):
    """A query-induction prompt's fields: a category and the attributes nearest its centroid."""

    category: int
    examples: list[str]


class InducedQuery(QueryRequest):
    """A category's query as expand/queries.parquet stores it (the request's fields first)."""

    query: str | None  # None: the paper's algorithm found no usable question ("failed")
    source: str  # "llm" | "fallback" | "failed" | "bootstrap"
    reason: str | None  # why the LLM's answer was not used
    raw: str  # the LLM's answer as given


def query_requests(texts: list[str], vectors: np.ndarray, labels: np.ndarray, categories: list[int],
                   num_examples: int) -> list[QueryRequest]:
    """One row per category: {category, examples} with the `num_examples` attributes nearest its centroid."""
    cents = centroids(vectors, labels)
    rows = []
    for c in categories:
        idx = np.flatnonzero(labels == c)
        order = idx[np.argsort(-(vectors[idx] @ cents[c]), kind="stable")]
        rows.append(QueryRequest(category=int(c), examples=[texts[i] for i in order[:num_examples]]))
    return rows


def fallback_query(examples: list[str]) -> str:
    return f'What else would someone who says "{examples[0]}" tell you about themselves?'


def induce_queries_batch(rows: list[QueryRequest], llm: LLM, params: GenerationParams, fallback: bool = True
                         ) -> list[InducedQuery]:
    """Rows {category, examples} -> + {query, source ("llm" | "fallback" | "failed"), reason, raw}. A pure batch map.

    `fallback=False` (the paper's algorithm): an unusable answer leaves the category without a query
    (source "failed", query None) instead of the fallback, which is no category question.
    """
    answers = ask(llm, query_induction.QueryInduction(), rows, params)
    out: list[InducedQuery] = []
    for row, answer in zip(rows, answers):
        raw = answer.text
        query, why = answer.value
        if query is None and not fallback:
            out.append({**row, "query": None, "source": "failed", "reason": why, "raw": raw})
        elif query is None:
            out.append({**row, "query": fallback_query(row["examples"]), "source": "fallback",
                        "reason": why, "raw": raw})
        else:
            out.append({**row, "query": query, "source": "llm", "reason": None, "raw": raw})
    return out
