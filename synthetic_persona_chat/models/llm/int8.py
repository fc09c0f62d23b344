"""Dynamic int8 quantisation of a transformers model's Linear layers: the CPU decode lever that measures.

Why: on a CPU without native bf16 the bundled 135M model decodes in float32, and its matrix products at
decode batch sizes run far below the CPU's peak. PyTorch's dynamic quantisation stores each Linear's
weights as int8 (one scale per output channel) and quantises the activations on the fly, so the products
run on fbgemm's int8 kernels: decode 1.6x and prefill 1.5x faster here, side by side in one process
(benchmarks/llm_throughput.py, lever "int8 dynamic"). It is pure PyTorch, so nothing is compiled on the
user's machine. The text changes a little (greedy tokens agree about 80% of the time on free text): the
bundled weights are a Q4_1 GGUF already, and the constrained Generator keeps its shape whatever the text.

Why it is not the default: int8's activation scale is computed per batch, so a text also depends on the
other rows of its batch. The same engine with the same batches still writes the same bytes, but the Ray and
local engines group the Critic's judge calls differently, and with int8 their runs differed (measured:
tests/generation/test_ray_engine.py), where float32 gives the same bytes. So `quantize: none` (the default)
keeps the cross-engine guarantee; `quantize: int8` (the `demo` preset, which runs on one machine) buys speed;
`quantize: auto` takes int8 where the model would otherwise run in float32 on a CPU.
"""

from __future__ import annotations

import warnings
from typing import Any

CHOICES = ("none", "int8", "auto")


def resolve_quantize(setting: str, device: str, dtype: Any) -> tuple[str, str]:
    """(int8 | none, the reason recorded in models.json)."""
    import torch  # heavy library: only with the transformers backend

    if setting not in CHOICES:
        raise ValueError(f"quantize must be one of {', '.join(CHOICES)}, got {setting!r}")
    if setting != "auto":
        return setting, "configured"
    if device != "cpu":
        return "none", "auto: not on a CPU"
    if dtype != torch.float32:
        return "none", f"auto: {str(dtype).removeprefix('torch.')} weights (native bf16)"
    return "int8", "auto: CPU in float32"


def quantize_int8(model: Any) -> Any:
    """The model with every nn.Linear replaced in place by its dynamically quantised int8 version."""
    import torch  # heavy library: only with the transformers backend
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's deprecation notices: the API is what torch 2.13 (pinned) ships
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)
