"""The contradiction checker's sentence vectors: each distinct text once, cached on disk, bf16 where it is native.

The default Critic's cost is MiniLM: measured on 2 cores, ~90% of `minilm-polarity`'s CPU time is the
encoder (the rules and the logistic regression are the rest), about 150 sentences per CPU-second in
float32. Two things cut it without changing what is computed:

- every distinct text is embedded once per call, and kept in an on-disk cache keyed by (model,
  precision, text), so persona attributes and their negations, which recur in every candidate of a
  pair and in every iteration, are embedded once per machine, and a resumed run re-embeds nothing;
- `precision="bf16"` runs the encoder under CPU autocast to bfloat16 (`encoders/precision.py`, which also
  decides `"auto"`: bf16 only where the CPU does it natively): vectors within 1e-3 of float32 (cosine to
  float32 >= 0.9999). Scores move by < 0.01, so the bf16 checker has its own measured calibration
  (`minilm-polarity/bf16` in contradiction_calibration.json).

- `replicas`: more copies of the encoder, each on its own thread: a call's new texts are dealt among them
  (by length, so each gets short and long ones) and encoded at once. Each replica is a model (~90 MB).
  Measured on 2 idle cores (`benchmarks/critic.py --cpu-split --workers 1,2`): torch's own intra-op threads
  already use ~1.6 cores, and a second copy cut the wall time by ~9% for 3% more CPU, so the checker
  uses one unless `workers` asks for more (machines with more cores than one call can use).

The cache has its own file and keys per precision: bf16 vectors never reach the float32 embedding cache
that clustering and pairing read.

Measured per CPU-second on 2 loaded cores (benchmarks/critic.py --cpu-split, the canned utterances of
the saturation benchmark): torch float32 ~150 sentences, onnxruntime float32 (the embedder's `onnx`
backend, scores equal to torch's within 1e-5) ~240, torch bf16 ~470. The embedder's `onnx-int8` moved
scores by up to 0.18 and flipped 4 of 22 strict-threshold verdicts on SPC pairs: not offered here.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..jsontypes import JsonObject
from .embedder import VectorCache
from .encoders.precision import computing_in, resolve_precision

__all__ = ["CheckerEmbeddings"]
MIN_SHARE = 32  # fewer new texts per replica than this: one call (a thread hand-off would cost more than it saves)


class CheckerEmbeddings:
    """`encode(texts)` -> L2-normalised float32 rows aligned with `texts`; counts what the cache saved."""

    def __init__(self, embedder: Any, precision: str = "auto", cache_path: str | Path | None = None,
                 replicas: Sequence[Any] = ()) -> None:
        self.embedder = embedder
        self._encoders = [embedder, *replicas]
        self._pool = ThreadPoolExecutor(len(replicas), thread_name_prefix="spc-checker-encoder") if replicas else None
        self._encoding = threading.Lock()  # one tokenizer per encoder: never two calls on one at once
        self.precision = resolve_precision(precision, embedder)
        if self.precision == "bf16" and getattr(embedder, "_cache", None) is not None:
            raise ValueError("a bf16 checker needs an encoder without its own cache: its vectors would land "
                             "in the float32 embedding cache that clustering and pairing read")
        # the embedder's cache id names its backend (minilm, minilm@onnx): their vectors are cached apart
        self.model = str(getattr(embedder, "cache_id", None) or getattr(embedder, "model", "minilm"))
        self._store = VectorCache(cache_path, int(getattr(embedder, "dim", 0)), table="checker_vectors") \
            if cache_path else None
        self._lock = threading.Lock()
        self.requested = self.distinct = self.cache_hits = self.encoded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        dim = int(getattr(self.embedder, "dim", 0))
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        keys = {t: hashlib.sha1(f"{self.model}\x1f{self.precision}\x1f{t}".encode("utf-8")).hexdigest()
                for t in unique}
        found = self._store.get(list(keys.values())) if self._store is not None else {}
        todo = [t for t in unique if keys[t] not in found]
        vectors = {t: found[keys[t]] for t in unique if keys[t] in found}
        if todo:
            with self._encoding:
                fresh = self._encode_new(todo)
            vectors.update(zip(todo, fresh))
            if self._store is not None:
                self._store.put({keys[t]: v for t, v in zip(todo, fresh)})
        with self._lock:
            self.requested += len(texts)
            self.distinct += len(unique)
            self.cache_hits += len(unique) - len(todo)
            self.encoded += len(todo)
        return np.stack([vectors[t] for t in texts])

    def _encode_new(self, texts: list[str]) -> np.ndarray:
        """All of `texts` through the encoders at once: dealt by length, the caller's thread runs the first."""
        n = min(len(self._encoders), max(1, len(texts) // MIN_SHARE))
        if n == 1:
            return self._encode_on(self.embedder, texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        shares = [order[w::n] for w in range(n)]
        assert self._pool is not None
        futures = [self._pool.submit(self._encode_on, enc, [texts[i] for i in share])
                   for enc, share in zip(self._encoders[1:n], shares[1:])]
        first = self._encode_on(self.embedder, [texts[i] for i in shares[0]])
        out = np.empty((len(texts), first.shape[1]), dtype=np.float32)
        out[shares[0]] = first
        for future, share in zip(futures, shares[1:]):
            out[share] = future.result()
        return out

    def _encode_on(self, encoder: Any, texts: list[str]) -> np.ndarray:
        with computing_in(self.precision):  # autocast is per thread: entered on the thread that encodes
            return np.asarray(encoder.encode(texts), dtype=np.float32)

    def stats(self) -> dict[str, int | float | None]:
        """Texts asked for, distinct ones, how many the cache answered, and its hit rate over distinct texts."""
        return {"requested": self.requested, "distinct": self.distinct, "cache_hits": self.cache_hits,
                "encoded": self.encoded,
                "cache_hit_rate": round(self.cache_hits / self.distinct, 4) if self.distinct else None}

    def describe(self) -> JsonObject:
        return {"precision": self.precision, "encoders": len(self._encoders),
                "cache": str(self._store.path) if self._store is not None else None, **self.stats()}
