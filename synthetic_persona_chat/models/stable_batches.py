"""Encoder batches whose composition cannot change a text's vector, so a run's scores do not depend on the
order its batches finished in.

Why: a transformer's output for a text moves with the batch it is encoded in. Measured with the bundled
MiniLM on this CPU: padded to a longer neighbour, a vector moves by up to 1e-7 in float32 (7e-4 under
bf16 autocast), and a batch of one (a matrix-vector product) differs from any batch of two or more rows;
batches of >= 2 texts of the same token length give bit-identical vectors whatever else is in them. The
embedding and checker caches keep the first vector computed for a text, and which batch computes it first
depended on which batch of candidates reached the Critic first: the completion order of concurrent LLM
batches, a kill and resume, the engine. That moved a faithfulness score in its last bits (candidates.parquet
differed), and a score at the threshold flipped a verdict. Encoding by token length, never one row alone,
makes the vector a function of the text only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable, Sequence

import numpy as np


def same_length_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped by token length (shortest first), each group cut into batches of <= `batch_size`."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(lengths):
        groups[n].append(i)
    size = max(2, batch_size)
    return [idx[s:s + size] for n in sorted(groups) for idx in [groups[n]] for s in range(0, len(idx), size)]


def encode_stably(texts: Sequence[str], lengths: Sequence[int], batch_size: int,
                  encode_batch: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """`encode_batch` over same-length batches; a batch of one text is sent twice (a matrix product, as in
    every other batch) and its first row kept. Rows come back aligned with `texts`."""
    out: np.ndarray | None = None
    for idx in same_length_batches(lengths, batch_size):
        batch = [texts[i] for i in idx]
        vecs = np.asarray(encode_batch(batch * 2 if len(batch) == 1 else batch), dtype=np.float32)[:len(idx)]
        if out is None:
            out = np.empty((len(texts), vecs.shape[1]), dtype=np.float32)
        out[idx] = vecs
    return out if out is not None else np.zeros((0, 0), dtype=np.float32)
