"""Fused projections (#24.3, models/llm/fused_projections.py): one product per shared-input group, same texts."""

from __future__ import annotations

import copy
import warnings

import pytest
import torch

from synthetic_persona_chat.models import GenerationParams, load_llm
from synthetic_persona_chat.models.llm.fused_projections import FusedLinear, fuse_projections
from synthetic_persona_chat.models.llm.int8 import apply_quantize, quantize_int8, quantize_int8_fast


class Block(torch.nn.Module):
    """The shape of a decoder layer's attention: three projections of the same input, one after."""

    def __init__(self) -> None:
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj = (torch.nn.Linear(16, n) for n in (16, 8, 8))
        self.o_proj = torch.nn.Linear(16, 16)

    def forward(self, x):
        return self.o_proj(self.q_proj(x)), self.k_proj(x), self.v_proj(x)


def _block_pair():
    torch.manual_seed(0)
    block = Block()
    fused = copy.deepcopy(block)
    assert fuse_projections(fused) == 1
    return block, fused


def test_a_group_runs_one_product_and_releases_its_input():
    block, fused = _block_pair()
    group = fused.q_k_v_fused
    calls = []
    group.linear.register_forward_hook(lambda *_: calls.append(1))
    x = torch.randn(2, 3, 16)
    with torch.inference_mode():
        outputs = fused(x)
        expected = block(x)
    assert len(calls) == 1  # q, k and v from one call
    assert group._input is None and group._outputs == []  # the activations are not kept past the layer
    for got, want in zip(outputs, expected):
        torch.testing.assert_close(got, want)
    assert isinstance(fused.o_proj, torch.nn.Linear)  # o_proj reads another input: left alone


@pytest.mark.parametrize("quantise", [quantize_int8_fast, quantize_int8], ids=["int8-fast", "int8"])
def test_quantised_outputs_are_the_same_numbers_fused_or_not(quantise):
    """Per-channel weight scales and the same input's activation scale: every element is equal, not close."""
    block, fused = _block_pair()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        block, fused = quantise(block), quantise(fused)
    x = torch.randn(4, 5, 16) * torch.tensor([1.0, 30.0, 0.1, 5.0]).view(4, 1, 1)  # rows of different ranges
    with torch.inference_mode():
        for got, want in zip(fused(x), block(x)):
            assert torch.equal(got, want)


def test_projections_that_cannot_share_a_product_are_left_alone():
    block = Block()
    block.v_proj = torch.nn.Linear(12, 8)  # another input width
    assert fuse_projections(block) == 0 and isinstance(block.q_proj, torch.nn.Linear)


@pytest.fixture(scope="module")
def bundled():
    """The bundled model in float32; each test quantises copies of it, fused and not."""
    llm = load_llm({"backend": "transformers", "model": "smollm2", "quantize": "none"})
    yield llm
    llm.close()


CHATS = [[{"role": "user", "content": c}] for c in (
    "Say hi.", "Tell me about your dog, your garden and your favourite band in one line.",
    "What do you cook on Sundays?")]  # three lengths: the batch is left-padded


@pytest.mark.parametrize("setting", ["int8-fast", "int8"])
def test_the_fused_bundled_model_writes_the_same_texts(bundled, setting):
    """The lever changes speed only: greedy and sampled texts of a padded batch equal the unfused model's."""
    float_model = bundled._model
    unfused = apply_quantize(copy.deepcopy(float_model), setting, fuse=False)
    fused = apply_quantize(copy.deepcopy(float_model), setting)  # the library's default
    assert sum(isinstance(m, FusedLinear) for m in fused.modules()) == 2 * fused.config.num_hidden_layers
    texts = {}
    try:
        for name, model in (("unfused", unfused), ("fused", fused)):
            bundled._model = model
            texts[name] = [t for params in (GenerationParams(max_tokens=10, temperature=0.0),
                                            GenerationParams(n=2, max_tokens=10, temperature=0.8, seed=7))
                           for c in bundled.generate(CHATS, params) for t in c.texts]
    finally:
        bundled._model = float_model
    assert texts["fused"] == texts["unfused"] and all(texts["fused"])
