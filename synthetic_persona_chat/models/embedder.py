"""Sentence embeddings with an on-disk cache keyed by (model, text) hash.

Persona pools are embedded again and again (expansion rounds, profiles, pairing,
faithfulness); the cache makes each sentence cost one forward pass across runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from ..kvstore import KeyValueStore
from .bundled import embedder_location

DEFAULT_EMBEDDER = "minilm"


class Embedder:
    """L2-normalised float32 embeddings, so a dot product is a cosine similarity."""

    def __init__(self, model: str = DEFAULT_EMBEDDER, device: str | None = None,
                 batch_size: int = 64, cache_path: str | Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        self.model = model or DEFAULT_EMBEDDER
        location = embedder_location(self.model)
        self._st = SentenceTransformer(location, device=device)
        self.batch_size = batch_size
        self.dim = int(self._st.get_embedding_dimension()
                       if hasattr(self._st, "get_embedding_dimension")
                       else self._st.get_sentence_embedding_dimension())
        self._cache = _VectorCache(cache_path, self.dim) if cache_path else None
        self.encoded = 0  # sentences that really went through the model

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [hashlib.sha1(f"{self.model}\x1f{t}".encode("utf-8")).hexdigest() for t in texts]
        found = self._cache.get(keys) if self._cache else {}
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        if todo:
            vecs = self._st.encode([t for _, t in todo], batch_size=self.batch_size,
                                   normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=show_progress).astype(np.float32)
            self.encoded += len(todo)
            fresh = {k: v for (k, _), v in zip(todo, vecs)}
            if self._cache:
                self._cache.put(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys])

    def describe(self) -> dict[str, Any]:
        return {"backend": "sentence-transformers", "model": self.model, "dim": self.dim,
                "device": str(self._st.device)}


class _VectorCache:
    """Vectors as float32 bytes; a stored vector of another dimension (a changed model) is ignored."""

    def __init__(self, path: str | Path, dim: int) -> None:
        self._store = KeyValueStore(path, "vectors", value_column="vec", value_type="BLOB")
        self._dim = dim

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        vectors = {k: np.frombuffer(blob, dtype=np.float32) for k, blob in self._store.get_many(keys).items()}
        return {k: v for k, v in vectors.items() if v.shape[0] == self._dim}

    def put(self, items: dict[str, np.ndarray]) -> None:
        self._store.put_many({k: v.astype(np.float32).tobytes() for k, v in items.items()})
