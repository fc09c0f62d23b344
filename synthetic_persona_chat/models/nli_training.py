"""Synthetic (persona attribute, utterance, contradicts?) pairs from real SPC conversations, and the fit.

Training data we make ourselves, never the labelled evaluation file. SPC is faithful by construction,
so a speaker's own utterances are non-contradictions: the one most similar to an attribute plays the
restatement, a random line of another conversation plays small talk. Contradictions are made by rule:
the restatement negated, the attribute negated or its liking/number flipped, the premise negated
against the restatement. Negating both sides keeps them consistent (label 0), so polarity alone does
not decide: the model must learn that a *mismatch* between *related* sentences is what contradicts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .nli_features import FEATURE_NAMES, NUMBER_WORDS, negate, pair_features

ANTONYMS = {"love": "hate", "loves": "hates", "like": "dislike", "enjoy": "hate", "always": "never",
            "favorite": "least favorite", "hate": "love", "dislike": "like", "never": "always",
            "married": "single", "single": "married", "big": "small", "small": "big", "old": "young",
            "young": "old", "tall": "short", "short": "tall", "early": "late", "city": "countryside"}
RELATED = 0.45  # an own utterance this close (MiniLM cosine) to an attribute is taken as its restatement


@dataclass(frozen=True)
class SyntheticPair:
    premise: str
    hypothesis: str
    label: int  # 1: contradiction
    kind: str  # which rule made it, for the record


def swap_antonym(sentence: str) -> str | None:
    """Flip the first liking/frequency/size word ("I love hiking." -> "I hate hiking."), or None."""
    for w in re.findall(r"[A-Za-z]+", sentence):
        if w.lower() in ANTONYMS:
            return re.sub(rf"\b{w}\b", ANTONYMS[w.lower()], sentence, count=1)
    return None


def swap_number(sentence: str, rng: random.Random) -> str | None:
    """Replace the first count or age with a different one, or None when there is none."""
    words = list(NUMBER_WORDS)[1:21] + ["thirty", "forty", "fifty", "sixty", "seventy"]
    for w in re.findall(r"[A-Za-z]+|\d+", sentence):
        if w.isdigit():
            return re.sub(rf"\b{w}\b", str(int(w) + rng.randint(2, 9)), sentence, count=1)
        if w.lower() in words:
            other = rng.choice([x for x in words if x != w.lower()])
            return re.sub(rf"\b{w}\b", other, sentence, count=1)
    return None


def make_pairs(speakers: Sequence[tuple[list[str], list[str]]], embed: Callable, seed: int = 0
               ) -> list[SyntheticPair]:
    """`speakers`: (persona attributes, own utterances) per speaker of each conversation."""
    rng = random.Random(seed)
    all_utts = [u for _a, us in speakers for u in us]
    pairs: list[SyntheticPair] = []
    for attrs, utts in speakers:
        if not attrs or not utts:
            continue
        sims = embed(attrs) @ embed(utts).T
        for i, attr in enumerate(attrs):
            j = int(np.argmax(sims[i]))
            pairs.extend(_pairs_for(attr, utts[j], float(sims[i, j]), rng.choice(all_utts), rng))
    return pairs


def _pairs_for(attr: str, best: str, sim: float, other: str, rng: random.Random) -> list[SyntheticPair]:
    out = [SyntheticPair(attr, other, 0, "unrelated"), SyntheticPair(attr, negate(attr), 1, "negated attribute")]
    flipped = swap_antonym(attr) or swap_number(attr, rng)
    if flipped:
        out.append(SyntheticPair(attr, flipped, 1, "flipped attribute"))
    if sim >= RELATED:
        out += [SyntheticPair(attr, best, 0, "restatement"),
                SyntheticPair(attr, negate(best), 1, "negated restatement"),
                SyntheticPair(negate(attr), best, 1, "negated premise"),
                SyntheticPair(negate(attr), negate(best), 0, "both negated")]
    else:
        out.append(SyntheticPair(attr, best, 0, "own utterance"))
    return out


def speakers_of(conversations) -> list[tuple[list[str], list[str]]]:
    """(attributes, utterances) per speaker of our Conversation records."""
    out = []
    for c in conversations:
        for speaker, attrs in (("user 1", c.user1_persona), ("user 2", c.user2_persona)):
            out.append((list(attrs), [t.text for t in c.turns if t.speaker == speaker]))
    return out


def fit(pairs: list[SyntheticPair], embed: Callable, seed: int = 0, c: float = 1.0) -> dict:
    """Standardised logistic regression; returns the JSON-able weights the checker ships."""
    from sklearn.linear_model import LogisticRegression

    X = pair_features([p.premise for p in pairs], [p.hypothesis for p in pairs], embed)
    y = np.array([p.label for p in pairs])
    mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-6
    model = LogisticRegression(C=c, max_iter=1000, random_state=seed).fit((X - mean) / scale, y)
    return {"features": list(FEATURE_NAMES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "coef": model.coef_[0].round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6),
            "training": {"pairs": len(pairs), "contradictions": int(y.sum()), "seed": seed, "C": c,
                         "kinds": {k: sum(p.kind == k for p in pairs) for k in sorted({p.kind for p in pairs})},
                         "train_accuracy": round(float(model.score((X - mean) / scale, y)), 4)}}
