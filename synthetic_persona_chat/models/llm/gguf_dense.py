"""A GGUF read as an ordinary dense transformers model: the one way every loader here reads one.

Why: transformers 5.x may keep a GGUF's weights packed in their blocks (when a matmul kernel for the file is
installed) and otherwise unpacks them, but both ways it keeps its GGUF quantizer attached. Everything we do
with the weights needs them dense and the model ordinary: int8 quantisation and fused projections replace
`nn.Linear`s, bf16 casts them, the trainer refuses a "purely quantized" model, `save_pretrained` refuses to
save one. Asking for `dequantize=True` also says what happens: without it transformers warns, on a bf16 load,
that packed weights are fastest in float32, even for an architecture it then unpacks anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from transformers import GgufConfig


class DenseGgufKwargs(TypedDict, total=False):
    """`from_pretrained` keyword arguments that ask for a GGUF's weights dense (`dense_gguf_kwargs`)."""

    quantization_config: GgufConfig


def dense_gguf_kwargs(gguf_file: str | None) -> DenseGgufKwargs:
    """The `quantization_config` that unpacks `gguf_file`'s weights at load time; nothing for a non-GGUF load."""
    if not gguf_file:
        return DenseGgufKwargs()
    from transformers import GgufConfig

    return DenseGgufKwargs(quantization_config=GgufConfig(gguf_file=gguf_file, dequantize=True))


def detach_gguf_quantizer(model: Any) -> Any:
    """Drop the GGUF quantizer a dense model keeps attached, so it trains, saves and quantises as any model."""
    if getattr(model, "hf_quantizer", None) is None:
        return model
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model
