"""The typed size-matched diversity: what `diversity.size_matched` measures, `quality.json` stores (once across
datasets, once across the iterations of each generated dataset) and the report's diversity table and plots read.

One class per JSON object (`JsonRow`: the file format is unchanged, key order included). Every figure is a
`Spread`, mean ± sd over seeded draws of the same size, because raw diversity falls with corpus size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from synthetic_persona_chat.jsonrow import JsonRow, keyed, optional


@dataclass(kw_only=True)
class Spread(JsonRow):
    """mean ± sd over seeded draws, with the normal 95% range as `ci` (`stats.spread`)."""

    mean: float | None
    sd: float | None
    ci: list[float | None]
    draws: int


@dataclass(kw_only=True)
class LexicalFigures(JsonRow):
    """One dataset's lexical diversity at the shared token budget, and its whole corpus size."""

    distinct_1: Spread = keyed("distinct-1")
    distinct_2: Spread = keyed("distinct-2")
    vocabulary: Spread
    mattr: Spread
    corpus_tokens: int


@dataclass(kw_only=True)
class Lexical(JsonRow):
    """Every dataset at the same token budget (`tokens`), `draws` seeded samples each."""

    tokens: int
    draws: int
    seed: int
    datasets: dict[str, LexicalFigures] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class EmbeddingFigures(JsonRow):
    """One dataset's mean pairwise cosine distance between conversations, or why it was not measured."""

    embedding_diversity: Spread | None = optional()
    conversations: int | None = optional()
    pool: int | None = optional()
    flags: list[str] | None = optional()
    not_run: str | None = optional()


@dataclass(kw_only=True)
class EmbeddingDiversity(JsonRow):
    """Every dataset with the same number of conversations per draw; `not_run` alone without an embedder."""

    conversations_per_draw: int | None = optional()
    draws: int | None = optional()
    embedder: str | None = optional()
    datasets: dict[str, EmbeddingFigures] | None = optional()
    flags: list[str] | None = optional()
    not_run: str | None = optional()


@dataclass(kw_only=True)
class SizeMatched(JsonRow):
    """Lexical and embedding diversity on equal-size samples, or `not_run` with the reason."""

    lexical: Lexical | None = optional()
    embedding: EmbeddingDiversity | None = optional()
    not_run: str | None = optional()
