"""What `minilm-toxicity` reads of a line: MiniLM's token vectors pooled three ways, and hashed word/char n-grams.

Why more than the sentence vector: an insult or a threat is often a few words inside an everyday line ("...,
dimwit", "I know what time you leave work"), and the sentence vector (the mean of all token vectors) dilutes
them. The mean and the element-wise max of the line's own token vectors keep a strong word visible, from the
same single MiniLM forward pass (the sentence vector is the normalised mean of the same tokens). Hashed
n-grams add the wording itself for a second, sparse logistic model; hashing needs no vocabulary file, so the
shipped model is a list of (index, weight) pairs. Measured side by side in `benchmarks/toxicity_head.py
--pooling` (docs/performance.md, "Toxicity expert calibration").
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .embedder import VectorCache

POOLED_TABLE = "toxicity_pooled"  # the run's embedding cache file keeps the pooled vectors in their own table
NGRAM_FEATURES = 2 ** 20  # per analyzer: char_wb 2-5 grams, then word 1-2 grams (2 * 2**20 indices in all)


class PooledEncoder:
    """`encode(texts)` -> [sentence vector | L2-normalised (mean, max) of the inner token vectors], 3 x dim
    columns, from one forward pass of the embedder's SentenceTransformer; cached like the embedder's vectors."""

    def __init__(self, embedder: Any) -> None:
        if getattr(embedder, "sentence_transformer", None) is None:
            raise ValueError(f"minilm-toxicity needs the torch backend of the embedder (token vectors); "
                             f"{getattr(embedder, 'model', embedder)!r} runs on {getattr(embedder, 'backend', '?')}")
        self.embedder = embedder
        self.model = embedder.model
        self.dim = 3 * int(embedder.dim)
        path = getattr(getattr(embedder, "_cache", None), "path", None)
        self._cache = VectorCache(path, self.dim, table=POOLED_TABLE) if path else None
        self.encoded = 0  # texts that really went through the model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [hashlib.sha1(f"{self.embedder.cache_id}#pooled\x1f{t}".encode("utf-8")).hexdigest() for t in texts]
        found = self._cache.get(keys) if self._cache else {}
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items(), key=lambda kt: len(kt[1]))
        if todo:
            fresh = dict(zip((k for k, _ in todo), self._pooled([t for _, t in todo])))
            self.encoded += len(todo)
            if self._cache:
                self._cache.put(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys])

    def _pooled(self, texts: list[str]) -> np.ndarray:
        import torch

        st = self.embedder.sentence_transformer
        with torch.inference_mode():
            tokens = st.encode(texts, output_value="token_embeddings", batch_size=self.embedder.batch_size,
                               convert_to_numpy=False, show_progress_bar=False)
        return np.stack([pool(t.float().cpu().numpy()) for t in tokens])


def pool(tokens: np.ndarray) -> np.ndarray:
    """One line's token vectors ([CLS] ... [SEP]) -> [normalised mean of all | normalised (inner mean, inner max)]."""
    sentence = tokens.mean(axis=0)
    inner = tokens[1:-1] if len(tokens) > 2 else tokens
    words = np.concatenate([inner.mean(axis=0), inner.max(axis=0)])
    return np.concatenate([_unit(sentence), _unit(words)]).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def ngrams(texts: list[str]) -> Any:
    """Sparse hashed counts (char_wb 2-5 grams, then word 1-2 grams), L2-normalised per analyzer: sklearn's
    murmurhash, so the same text gives the same columns in every process and version that keeps that hash."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import HashingVectorizer

    chars = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=NGRAM_FEATURES, alternate_sign=False)
    words = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=NGRAM_FEATURES, alternate_sign=False)
    return hstack([chars.transform(texts), words.transform(texts)]).tocsr()
