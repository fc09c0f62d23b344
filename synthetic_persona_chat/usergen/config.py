"""Config sections `expand`, `profiles` and `pairs`: every threshold with its documented default.

Defaults follow the paper (arXiv 2312.10007) where it gives one: redundancy at embedding
cosine > 0.9, profiles of 5 attributes. The caps (`max_seeds`, `max_queries`,
`max_attributes`, `num_users`, `max_pairs`) bound a run so a tiny preset finishes in a
minute or two on CPU with the bundled SmolLM2.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import ConfigError

ALGORITHMS = ("compact", "paper")
CONSISTENCY = ("checker", "negation")


@dataclass
class ExpandConfig:
    """`[expand]`: seed reading, query induction and persona bootstrapping."""

    # "compact": one query per cluster, category-local prompts of k examples, num_new answers each (fast on
    # the bundled 135M model; the tiny/demo presets). "paper": arXiv 2312.10007 §3.1 — query bootstrapping
    # (query_steps), then random persona_size-attribute personas answering one query each, one answer per
    # prompt, sampled everywhere, until max_attributes (the target size) or `rounds` rounds.
    algorithm: str = "compact"
    seed_column: str | None = None  # CSV/JSONL field holding the attribute; None = auto (text / SPC persona columns)
    max_seeds: int | None = None  # keep at most this many seeds (a seeded sample); None = all
    min_words: int = 2  # shorter lines are not attribute sentences
    max_words: int = 30  # longer lines are dropped as overlong (seeds and generated)
    max_chars: int = 300  # same, in characters
    # Query induction: average-linkage clustering on cosine distance of normalised embeddings.
    distance_threshold: float = 0.6  # merge clusters while mean pairwise cosine distance <= this
    exact_limit: int = 3000  # up to this many vectors: exact agglomerative; above: partition + agglomerative
    partition_size: int = 1000  # target partition size of the approximate clustering
    query_examples: int = 8  # attributes (nearest the centroid) shown to the LLM to write a query
    min_cluster_size: int = 1  # clusters smaller than this get no query and are not bootstrapped
    max_queries: int | None = None  # only the largest N clusters get a query; None = every cluster
    query_max_tokens: int = 48
    query_steps: int = 100  # paper mode: query bootstrapping steps (paper: 100 steps -> 188 queries)
    query_shots: int = 3  # paper mode: bank questions shown per query bootstrapping step
    persona_size: int = 5  # paper mode: attributes of the random persona that answers a query
    # Bootstrapping.
    rounds: int = 3  # R: rounds of bootstrapping
    k: int = 5  # sampled attributes of the cluster shown with the query
    num_new: int = 5  # attributes asked for per prompt
    samples_per_query: int = 1  # LLM samples per query and round
    max_tokens: int = 160
    temperature: float = 0.7  # paper's sampling: temperature 0.7, top-k 40
    top_k: int = 40
    redundancy_threshold: float = 0.9  # paper: an attribute is redundant at cosine > 0.9
    max_attributes: int | None = None  # stop growing the pool at this size (paper mode: the target); None = no cap

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ConfigError(f"expand.algorithm is {self.algorithm!r}; use one of {', '.join(ALGORITHMS)}")


@dataclass
class ProfilesConfig:
    """`[profiles]`: users built from attributes of distinct categories, consistent with each other."""

    num_users: int = 1000
    profile_size: int = 5  # paper: 5 attributes per user
    min_size: int = 3  # a user that cannot reach profile_size after max_tries keeps >= this many, else skipped
    max_tries: int = 25  # candidate attributes drawn per user
    redundancy_threshold: float = 0.9  # reject a candidate with cosine > this to one already in the profile
    contradiction_threshold: float = 0.5  # reject when the checker's contradiction score > this
    chunk_size: int = 200  # users per checkpointed chunk
    # "checker": the checker's contradiction score, premise = held attribute, one direction. "negation" (the
    # paper's): contradiction in both directions, and the LLM writes each candidate's negation so a held
    # attribute that already implies the candidate is rejected too (the checker finds it contradicts the negation).
    consistency: str = "checker"
    negation_max_tokens: int = 48  # consistency "negation": tokens for one negation sentence

    def __post_init__(self) -> None:
        if self.consistency not in CONSISTENCY:
            raise ConfigError(f"profiles.consistency is {self.consistency!r}; use one of {', '.join(CONSISTENCY)}")


@dataclass
class PairsConfig:
    """`[pairs]` (alias `[pairing]`): profile similarity = number of shared persona categories.

    Two profiles share category c when each holds an attribute of c and the two attributes'
    cosine similarity is >= `share_threshold` (-1 = same category suffices, the paper's
    plain count). Users pair when similarity >= `min_shared`: default 2 (a pair must share more than one interest to have something to talk about); the
    paper's "more than 2" is `min_shared: 3`.
    """

    share_threshold: float = 0.3
    min_shared: int = 2
    max_degree: int = 4  # d: pairs per user at most (SPC's synthetic part: ~3.9 conversations per persona)
    max_pairs: int | None = None  # stop after this many pairs; None = no cap
