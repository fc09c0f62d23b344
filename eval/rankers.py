"""NUP rankers: score each example's candidates for its context; higher = more likely the next utterance.

Every ranker has `name` and `scores(contexts, candidates) -> (n, k) float array`, where
`contexts` is a list of n query texts and `candidates` an n x k list of texts. Scoring is
vectorised: a bi-encoder embeds each *unique* text once (and keeps it in an in-memory cache,
plus the shared on-disk cache for named models), then scores with one batched dot product.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models import Embedder



class Ranker(Protocol):
    name: str

    def scores(self, contexts: list[str], candidates: list[list[str]]) -> np.ndarray:
        ...

    def describe(self) -> JsonObject:
        ...


def _check(contexts: list[str], candidates: list[list[str]]) -> int:
    if len(contexts) != len(candidates):
        raise ValueError(f"{len(contexts)} contexts but {len(candidates)} candidate lists")
    widths = {len(c) for c in candidates}
    if len(widths) > 1:
        raise ValueError(f"every example needs the same number of candidates, got {sorted(widths)}")
    return widths.pop() if widths else 0


def _index(texts: list[str], vocab: dict[str, int]) -> np.ndarray:
    return np.fromiter((vocab.setdefault(t, len(vocab)) for t in texts), dtype=np.int64, count=len(texts))


class BiEncoderRanker:
    """Cosine similarity of sentence embeddings (zero-shot with a stock model, or a fine-tuned one).

    `encoder` is anything with `encode(texts) -> L2-normalised (n, d) array`, e.g.
    `synthetic_persona_chat.models.Embedder` (which adds an on-disk cache across runs).
    """

    def __init__(self, encoder: Any, name: str = "bi-encoder") -> None:
        self.encoder, self.name = encoder, name
        self._memo: dict[str, np.ndarray] = {}

    @classmethod
    def from_model(cls, model: str | Path = "minilm", name: str = "zero-shot", cache_path: str | Path | None = None,
                   max_seq_length: int | None = None, device: str | None = None, backend: str | None = None
                   ) -> "BiEncoderRanker":
        """`backend`: "torch" (default), "onnx" or "onnx-int8" (`models.embedder`; falls back to torch, logged,
        for a model the ONNX exporter does not support). The Embedder keys its cache by the id the user gave."""
        return cls(Embedder(str(model), device=device, cache_path=cache_path, backend=backend,
                            max_seq_length=max_seq_length), name)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of `texts` (each unique text encoded at most once per ranker)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if todo:
            for t, v in zip(todo, self.encoder.encode(todo)):
                self._memo[t] = np.asarray(v, dtype=np.float32)
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    def scores(self, contexts: list[str], candidates: list[list[str]]) -> np.ndarray:
        k = _check(contexts, candidates)
        if not contexts:
            return np.zeros((0, k), dtype=np.float32)
        vocab, q_idx, c_idx = _unique_texts(contexts, candidates, k)
        unique = list(vocab)  # insertion order = index order
        emb = self.embed(unique)
        return np.einsum("nd,nkd->nk", emb[q_idx], emb[c_idx]).astype(np.float32)

    def describe(self) -> JsonObject:
        info = self.encoder.describe() if hasattr(self.encoder, "describe") else {}
        return {"ranker": self.name, "kind": "bi-encoder", **info}


class TfidfRanker:
    """Lexical IR baseline: TF-IDF cosine between context and candidate (scikit-learn).

    The vectoriser is fitted on the texts it is asked to score (contexts + candidates), i.e.
    IDF from the test collection itself, as an IR engine indexing that collection would;
    no labels are used. `sublinear_tf` and unigrams+bigrams are the usual strong settings.
    """

    name = "tf-idf"

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), sublinear_tf: bool = True) -> None:
        self.ngram_range, self.sublinear_tf = ngram_range, sublinear_tf

    def scores(self, contexts: list[str], candidates: list[list[str]]) -> np.ndarray:
        from sklearn.feature_extraction.text import TfidfVectorizer

        k = _check(contexts, candidates)
        if not contexts:
            return np.zeros((0, k), dtype=np.float32)
        vocab, q_idx, c_idx = _unique_texts(contexts, candidates, k)
        vec = TfidfVectorizer(ngram_range=self.ngram_range, sublinear_tf=self.sublinear_tf,
                              stop_words="english")
        m = vec.fit_transform(list(vocab))  # rows L2-normalised
        q = m[q_idx]  # (n, V)
        out = np.zeros((len(contexts), k), dtype=np.float32)
        for j in range(k):  # k sparse row-wise dot products, each vectorised over all examples
            out[:, j] = np.asarray(q.multiply(m[c_idx[:, j]]).sum(axis=1)).ravel()
        return out

    def describe(self) -> JsonObject:
        return {"ranker": self.name, "kind": "lexical", "ngram_range": list(self.ngram_range),
                "sublinear_tf": self.sublinear_tf}


class RandomRanker:
    """Chance level (hits@1 = 1/k in expectation); seeded."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def scores(self, contexts: list[str], candidates: list[list[str]]) -> np.ndarray:
        k = _check(contexts, candidates)
        return np.random.default_rng(self.seed).random((len(contexts), k)).astype(np.float32)

    def describe(self) -> JsonObject:
        return {"ranker": self.name, "kind": "random", "seed": self.seed}


def fingerprint(*parts: Any) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


def _unique_texts(contexts: list[str], candidates: list[list[str]], k: int
                  ) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """Every distinct text once (text -> index, in first-seen order), and the index of each context and
    candidate: scoring then embeds or vectorises each text a single time."""
    vocab: dict[str, int] = {}
    q_idx = _index(contexts, vocab)
    c_idx = _index([t for row in candidates for t in row], vocab).reshape(len(contexts), k)
    return vocab, q_idx, c_idx
