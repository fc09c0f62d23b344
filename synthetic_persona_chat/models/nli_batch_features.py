"""`pair_features` for a whole batch of pairs, each distinct sentence read and embedded once.

The faithfulness expert checks every utterance against every attribute of its speaker, so in a batch
of candidates one attribute appears in dozens of pairs (all its speaker's utterances, in all three
candidates of a pair) and one utterance in as many pairs as its speaker has attributes. The reference
`nli_features.pair_features` parses both sides of every pair and negates every premise again; here
the rules run once per distinct sentence, one `embed` call gets each distinct sentence and negation
once, and the per-pair arithmetic is numpy over index arrays. The result is the reference's, value for
value (tests/models/test_nli_batch_features.py checks equality on real SPC pairs), so the shipped
weights and calibration still hold.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .nli_features import EXCLUSIVE_WORDS, FEATURE_NAMES, _content, is_negative, negate, numbers, words


class _Lexical:
    """What the rules say about one sentence, computed once however many pairs it is in."""

    __slots__ = ("negative", "numbers", "content", "exclusive", "question")

    def __init__(self, text: str) -> None:
        self.negative = is_negative(text)
        self.numbers = numbers(text)
        self.content = _content(text)
        self.exclusive = any(w in EXCLUSIVE_WORDS for w in words(text))
        self.question = text.rstrip().endswith("?")


def batch_pair_features(premises: list[str], hypotheses: list[str],
                        embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32, equal to `pair_features(premises, hypotheses, embed)`."""
    n = len(premises)
    if n != len(hypotheses):
        raise ValueError(f"{n} premises but {len(hypotheses)} hypotheses")
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    index: dict[str, int] = {}
    for text in (*premises, *hypotheses):
        index.setdefault(text, len(index))
    texts = list(index)
    p_idx = np.fromiter((index[p] for p in premises), dtype=np.int64, count=n)
    h_idx = np.fromiter((index[h] for h in hypotheses), dtype=np.int64, count=n)
    own = list(dict.fromkeys(premises))  # distinct premises, each negated once
    neg_of = {p: k for k, p in enumerate(own)}
    vecs = embed(texts + [negate(p) for p in own])
    sent, negs = vecs[:len(texts)], vecs[len(texts):]
    cos = np.einsum("ij,ij->i", sent[p_idx], sent[h_idx])
    neg_idx = np.fromiter((neg_of[p] for p in premises), dtype=np.int64, count=n)
    neg_cos = np.einsum("ij,ij->i", negs[neg_idx], sent[h_idx])
    return _assemble(texts, p_idx, h_idx, cos, neg_cos)


def _assemble(texts: list[str], p_idx: np.ndarray, h_idx: np.ndarray, cos: np.ndarray,
              neg_cos: np.ndarray) -> np.ndarray:
    """The reference's arithmetic, column by column: products in float64, then one cast to float32."""
    lex = [_Lexical(t) for t in texts]
    negative = np.array([x.negative for x in lex], dtype=np.float64)
    question = np.array([x.question for x in lex], dtype=np.float64)
    exclusive = np.array([x.exclusive for x in lex], dtype=np.float64)
    pairs = list(zip(p_idx.tolist(), h_idx.tolist()))
    number = np.array([float(bool(lex[p].numbers) and bool(lex[h].numbers) and not (lex[p].numbers & lex[h].numbers))
                       for p, h in pairs], dtype=np.float64)
    overlap = np.array([len(lex[p].content & lex[h].content) / (len(lex[p].content | lex[h].content) or 1)
                        for p, h in pairs], dtype=np.float64)
    mismatch = (negative[p_idx] != negative[h_idx]).astype(np.float64)
    rel = np.maximum(cos.astype(np.float64), 0.0)
    columns = [cos.astype(np.float64), mismatch, mismatch * rel, number, number * rel, negative[p_idx],
               negative[h_idx], question[h_idx], exclusive[h_idx] * rel, (neg_cos - cos).astype(np.float64),
               overlap]
    return np.stack(columns, axis=1).astype(np.float32)
