"""The one place that decides and applies an encoder's precision (the native-bf16 rule)."""

from __future__ import annotations

import pytest
import torch

from synthetic_persona_chat.models.encoders import precision


class Described:
    """An encoder double: only its `describe()` matters to the precision rule."""

    def __init__(self, **info: str) -> None:
        self.info = info

    def describe(self) -> dict[str, str]:
        return self.info


TORCH_CPU = Described(backend="sentence-transformers", device="cpu")
TORCH_GPU = Described(backend="sentence-transformers", device="cuda:0")
ONNX = Described(backend="onnxruntime", device="cpu")


@pytest.mark.parametrize("native,expected", [(True, "bf16"), (False, "fp32")])
def test_auto_is_bf16_only_where_the_cpu_has_it_natively(monkeypatch, native, expected):
    monkeypatch.setattr(precision, "native_bf16", lambda: native)
    assert precision.resolve_precision("auto", TORCH_CPU) == expected


@pytest.mark.parametrize("encoder", [TORCH_GPU, ONNX])
def test_autocast_has_no_effect_off_a_torch_cpu_encoder_so_bf16_is_refused(monkeypatch, encoder):
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    assert precision.resolve_precision("auto", encoder) == "fp32"
    with pytest.raises(ValueError, match="bf16 needs a torch encoder on the CPU"):
        precision.resolve_precision("bf16", encoder)


def test_an_unknown_precision_names_the_choices():
    with pytest.raises(ValueError, match="auto, fp32, bf16"):
        precision.resolve_precision("int4", TORCH_CPU)


def test_bf16_computes_under_cpu_autocast_and_fp32_does_not():
    x = torch.ones(2, 2)
    with precision.computing_in("bf16"):
        assert (x @ x).dtype == torch.bfloat16
    with precision.computing_in("fp32"):
        assert (x @ x).dtype == torch.float32
    assert (x @ x).dtype == torch.float32  # left on exit
