"""What an encoder is: texts in, L2-normalised float32 rows out, and a description for the run directory."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ...jsontypes import JsonObject


class Encoder(Protocol):
    """One backend's encoder. `encode` runs `texts` as ONE batch (the caller batches, by length, so a text's
    vector never depends on what it was batched with); rows are unit vectors, so a dot product is a cosine.

    `tag`: what the vectors are, beside the model name, in cache keys ("" for torch, whose keys predate
    backends; "onnx-fp32", "openvino-bf16", ...). `native_max_seq_length`: the model's own truncation.
    """

    dim: int
    max_seq_length: int
    native_max_seq_length: int
    tag: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit vectors, in the order of `texts`."""
        ...

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens per text after truncation: what a batch pads to."""
        ...

    def describe(self) -> JsonObject:
        """Backend, device, precision and the like, written as-is to the run directory (free-form JSON:
        each backend has its own fields)."""
        ...
