"""Fused projections: the Linears of a layer that read the same input run as ONE matrix product.

Why: at decode batch sizes (32 rows of 576 features) each Linear of the bundled model is a small product
whose fixed cost (the activation's quantisation, the kernel call, Python) outweighs its arithmetic. An
attention block's q/k/v projections read the same hidden state, and so do an MLP's gate/up projections:
their weights concatenated into one Linear per group do the work in one call, and the input is quantised
once per group instead of once per projection (benchmarks/llm_throughput.py, `--backends decode`).

Why the texts stay the same under int8: every output channel keeps its own weight scale (int8's and
int8-fast's weights are per output channel), the activation scale is computed from the same input (per
batch for int8-fast, per row for int8), and the integer sums are exact, so each output element is the same
number fused or not (tests/models/test_fused_projections.py). A float32 GEMM of another width may sum in
another order, so float32 models are left unfused (docs/performance.md).

The price, measured: a long prefill (many rows) runs the wider int8 GEMMs 0.87-0.97x as fast as the separate
ones, while decoding gains 1.03-1.29x; docs/performance.md has the figures and what is left to try.

How, without copying transformers' forward code: each projection (`q_proj`, ...) is replaced by a
FusedPart, a module without weights that asks its group for its slice of the fused product. The group
computes the product on the first part's call and hands out the slices of it to the parts that follow
with the same input tensor; the model's own forward (`self.q_proj(h)`, `self.k_proj(h)`, ...) is
untouched, so any architecture that names its projections this way is fused (Llama, Qwen2, Mistral).
"""

from __future__ import annotations

from typing import Any

import torch

# Projections that read the same input in transformers' decoder layers, fused in this order.
GROUPS = (("q_proj", "k_proj", "v_proj"), ("gate_proj", "up_proj"))


class FusedLinear(torch.nn.Module):
    """One Linear (`linear`, swappable by a quantiser) holding the weights of several that share an input."""

    def __init__(self, linears: list[torch.nn.Linear]) -> None:
        super().__init__()
        first = linears[0]
        self.linear = torch.nn.Linear(first.in_features, sum(m.out_features for m in linears),
                                      bias=first.bias is not None, device=first.weight.device,
                                      dtype=first.weight.dtype)
        with torch.no_grad():
            self.linear.weight.copy_(torch.cat([m.weight for m in linears]))
            if first.bias is not None:
                self.linear.bias.copy_(torch.cat([m.bias for m in linears]))
        self.sizes = [m.out_features for m in linears]
        self._input: Any = None
        self._outputs: list[Any] = []
        self._pending: set[int] = set()

    def part(self, x: Any, index: int) -> Any:
        """Output slice `index` of the fused product of `x`. Why the memo is released once every part took
        its slice: it holds a layer's activations, which a long prefill makes hundreds of MB per layer."""
        if x is not self._input or index not in self._pending:
            self._outputs = list(self.linear(x).split(self.sizes, dim=-1))
            self._input, self._pending = x, set(range(len(self.sizes)))
        self._pending.discard(index)
        out = self._outputs[index]
        if not self._pending:
            self._input, self._outputs = None, []
        return out

    def extra_repr(self) -> str:
        return f"parts={self.sizes}"


class FusedPart(torch.nn.Module):
    """Stands where a fused projection was: its slice of the group's product."""

    def __init__(self, group: FusedLinear, index: int, in_features: int, out_features: int) -> None:
        super().__init__()
        # a plain reference (not a submodule): the group is registered once, on the parent module
        object.__setattr__(self, "group", group)
        self.index, self.in_features, self.out_features = index, in_features, out_features

    def forward(self, x: Any) -> Any:
        return self.group.part(x, self.index)

    def extra_repr(self) -> str:
        return f"slice {self.index} of {'+'.join(map(str, self.group.sizes))}, out_features={self.out_features}"


def fuse_projections(model: Any) -> int:
    """Fuse every group of GROUPS found in `model` (float nn.Linear with the same input width), in place,
    before a quantiser swaps the Linears; the number of groups fused."""
    fused = 0
    for parent in list(model.modules()):
        for names in GROUPS:
            linears = [getattr(parent, name, None) for name in names]
            if not _fusable(linears):
                continue
            group = FusedLinear(linears)
            parent.add_module("_".join(n.removesuffix("_proj") for n in names) + "_fused", group)
            for index, (name, linear) in enumerate(zip(names, linears)):
                setattr(parent, name, FusedPart(group, index, linear.in_features, linear.out_features))
            fused += 1
    return fused


def _fusable(linears: list[Any]) -> bool:
    """Plain float Linears of one input width, one dtype and all with or all without a bias."""
    if not all(type(m) is torch.nn.Linear for m in linears):
        return False
    return (len({m.in_features for m in linears}) == 1 and len({m.weight.dtype for m in linears}) == 1
            and len({m.bias is None for m in linears}) == 1)
