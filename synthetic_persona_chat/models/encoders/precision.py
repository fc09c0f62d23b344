"""Encoder precision, decided and applied in one place: float32, or bf16 where the CPU does it natively.

bf16 means CPU autocast of a torch encoder: ~3x faster on CPUs with native bf16 arithmetic (AVX512-BF16,
AMX), vectors within 1e-3 of float32. Elsewhere emulated bf16 is slower than float32, so `"auto"` takes
bf16 only where `native_bf16()`. onnxruntime ignores torch autocast and so does a GPU's float32 path,
so bf16 is refused for them; OpenVINO picks its own compute precision (it reports it, see
`openvino_backend`). The LLM's dtype choice (`llm/transformers_llm.py`) asks `native_bf16` too.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any, Iterator

PRECISIONS = ("auto", "fp32", "bf16")


@lru_cache(maxsize=1)
def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (oneDNN's own check), so bf16 autocast is faster."""
    try:
        import torch  # heavy library, loaded only when a precision is decided

        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False


def resolve_precision(precision: str, embedder: Any) -> str:
    """fp32 or bf16; bf16 only for a torch encoder on the CPU (autocast has no effect elsewhere)."""
    if precision not in PRECISIONS:
        raise ValueError(f"checker precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    info = embedder.describe() if hasattr(embedder, "describe") else {}
    torch_cpu = info.get("backend") == "sentence-transformers" and str(info.get("device", "cpu")).startswith("cpu")
    if precision == "bf16" and not torch_cpu:
        raise ValueError(f"checker precision bf16 needs a torch encoder on the CPU, not {info}")
    if precision == "auto":
        return "bf16" if torch_cpu and native_bf16() else "fp32"
    return precision


@contextlib.contextmanager
def computing_in(precision: str) -> Iterator[None]:
    """Run the block's torch encoding in `precision` (a resolved one). Autocast is per thread: enter this
    on the thread that encodes."""
    if precision != "bf16":
        yield
        return
    import torch  # heavy library, loaded only for a bf16 encoder (which is a torch one)

    with torch.autocast("cpu", dtype=torch.bfloat16):
        yield
