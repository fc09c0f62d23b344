"""The encoder a model spec names (`minilm`, `minilm@onnx-int8`, `path/to/model@openvino`).

An onnx/openvino backend that cannot serve a model (its runtime not installed, an unsupported
architecture, a GPU asked for) falls back to torch: `make_encoder` returns the reason with the encoder,
and the caller logs and records it.
"""

from __future__ import annotations

import logging

from ..bundled import DEFAULT_EMBEDDER, embedder_location
from .onnx_backend import OnnxEncoder
from .onnx_export import OnnxUnavailable, UnsupportedForOnnx
from .openvino_backend import OpenVinoEncoder
from .protocol import Encoder
from .torch_backend import TorchEncoder

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


def make_encoder(model: str, backend: str, device: str | None = None,
                 max_seq_length: int | None = None) -> tuple[Encoder, str | None]:
    """(the encoder, None) or (a torch encoder, why `backend` was not used). `model`: a bundled name,
    a sentence-transformers id or a path, without the `@backend` suffix (see `parse_embedder_spec`)."""
    location = embedder_location(model)
    if backend == "torch":
        return TorchEncoder(location, device, max_seq_length), None
    if (device or "cpu") != "cpu":
        fallback = f"the onnx/openvino backends run on CPU only; device={device!r} asked for"
    else:
        try:
            return _exported(location, backend, max_seq_length), None
        except (OnnxUnavailable, UnsupportedForOnnx) as exc:
            fallback = str(exc)
    log.warning("embedder %s: backend %s not used (%s); falling back to torch", model, backend, fallback)
    return TorchEncoder(location, device, max_seq_length), fallback


def _exported(location: str, backend: str, max_seq_length: int | None) -> Encoder:
    if backend == "openvino":
        return OpenVinoEncoder(location, max_seq_length=max_seq_length)
    return OnnxEncoder(location, "int8" if backend == "onnx-int8" else "fp32", max_seq_length=max_seq_length)
