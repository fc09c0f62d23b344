"""int8 Linear layers with per-row activation scales: the CPU decode lever that measures, batch-invariant.

Why int8: on a CPU without native bf16 the bundled 135M model decodes in float32, and its matrix products at
decode batch sizes run far below the CPU's peak. Stored as int8 (one scale per output channel), the weights
are a quarter of the bytes and the products run on fbgemm's int8 kernels (benchmarks/llm_throughput.py,
lever "int8"). It is pure PyTorch, so nothing is compiled on the user's machine.

Why per row: PyTorch's dynamic quantisation (`quantize_dynamic`) picks ONE activation scale for the whole
batch, so a row's text depended on its batch neighbours, and the Ray and local engines, which group calls
differently, wrote different records (tests/generation/test_ray_engine.py). Here every row (token) is divided
by its own absolute maximum before a quantisation whose scale and zero point are constants, and multiplied
back after the product: a row's output is a function of that row alone (integer accumulation is exact), and
the error is lower than a per-batch scale's (about 1.6% vs 2.0% relative on random inputs), since no row is
quantised on a neighbour's range.

What per-row scales do not remove: SDPA's float32 sums depend on a row's left padding by a few ulps, and
int8 rounding turns a rare ulp into a whole step (see float64_attention). So there are two settings:
- `int8`: per-row scales, float32 attention. A row no longer depends on its neighbours' values, only (rarely)
  on how much padding the batch gives it; the fastest (1.3x end to end on the Generator's workload);
- `int8-exact`: the same with float64 attention: a row's text is the same alone or in any batch
  (tests/models/test_int8.py), so the Ray and local engines agree as they do in float32; on the Generator's
  long prompts the float64 attention costs more than int8 saves (0.87x), decoding alone is 1.4x.
- `int8-fast`: PyTorch's own dynamic quantisation (`quantize_dynamic` on every nn.Linear): ONE activation
  scale per batch, so a row's text may depend on its batch neighbours. Not for runs whose records must match
  across engines (Ray vs local) or batch groupings; on one machine with a fixed batch plan (the demo) it is
  the fastest kernel (benchmarks/llm_throughput.py, `--backends decode`).
"""

from __future__ import annotations

import warnings
from typing import Any

CHOICES = ("none", "int8", "int8-exact", "int8-fast", "auto")


def resolve_quantize(setting: str, device: str, dtype: str) -> tuple[str, str]:
    """(int8 | int8-exact | int8-fast | none, the reason recorded in models.json), decided before the weights load
    from the `quantize` and `dtype` settings: int8 is quantised from float32 weights, so it decides the dtype.

    `auto` takes int8 on a CPU: it decodes faster than float32 everywhere and than native bf16 where the CPU has
    it (AVX512-BF16, decode only, batch 32: int8 434 tok/s, bf16 377, float32 209; docs/performance.md)."""
    if setting not in CHOICES:
        raise ValueError(f"quantize must be one of {', '.join(CHOICES)}, got {setting!r}")
    if setting != "auto":
        if setting != "none" and dtype not in ("auto", "float32"):
            raise ValueError(f"quantize: {setting} quantises float32 weights; set dtype: float32 or auto "
                             f"(got dtype: {dtype}), or quantize: none")
        return setting, "configured"
    if device != "cpu":
        return "none", "auto: not on a CPU"
    if dtype not in ("auto", "float32"):
        return "none", f"auto: dtype {dtype} configured"
    return "int8", "auto: CPU (int8 decodes faster than float32 and than native bf16)"


def float64_attention(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **kwargs: Any) -> Any:
    """transformers' SDPA attention computed in float64, its output rounded back to the model's dtype.

    Why: attention is the one product that mixes a row with others of its sequence, and its float32 sums
    depend on how much left padding the batch gives the row (a few ulps). float32 Linear layers let such
    ulps fade, but int8 rounding is a step function: an ulp that crosses a rounding step in a token with a
    large activation (this model has peaks in the thousands) moves the next layer's input by a whole step,
    and the texts then part ways (measured: greedy texts of a prompt alone vs in a padded batch differed
    3 times in 4). In float64 the padding changes the sums by ~1e-16, below float32's rounding, so the
    rounded output is the same whatever the batch.
    """
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if attention_mask is not None and attention_mask.dtype != torch.bool:
        attention_mask = attention_mask.double()
    out, weights = sdpa_attention_forward(module, query.double(), key.double(), value.double(), attention_mask,
                                          **kwargs)
    return out.to(query.dtype), weights


def quantize_int8(model: Any, exact: bool = False) -> Any:
    """The model with every float32 nn.Linear replaced in place by a RowInt8Linear (CPU only); `exact` also
    computes attention in float64 (float64_attention), so that a row's text depends on that row alone,
    padding included, at the price of the int8 speed-up on long prompts (docs/performance.md)."""
    import torch

    if exact:
        use_float64_attention(model)
    from .row_int8 import RowInt8Linear  # holds torch at import: loaded with the model, not with `spc --help`

    targets = [(name, module) for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)]
    for name, module in targets:
        parent_name, _, child = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, child, RowInt8Linear(module))
    return model


def quantize_int8_fast(model: Any) -> Any:
    """The model with every nn.Linear swapped for torch's dynamic int8 Linear (per-batch activation scale,
    one weight scale per output channel, as `int8`'s weights).

    Why a second kernel: fbgemm's fused dynamic path quantises the activations inside one call, where the
    per-row layers above pay for a float division, an infinity norm and a multiplication per Linear; on the
    demo's Generator call (32 prompts, constrained, one process) it took 0.65-0.7x the per-row layers' time
    (docs/performance.md). The price is batch dependence (see the module docstring)."""
    import torch

    with warnings.catch_warnings():  # torch.ao's deprecation notice: the pinned torch still ships the API
        warnings.simplefilter("ignore")
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)


def apply_quantize(model: Any, setting: str, fuse: bool = True) -> Any:
    """The model quantised as `setting` (a resolved choice other than "none") asks; with `fuse`, the
    projections that share an input are first fused into one Linear per group (fused_projections.py: the
    same texts, fewer and larger int8 products)."""
    import torch

    if next(model.parameters()).dtype != torch.float32:  # int8 is quantised from float32 (resolve_quantize)
        model = model.float()
    if fuse:
        from .fused_projections import fuse_projections  # holds torch at import, as row_int8

        fuse_projections(model)
    if setting == "int8-fast":
        return quantize_int8_fast(model)
    return quantize_int8(model, exact=setting == "int8-exact")


def use_float64_attention(model: Any) -> None:
    """Switch the model's attention to float64_attention (registered under "sdpa_float64")."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register("sdpa_float64", float64_attention)
    AttentionMaskInterface.register("sdpa_float64", sdpa_mask)  # else transformers builds no padding mask
    model.set_attn_implementation("sdpa_float64")
