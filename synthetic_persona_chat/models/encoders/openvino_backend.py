"""The openvino backend: the fp32 export (`onnx_export`) run by OpenVINO on the CPU.

OpenVINO computes in bf16 where the CPU has native bf16 (its own default) and in f32 elsewhere; the
precision it really picked is read back and reported (`tag`, `describe()`), so the two are cached apart.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .onnx_export import ExportedEncoder, require_runtime


class OpenVinoEncoder(ExportedEncoder):
    """`Encoder` over an OpenVINO compiled model of the fp32 export (arguments as `OnnxEncoder`'s)."""

    runtime = "openvino"

    def __init__(self, location: str | Path, max_seq_length: int | None = None, threads: int | None = None,
                 cache_dir: str | Path | None = None) -> None:
        engine = require_runtime(self.runtime)
        self._load(location, "fp32", max_seq_length, threads, cache_dir)
        self._lock = threading.Lock()  # an OpenVINO infer request serves one call at a time
        self._model = engine.Core().compile_model(str(self.export.path / "model.onnx"), "CPU",
                                                  {"INFERENCE_NUM_THREADS": self.threads})
        self._request = self._model.create_infer_request()
        hint = str(self._model.get_property("INFERENCE_PRECISION_HINT"))
        self.precision = "bf16" if "bf16" in hint or "bfloat16" in hint else "fp32"

    def _run(self, batch: list[str]) -> np.ndarray:
        inputs = self.export.inputs(batch)
        with self._lock:
            return np.array(self._request.infer(inputs)[self._model.output(0)], dtype=np.float32)
