"""The onnx backends: the exported model (`onnx_export`) run by onnxruntime on the CPU, fp32 or int8 weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .onnx_export import PRECISIONS, ExportedEncoder, require_runtime


class OnnxEncoder(ExportedEncoder):
    """`Encoder` over an onnxruntime session of the export.

    `location`: a SentenceTransformer folder or Hub id. `precision`: "fp32" or "int8" (the export's weights).
    `max_seq_length`: truncation in tokens (None = the model's own, as SentenceTransformer does).
    `threads`: intra-op threads (None = the cores this process may use).
    """

    runtime = "onnxruntime"

    def __init__(self, location: str | Path, precision: str = "fp32", max_seq_length: int | None = None,
                 threads: int | None = None, cache_dir: str | Path | None = None) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"onnx precision must be one of {PRECISIONS}, got {precision!r}")
        engine = require_runtime(self.runtime)
        self.precision = precision
        self._load(location, precision, max_seq_length, threads, cache_dir)
        options = engine.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        self._session = engine.InferenceSession(str(self.export.path / "model.onnx"), options,
                                                providers=["CPUExecutionProvider"])

    def _run(self, batch: list[str]) -> np.ndarray:
        return self._session.run(None, self.export.inputs(batch))[0]
