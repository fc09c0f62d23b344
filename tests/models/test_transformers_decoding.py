"""The transformers backend's CPU decode levers (#24.3): the bf16 switch and one prefill shared by n samples."""

from __future__ import annotations

import pytest
import torch

from synthetic_persona_chat.models import GenerationParams
from synthetic_persona_chat.models.encoders.precision import native_bf16
from synthetic_persona_chat.models.llm import transformers_llm
from synthetic_persona_chat.models.llm.transformers_llm import TransformersLLM


def _bare(device: str) -> TransformersLLM:
    llm = TransformersLLM.__new__(TransformersLLM)  # only the dtype decision, no model load
    llm.device = device
    return llm


@pytest.mark.parametrize("native, expected, reason", [
    (False, torch.float32, "auto: CPU without native bf16"),
    (True, torch.bfloat16, "auto: CPU with native bf16"),
])
def test_auto_dtype_follows_the_cpu_bf16_detection(monkeypatch, native, expected, reason):
    """The checker's oneDNN detection decides, both ways; a configured dtype and a GPU are not asked."""
    monkeypatch.setattr(transformers_llm, "native_bf16", lambda: native)
    llm = _bare("cpu")
    assert llm._dtype("auto", torch) is expected and llm.dtype_reason == reason
    assert llm._dtype("float32", torch) is torch.float32 and llm.dtype_reason == "configured"
    assert llm._dtype("bfloat16", torch) is torch.bfloat16
    gpu = _bare("cuda")
    assert gpu._dtype("auto", torch) is torch.bfloat16 and gpu.dtype_reason == "auto: GPU"


def test_the_loaded_model_records_its_dtype_choice(smollm):
    info = smollm.describe()
    assert info["dtype"] == ("torch.bfloat16" if native_bf16() else "torch.float32")
    assert info["dtype_reason"].startswith("auto: CPU") and info["prefix_sharing"] is True


def test_shared_prefill_samples_the_same_texts(smollm):
    """n samples from one prefill (its KV cache repeated) equal transformers' n prefills, left padding included
    (float32, the default: under int8 a text may also depend on its batch's padding, see models/llm/int8.py)."""
    chats = [[{"role": "user", "content": "Say hi."}],
             [{"role": "user", "content": "Tell me about your dog, your garden and your favourite band in one line."}],
             [{"role": "user", "content": "What do you cook on Sundays?"}]]
    params = GenerationParams(n=3, temperature=0.7, top_k=40, max_tokens=12, seed=3)
    old = smollm.prefix_sharing
    try:
        smollm.prefix_sharing = True
        shared = smollm.generate(chats, params)
        smollm.prefix_sharing = False
        separate = smollm.generate(chats, params)
    finally:
        smollm.prefix_sharing = old
    assert [c.texts for c in shared] == [c.texts for c in separate]
    assert [c.completion_tokens for c in shared] == [c.completion_tokens for c in separate]
    assert all(len(set(c.texts)) > 1 for c in shared)  # really n different samples, not one repeated


def test_int8_is_taken_on_a_cpu_and_decides_the_dtype():
    """int8 is quantised from float32 weights, so it is decided before the weights load: `auto` takes it on any
    CPU (faster than native bf16 too), never against a configured bf16, and a configured int8 refuses bf16."""
    from synthetic_persona_chat.models.llm.int8 import resolve_quantize

    auto = ("int8", "auto: CPU (int8 decodes faster than float32 and than native bf16)")
    assert resolve_quantize("auto", "cpu", "auto") == auto and resolve_quantize("auto", "cpu", "float32") == auto
    assert resolve_quantize("auto", "cpu", "bfloat16") == ("none", "auto: dtype bfloat16 configured")
    assert resolve_quantize("auto", "cuda", "auto") == ("none", "auto: not on a CPU")
    assert resolve_quantize("none", "cpu", "bfloat16") == ("none", "configured")
    assert resolve_quantize("int8-fast", "cpu", "auto") == ("int8-fast", "configured")
    with pytest.raises(ValueError, match="quantize"):
        resolve_quantize("int4", "cpu", "auto")
    with pytest.raises(ValueError, match="float32 weights"):
        resolve_quantize("int8-fast", "cpu", "bfloat16")


@pytest.mark.parametrize("native", [False, True])
def test_int8_loads_float32_weights_even_where_the_cpu_has_bf16(monkeypatch, native):
    """The demo preset's int8-fast crashed on a CPU with native bf16 ("expected scalar type Float but found
    BFloat16"): dtype auto had loaded bf16 weights under the int8 kernels."""
    monkeypatch.setattr(transformers_llm, "native_bf16", lambda: native)
    llm = _bare("cpu")
    for quantize in ("int8", "int8-exact", "int8-fast"):
        assert llm._dtype("auto", torch, quantize) is torch.float32
        assert llm.dtype_reason == f"auto: {quantize} is quantised from float32 weights"
    assert llm._dtype("auto", torch, "none") is (torch.bfloat16 if native else torch.float32)


