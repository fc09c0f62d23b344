"""Sentence embeddings with an on-disk cache keyed by (model, backend, text) hash.

Persona pools are embedded again and again (expansion rounds, profiles, pairing,
faithfulness); the cache makes each sentence cost one forward pass across runs.

Backends (`backend=` or a `MODEL@BACKEND` spec such as `minilm@onnx-int8`) are the encoders of
`models/encoders/`: `torch` (SentenceTransformer, default; any model, CPU or GPU), `onnx` and `onnx-int8`
(onnxruntime on CPU), `openvino` (the fp32 export run by OpenVINO, bf16 where the CPU has it natively).
Their speed and NUP hits@1 are measured side by side in `benchmarks/embedding_backends.py`.
An onnx backend that cannot serve a model (onnxruntime missing, an unsupported architecture) falls
back to torch with a logged warning, and `describe()` records the fallback and its reason.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from tqdm import tqdm

from ..jsontypes import JsonObject
from ..kvstore import KeyValueStore
from .bundled import DEFAULT_EMBEDDER
from .encoders import make_encoder, parse_embedder_spec
from .stable_batches import encode_stably

class Embedder:
    """L2-normalised float32 embeddings, so a dot product is a cosine similarity.

    `model`: "minilm" (bundled), a sentence-transformers id or path, optionally `@torch|@onnx|@onnx-int8|@openvino`.
    `max_seq_length`: token truncation (None = the model's own).
    """

    def __init__(self, model: str = DEFAULT_EMBEDDER, device: str | None = None,
                 batch_size: int = 64, cache_path: str | Path | None = None, backend: str | None = None,
                 max_seq_length: int | None = None) -> None:
        self.model, self.requested_backend = parse_embedder_spec(model, backend)
        self.batch_size = batch_size
        self.encoder, self.fallback = make_encoder(self.model, self.requested_backend, device, max_seq_length)
        self.backend = self.requested_backend if self.fallback is None else "torch"
        self.dim = int(self.encoder.dim)
        self.max_seq_length = int(self.encoder.max_seq_length)
        self._default_length = self.max_seq_length == self.encoder.native_max_seq_length
        self._cache = VectorCache(cache_path, self.dim) if cache_path else None
        self.encoded = 0  # sentences that really went through the model

    @property
    def cache_id(self) -> str:
        """What a cached vector is keyed by besides its text: the torch key is the bare model name (as
        before backends existed, so existing caches stay valid); other backends and a non-default
        truncation get their own keys, so an int8 vector is never served for a torch request."""
        cid = f"{self.model}@{self.encoder.tag}" if self.encoder.tag else self.model
        return cid if self._default_length else f"{cid}#len{self.max_seq_length}"

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cid = self.cache_id
        keys = [hashlib.sha1(f"{cid}\x1f{t}".encode("utf-8")).hexdigest() for t in texts]
        found = self._cache.get(keys) if self._cache else {}
        # by length: a batch of similar lengths pads least (sentence-transformers sorts its own input too)
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items(), key=lambda kt: len(kt[1]))
        if todo:
            vecs = self.encode_uncached([t for _, t in todo], show_progress)
            self.encoded += len(todo)
            fresh = {k: v for (k, _), v in zip(todo, vecs)}
            if self._cache:
                self._cache.put(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys])

    @property
    def sentence_transformer(self) -> Any:
        """The torch backend's `SentenceTransformer` (None on the other backends): public so a benchmark can time
        its own padded batching against `encode_uncached` (benchmarks/determinism.py --encoder-cost)."""
        return getattr(self.encoder, "st", None)

    def encode_uncached(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """The model pass `encode` makes for texts it has not cached, in order, without the cache (benchmarks time it).

        Same-length batches (`stable_batches`): a text's vector never depends on what it was encoded with."""
        batches = tqdm(total=len(texts), desc="embedding", unit="text", disable=not show_progress, leave=False)

        def one(batch: list[str]) -> np.ndarray:
            batches.update(len(set(batch)))
            return self.encoder.encode(batch)

        with batches:
            return encode_stably(texts, self.token_lengths(texts), self.batch_size, one)

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens per text after the encoder's truncation: what its batches pad to."""
        return self.encoder.token_lengths(texts)

    def describe(self) -> JsonObject:
        info = self.encoder.describe()
        info.update(model=self.model, dim=self.dim, embedder_backend=self.backend,
                    max_seq_length=self.max_seq_length)
        if self.fallback:
            info.update(requested_backend=self.requested_backend, fallback=self.fallback)
        return info


class VectorCache:
    """Vectors as float32 bytes in one SQLite table; a stored vector of another dimension (a changed model)
    is ignored. The embedder keeps its vectors in table `vectors`; the contradiction checker keeps its own
    (other precisions) in another table through this same class."""

    def __init__(self, path: str | Path, dim: int, table: str = "vectors") -> None:
        self._store = KeyValueStore(path, table, value_column="vec", value_type="BLOB")
        self._dim = dim
        self.path = self._store.path

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        vectors = {k: np.frombuffer(blob, dtype=np.float32) for k, blob in self._store.get_many(keys).items()}
        return {k: v for k, v in vectors.items() if not self._dim or v.shape[0] == self._dim}

    def put(self, items: dict[str, np.ndarray]) -> None:
        self._store.put_many({k: v.astype(np.float32).tobytes() for k, v in items.items()})
