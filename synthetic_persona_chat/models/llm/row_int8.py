"""The int8 Linear layer with per-row activation scales (`quantize: int8`; int8.py says why per row).

Its own module because a torch.nn.Module subclass needs torch when the class is defined: int8.py, which the
backend imports for its settings, then stays free of torch until a model is quantised.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

# The normalised activations in [-1, 1] map to quint8 1..127 (scale 1/63, zero point 64): 7 bits, as
# fbgemm's dynamic path uses on AVX2 (reduce_range), so u8 x s8 pair sums cannot saturate int16.
ACTIVATION_SCALE, ACTIVATION_ZERO_POINT = 1 / 63, 64


class RowInt8Linear(torch.nn.Module):
    """A Linear whose weight is int8 per output channel and whose input is quantised row by row."""

    def __init__(self, linear: Any) -> None:
        super().__init__()
        weight = linear.weight.detach().float()
        scales = (weight.abs().amax(dim=1) / 127).clamp_min(1e-12).double()
        with warnings.catch_warnings():  # torch's quantized-tensor deprecation notice: 2.13 (pinned) ships it
            warnings.simplefilter("ignore")
            qweight = torch.quantize_per_channel(weight, scales, torch.zeros_like(scales, dtype=torch.long),
                                                 0, torch.qint8)
            self._packed = torch.ops.quantized.linear_prepack(qweight, None)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.bias = None if linear.bias is None else torch.nn.Parameter(linear.bias.detach().float(),
                                                                        requires_grad=False)

    def forward(self, x: Any) -> Any:
        rows = x.reshape(-1, self.in_features)
        # the same number as linalg.vector_norm(ord=inf), which took 64 us on a 32 x 576 batch and 1.8 ms on a
        # 1568 x 576 prefill against 8 us and 0.18 ms here (10% of int8 decode time in py-spy): decode steps
        # 1.12x, prefill 1.15x (CPU time, one thread, docs/performance.md)
        peak = rows.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12)
        out = torch.ops.quantized.linear_with_input_q_dq_qweight_dq_output_fp32(
            rows / peak, ACTIVATION_SCALE, ACTIVATION_ZERO_POINT, self._packed) * peak
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 per-row activations"
