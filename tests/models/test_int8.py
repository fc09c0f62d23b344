"""int8 Linear layers with per-row activation scales (#24.3, models/llm/int8.py): a row's output is its own."""

from __future__ import annotations

import pytest
import torch

from synthetic_persona_chat.models import GenerationParams, load_llm
from synthetic_persona_chat.models.llm.int8 import resolve_quantize
from synthetic_persona_chat.models.llm.row_int8 import RowInt8Linear


def test_a_row_is_quantised_on_its_own_range():
    """The old per-batch scale (torch's quantize_dynamic) changed a row when a neighbour with a larger range
    joined its batch; per-row scales leave it bit for bit the same, and stay close to float32."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 32)
    row = torch.randn(1, 64)
    loud = torch.cat([row, 50 * torch.randn(3, 64)])  # neighbours with a 50x larger range
    int8 = RowInt8Linear(linear)
    with torch.inference_mode():
        assert torch.equal(int8(loud)[:1], int8(row))
        assert torch.equal(int8(loud.reshape(2, 2, 64))[0, :1], int8(row))  # 3-D inputs, as the model's
        error = (int8(row) - linear(row)).norm() / linear(row).norm()
    assert error < 0.03


def test_int8_exact_is_a_choice_and_auto_still_means_int8():
    assert resolve_quantize("int8-exact", "cpu", "auto") == ("int8-exact", "configured")
    assert resolve_quantize("auto", "cpu", "float32")[0] == "int8"


@pytest.fixture(scope="module")
def int8_exact():
    llm = load_llm({"backend": "transformers", "model": "smollm2", "quantize": "int8-exact"})
    yield llm
    llm.close()


def test_int8_exact_decodes_a_prompt_the_same_alone_and_in_a_padded_batch(int8_exact):
    """The cross-engine guarantee: a prompt's greedy text does not depend on its batch (neighbours and left
    padding). Measured before: per-batch scales changed 4 texts in 4, per-row scales with float32 attention 3
    in 4 (padding ulps crossing int8 rounding steps); float64 attention makes them all equal."""
    chats = [[{"role": "user", "content": c}] for c in (
        "Say hi.", "Tell me about your dog, your garden and your favourite band in one line.",
        "What do you cook on Sundays?")]
    params = GenerationParams(max_tokens=16, temperature=0.0)
    info = int8_exact.describe()
    assert info["quantize"] == "int8-exact" and int8_exact._model.config._attn_implementation == "sdpa_float64"
    batch = [c.texts[0] for c in int8_exact.generate(chats, params)]
    alone = [int8_exact.generate([chat], params)[0].texts[0] for chat in chats]
    assert batch == alone and all(batch)


def test_int8_fast_is_a_choice_of_its_own():
    assert resolve_quantize("int8-fast", "cpu", "auto") == ("int8-fast", "configured")


def test_int8_fast_loads_decodes_and_is_recorded_in_the_run_directory(tmp_path, monkeypatch):
    """torch's per-batch dynamic int8 (quantize_dynamic), the demo's speed choice: the real bundled model is
    quantised with torch's dynamic Linear, decodes text close to what it is asked, and models.json says so."""
    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.rundir import RunDir

    monkeypatch.setenv("SPC_CACHE_DIR", str(tmp_path / "cache"))
    config = load_config(None, ["models.llm.backend=transformers", "models.llm.model=smollm2",
                                "models.llm.quantize=int8-fast"])
    ctx = RunContext(config, RunDir(tmp_path / "run").init(config))
    try:
        out = ctx.llm.generate([[{"role": "user", "content": "Say hello to my dog."}]],
                               GenerationParams(max_tokens=12, temperature=0.0))
        modules = list(ctx.llm.inner._model.modules())
    finally:
        ctx.close()
    assert out[0].texts[0].strip() and out[0].completion_tokens > 0
    assert not any(isinstance(m, torch.nn.Linear) for m in modules)  # every float Linear was swapped
    assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in modules)
    recorded = ctx.run.read_json("models.json")["llm"]
    assert recorded["quantize"] == "int8-fast" and recorded["quantize_reason"] == "configured"