def test_the_default_keeps_float32_and_int8_is_recorded_when_asked(smollm):
    """quantize: none by default (batch-invariant enough for the cross-engine guarantee); int8 on request, with
    the parameter count of the model, not of what int8 leaves as parameters."""
    from synthetic_persona_chat.models import load_llm

    assert smollm.describe()["quantize"] == "none" and isinstance(
        smollm._model.model.layers[0].mlp.up_proj, torch.nn.Linear)
    int8 = load_llm({"backend": "transformers", "model": "smollm2", "quantize": "int8"})
    try:
        info = int8.describe()
        assert info["quantize"] == "int8" and info["quantize_reason"] == "configured"
        assert 100 < info["parameters_m"] < 200  # counted before int8 packs the Linear weights away
        mlp = int8._model.model.layers[0].mlp  # gate/up run as one product (fused_projections.py), down apart
        assert {type(mlp.gate_up_fused.linear).__name__, type(mlp.down_proj).__name__} == {"RowInt8Linear"}
        assert int8._model.config._attn_implementation == "sdpa"  # float64 attention is int8-exact's
        text = int8.generate([[{"role": "user", "content": "Say hi."}]],
                             GenerationParams(max_tokens=8, temperature=0.0))[0].texts[0]
        assert text.strip()
    finally:
        int8.close()


SYSTEM = ("You write realistic conversations between two people. Output only lines that start with \"User 1:\" or "
          "\"User 2:\". Each user talks naturally about their own persona and never says anything that contradicts it.")
PERSONAS = ["I have two cats.\n- I work nights as a nurse.", "I grow tomatoes.\n- My brother is a pilot.",
            "I ran a marathon last year.", "I collect old maps.\n- I am afraid of dogs.\n- I live in Ohio."]


def _shared_prefix_chats() -> list[list[dict[str, str]]]:
    return [[{"role": "system", "content": SYSTEM},
             {"role": "user", "content": f"User 1's persona:\n- {p}\n\nWrite a conversation of 4 lines."},
             {"role": "assistant", "content": "User 1:"}] for p in PERSONAS]


@pytest.mark.parametrize("n, temperature", [(1, 0.0), (1, 0.7), (2, 0.7)])
def test_a_batch_prefix_prefilled_once_writes_the_same_texts(smollm_float32, n, temperature):
    """float32 (batch-invariant): the batch's shared system prompt prefilled once, padding moved between it and
    each prompt's own tokens, gives every row the text it gets with plain left padding, n samples included."""
    smollm = smollm_float32
    params = GenerationParams(n=n, temperature=temperature, top_k=40, max_tokens=16, seed=5)
    old = smollm.batch_prefix
    try:
        smollm.batch_prefix = False
        plain = smollm.generate(_shared_prefix_chats(), params)
        smollm.batch_prefix = True
        enc = smollm.tokenizer([smollm._template(c) for c in _shared_prefix_chats()], return_tensors="pt",
                               padding=True, add_special_tokens=False)
        assert smollm._shared_prefix_length(enc) >= 40  # the system prompt really is shared
        shared = smollm.generate(_shared_prefix_chats(), params)
    finally:
        smollm.batch_prefix = old
    assert [c.texts for c in shared] == [c.texts for c in plain]
    assert [(c.prompt_tokens, c.completion_tokens) for c in shared] == \
        [(c.prompt_tokens, c.completion_tokens) for c in plain]


def test_the_shared_prefix_leaves_each_prompt_a_token_and_skips_short_ones(smollm):
    def length(texts: list[str]) -> int:
        enc = smollm.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        return smollm._shared_prefix_length(enc)

    long = " ".join(["the same words again"] * 10)
    assert length([long]) == 0  # one prompt: nothing to share
    assert length([long, long]) == len(smollm.tokenizer(long, add_special_tokens=False)["input_ids"]) - 1
    assert length([f"{long} cats", f"{long} dogs and more"]) >= 30
    assert length(["Hello there, cats", "Hello there, dogs"]) == 0  # under MIN_BATCH_PREFIX


@pytest.mark.parametrize("quantize, expected", [("none", False), ("int8-exact", False), ("int8", True),
                                                ("int8-fast", True)])
def test_batch_prefix_auto_follows_the_batch_invariance_promise(quantize, expected):
    llm = _bare("cpu")
    llm.quantize = quantize
    assert llm._resolve_batch_prefix("auto")[0] is expected
    assert llm._resolve_batch_prefix("on") == (True, "configured")
    with pytest.raises(transformers_llm.LLMError, match="batch_prefix"):
        llm._resolve_batch_prefix("sometimes")
