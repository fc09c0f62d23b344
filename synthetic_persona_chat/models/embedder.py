"""Sentence embeddings with an on-disk cache keyed by (model, backend, text) hash.

Persona pools are embedded again and again (expansion rounds, profiles, pairing,
faithfulness); the cache makes each sentence cost one forward pass across runs.

Backends (`backend=` or a `MODEL@BACKEND` spec such as `minilm@onnx-int8`):
- `torch`: SentenceTransformer (default; any model, CPU or GPU);
- `onnx`: the same model exported to ONNX and run by onnxruntime on CPU (`onnx_encoder.py`);
- `onnx-int8`: that export with dynamically quantised int8 weights;
- `openvino`: the fp32 export run by OpenVINO, which computes in bf16 where the CPU has native bf16.
Their speed and NUP hits@1 are measured side by side in `benchmarks/embedding_backends.py`.
An onnx backend that cannot serve a model (onnxruntime missing, an unsupported architecture) falls
back to torch with a logged warning, and `describe()` records the fallback and its reason.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from tqdm import tqdm

from ..kvstore import KeyValueStore
from .bundled import DEFAULT_EMBEDDER, embedder_location
from .stable_batches import encode_stably

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
DEFAULT_BACKEND = "torch"


def parse_embedder_spec(spec: str, backend: str | None = None) -> tuple[str, str]:
    """"minilm@onnx-int8" -> ("minilm", "onnx-int8"); a suffix that is not a backend stays part of the name.

    An explicit `backend` argument must agree with a suffix in the spec (two different answers is an error).
    """
    model, _, suffix = str(spec or DEFAULT_EMBEDDER).rpartition("@")
    if not model or suffix not in BACKENDS:
        model, suffix = str(spec or DEFAULT_EMBEDDER), ""
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"embedder backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    if suffix and backend and suffix != backend:
        raise ValueError(f"embedder {spec!r} names backend {suffix!r} but backend={backend!r} was also given")
    return model, suffix or backend or DEFAULT_BACKEND


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
        self.fallback: str | None = None  # why an onnx backend was not used
        self._st, self._onnx = None, None
        location = embedder_location(self.model)
        if self.requested_backend != "torch" and (device or "cpu") == "cpu":
            self._onnx = self._load_onnx(location, max_seq_length)
        elif self.requested_backend != "torch":
            self.fallback = f"the onnx/openvino backends run on CPU only; device={device!r} asked for"
            log.warning("embedder %s: %s, using torch", self.model, self.fallback)
        if self._onnx is None:
            from sentence_transformers import SentenceTransformer

            self._st = SentenceTransformer(location, device=device)
            native = self._st.max_seq_length
            self._st.max_seq_length = max_seq_length or native
        else:
            native = self._onnx.meta["max_seq_length"]
        self.backend = self.requested_backend if self._onnx is not None else "torch"
        self.dim = int(self._onnx.dim if self._onnx is not None else _st_dim(self._st))
        self.max_seq_length = int(self._onnx.max_seq_length if self._onnx is not None else self._st.max_seq_length)
        self._default_length = self.max_seq_length == native
        self._cache = VectorCache(cache_path, self.dim) if cache_path else None
        self.encoded = 0  # sentences that really went through the model

    def _load_onnx(self, location: str, max_seq_length: int | None) -> Any:
        from .onnx_encoder import OnnxEncoder, OnnxUnavailable, UnsupportedForOnnx  # optional extras [onnx] / [openvino]

        precision = "int8" if self.requested_backend == "onnx-int8" else "fp32"
        runtime = "openvino" if self.requested_backend == "openvino" else "onnxruntime"
        try:
            return OnnxEncoder(location, precision=precision, max_seq_length=max_seq_length, runtime=runtime)
        except (OnnxUnavailable, UnsupportedForOnnx) as exc:
            self.fallback = str(exc)
            log.warning("embedder %s: backend %s not used (%s); falling back to torch",
                        self.model, self.requested_backend, exc)
            return None

    @property
    def cache_id(self) -> str:
        """What a cached vector is keyed by besides its text: the torch key is the bare model name (as
        before backends existed, so existing caches stay valid); other backends and a non-default
        truncation get their own keys, so an int8 vector is never served for a torch request."""
        cid = self.model if self._onnx is None else f"{self.model}@{self._onnx.tag}"
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
            vecs = self._encode([t for _, t in todo], show_progress)
            self.encoded += len(todo)
            fresh = {k: v for (k, _), v in zip(todo, vecs)}
            if self._cache:
                self._cache.put(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys])

    def _encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        """Same-length batches (`stable_batches`): a text's vector never depends on what it was encoded with."""
        batches = tqdm(total=len(texts), desc="embedding", unit="text", disable=not show_progress, leave=False)

        def one(batch: list[str]) -> np.ndarray:
            batches.update(len(set(batch)))
            if self._onnx is not None:
                return self._onnx.encode(batch, batch_size=len(batch), sort_by_length=False)
            return self._st.encode(batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False)

        with batches:
            return encode_stably(texts, self.token_lengths(texts), self.batch_size, one)

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens per text after the encoder's truncation: what its batches pad to."""
        tokenizer = self._onnx._tokenizer if self._onnx is not None else self._st.tokenizer
        if self._onnx is not None and self._onnx.meta["do_lower_case"]:
            texts = [t.lower() for t in texts]
        ids = tokenizer(list(texts), truncation=True, max_length=self.max_seq_length)["input_ids"]
        return [len(i) for i in ids]

    def describe(self) -> dict[str, Any]:
        if self._onnx is not None:
            info = {"backend": self._onnx.runtime, **self._onnx.describe(), "device": "cpu"}
        else:
            info = {"backend": "sentence-transformers", "device": str(self._st.device)}
        info.update(model=self.model, dim=self.dim, embedder_backend=self.backend,
                    max_seq_length=self.max_seq_length)
        if self.fallback:
            info.update(requested_backend=self.requested_backend, fallback=self.fallback)
        return info


def _st_dim(st: Any) -> int:
    return (st.get_embedding_dimension() if hasattr(st, "get_embedding_dimension")
            else st.get_sentence_embedding_dimension())


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
