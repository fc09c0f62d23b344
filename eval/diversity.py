"""Size-matched diversity: distinct-n, vocabulary and MATTR on equal-size samples, embedding diversity.

Why: distinct-n and vocabulary fall (or grow) with corpus size, so comparing a 48-utterance run
with SPC's 26k utterances measures the sizes, not the datasets. Here every dataset is measured on
samples of the *same number of tokens* T, `draws` times, reported as mean ± sd (and mean ± 1.96 sd
as the 95% range). A sample is whole conversations in seeded random order, cut at the budget
(n-grams never cross utterance boundaries). Sampling conversations, not loose utterances, matters:
the utterances of one conversation share their topic words, so T tokens from a few conversations
repeat more than T tokens spread over many; drawing loose utterances made 40 SPC conversations look
less diverse than half of SPC test (0.152 vs 0.163 distinct-1) although both are the same data. T = min(`max_tokens`, `fraction` x the smallest corpus'
tokens): with `fraction` < 1 the smallest dataset also varies between draws, so it gets a spread too.

- MATTR (moving-average type-token ratio, window 50; Covington & McFall 2010): mean TTR over every
  50-token window, independent of length by construction.
- Embedding diversity: mean pairwise cosine distance between whole conversations (sentence
  embeddings). It is an average over pairs, so its expectation does not depend on how many
  conversations are drawn; each draw takes the same number of conversations from every dataset.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthetic_persona_chat.records import Conversation

from .diversity_result import EmbeddingDiversity, EmbeddingFigures, Lexical, LexicalFigures, SizeMatched
from .metrics import tokens as tokenize
from .stats import spread

MATTR_WINDOW = 50
MIN_TOKENS = 1000  # a matched sample smaller than this is flagged
MIN_CONVERSATIONS_PER_DRAW = 10


@dataclass
class DiversityConfig:
    """How size-matched diversity is drawn (seeded)."""

    seed: int = 0
    draws: int = 10
    max_tokens: int = 20_000
    fraction: float = 0.5
    max_conversations: int = 200  # per draw, for embedding diversity
    embed_pool: int = 300  # conversations embedded per dataset (seeded sample)


def distinct_of(utts: list[list[str]], n: int) -> float:
    """distinct-n over tokenised utterances (n-grams inside utterances only)."""
    grams = Counter(tuple(u[i:i + n]) for u in utts for i in range(len(u) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else 0.0


def mattr(stream: list[str], window: int = MATTR_WINDOW) -> float:
    """Moving-average type-token ratio; plain TTR when the text is shorter than one window."""
    if not stream:
        return 0.0
    if len(stream) <= window:
        return len(set(stream)) / len(stream)
    counts = Counter(stream[:window])
    total = len(counts)
    for i in range(window, len(stream)):
        old, new = stream[i - window], stream[i]
        counts[old] -= 1
        if counts[old] == 0:
            del counts[old]
        counts[new] += 1
        total += len(counts)
    return total / (len(stream) - window + 1) / window


def token_sample(convs: list[list[list[str]]], budget: int, rng: random.Random) -> list[list[str]]:
    """Tokenised utterances of whole conversations in random order until `budget` tokens (the last cut)."""
    out, used = [], 0
    for i in rng.sample(range(len(convs)), len(convs)):
        for utt in convs[i]:
            if used >= budget:
                return out
            take = utt[: budget - used]
            if take:
                out.append(take)
                used += len(take)
    return out


def _tokens(convs: list[list[list[str]]]) -> int:
    return sum(len(u) for c in convs for u in c)


def matched_tokens(corpora: dict[str, list[list[list[str]]]], cfg: DiversityConfig) -> int:
    smallest = min(_tokens(c) for c in corpora.values())
    return max(1, min(cfg.max_tokens, int(smallest * cfg.fraction)))


def lexical(corpora: dict[str, list[list[list[str]]]], cfg: DiversityConfig) -> Lexical:
    """distinct-1/2, vocabulary and MATTR per dataset at the same token budget, mean ± sd over draws."""
    budget = matched_tokens(corpora, cfg)
    out = {}
    for name, utts in corpora.items():
        draws: dict[str, list[float]] = {"distinct-1": [], "distinct-2": [], "vocabulary": [], "mattr": []}
        for d in range(cfg.draws):
            sample = token_sample(utts, budget, random.Random(f"diversity:{cfg.seed}:{name}:{d}"))
            draws["distinct-1"].append(distinct_of(sample, 1))
            draws["distinct-2"].append(distinct_of(sample, 2))
            draws["vocabulary"].append(float(len({t for u in sample for t in u})))
            draws["mattr"].append(mattr([t for u in sample for t in u]))
        spreads = {k: spread(v, (0.0, 1.0) if k != "vocabulary" else (0.0, float(budget))) for k, v in draws.items()}
        out[name] = LexicalFigures.from_json({**spreads, "corpus_tokens": _tokens(utts)})
    flags = [f"too few tokens: {budget}"] if budget < MIN_TOKENS else []
    if budget <= MATTR_WINDOW:  # no window fits: the "size-robust" MATTR is the plain TTR of the sample
        flags.append(f"MATTR window {MATTR_WINDOW} ≥ {budget}-token samples: MATTR = plain TTR")
    return Lexical(tokens=budget, draws=cfg.draws, seed=cfg.seed, datasets=out, flags=flags)


def conversation_text(conv: Conversation) -> str:
    return "\n".join(t.text for t in conv.turns)


def embedding(convs: dict[str, list[Conversation]], embedder: Any, cfg: DiversityConfig) -> EmbeddingDiversity:
    """Mean pairwise cosine distance between conversations, the same number k per draw for every dataset."""
    pools = {name: _pool(cs, cfg, name) for name, cs in convs.items()}
    k = max(2, min(cfg.max_conversations, int(min(len(p) for p in pools.values()) * cfg.fraction)))
    out = {}
    for name, pool in pools.items():
        if len(pool) < 2:
            out[name] = EmbeddingFigures(not_run=f"needs 2 conversations, has {len(pool)}")
            continue
        emb = np.asarray(embedder.encode([conversation_text(c) for c in pool]), dtype=np.float64)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True).clip(min=1e-12)
        rng = random.Random(f"embedding-diversity:{cfg.seed}:{name}")
        vals = []
        for _ in range(cfg.draws):
            idx = rng.sample(range(len(pool)), min(k, len(pool)))
            sims = emb[idx] @ emb[idx].T
            m = len(idx)
            vals.append(float((m * m - sims.sum()) / (m * (m - 1))))  # mean of 1 - cos over i != j
        out[name] = EmbeddingFigures.from_json({"embedding_diversity": spread(vals, (0.0, 2.0)),
                                                "conversations": len(convs[name]), "pool": len(pool)})
        if len(pool) <= k:  # every draw is the same set: a spread of 0 is no precision
            out[name].flags = [f"every draw holds all {len(pool)} conversations: no spread between draws"]
    flags = [f"too few conversations per draw: {k}"] if k < MIN_CONVERSATIONS_PER_DRAW else []
    return EmbeddingDiversity(conversations_per_draw=k, draws=cfg.draws,
                              embedder=getattr(embedder, "model", str(embedder)), datasets=out, flags=flags)


def _pool(convs: list[Conversation], cfg: DiversityConfig, name: str) -> list[Conversation]:
    ordered = sorted(convs, key=lambda c: c.id)
    if len(ordered) <= cfg.embed_pool:
        return ordered
    return random.Random(f"embed-pool:{cfg.seed}:{name}").sample(ordered, cfg.embed_pool)


def size_matched(convs: dict[str, list[Conversation]], embedder: Any = None,
                 cfg: DiversityConfig = DiversityConfig()) -> SizeMatched:
    """Lexical size-matched diversity for every dataset (and embedding diversity when an embedder is given)."""
    corpora = {n: [[tokenize(t.text) for t in c.turns] for c in sorted(cs, key=lambda c: c.id)]
               for n, cs in convs.items() if cs}
    if not corpora:
        return SizeMatched(not_run="no conversations")
    return SizeMatched(lexical=lexical(corpora, cfg),
                       embedding=(embedding({n: cs for n, cs in convs.items() if cs}, embedder, cfg)
                                  if embedder is not None else EmbeddingDiversity(not_run="no embedder")))
