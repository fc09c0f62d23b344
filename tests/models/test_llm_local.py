"""The bundled SmolLM2 answers through llama.cpp and through transformers (real models)."""

import pytest

from synthetic_persona_chat.models import GenerationParams, LLMError, load_llm
from synthetic_persona_chat.models.llm import CachedLLM

CHAT = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


def test_llamacpp_answers_and_counts_tokens(smollm_llamacpp):
    llm = smollm_llamacpp
    before = llm.usage.calls
    out = llm.generate([CHAT, CHAT], GenerationParams(max_tokens=12, n=2, seed=1))
    assert len(out) == 2 and all(len(c.texts) == 2 for c in out)
    assert "paris" in " ".join(out[0].texts).lower()
    assert out[0].prompt_tokens > 0 and out[0].completion_tokens > 0
    assert llm.usage.calls == before + 2
    info = llm.describe()
    assert info["backend"] == "llama-cpp" and info["size_mb"] > 50


def test_llamacpp_same_seed_same_sample(smollm_llamacpp):
    p = GenerationParams(max_tokens=16, temperature=0.9, seed=7)
    chat = [{"role": "user", "content": "Tell me about your hobby."}]
    assert smollm_llamacpp.generate([chat], p)[0].texts == smollm_llamacpp.generate([chat], p)[0].texts


def test_transformers_on_bundled_gguf_batched():
    llm = load_llm("transformers:smollm2")
    other = [{"role": "user", "content": "Write one short sentence about dogs."}]
    out = llm.generate([CHAT, other], GenerationParams(max_tokens=10, temperature=0.0))
    assert "paris" in out[0].texts[0].lower()
    assert out[1].texts[0].strip()
    assert llm.describe()["device"] == "cpu" and llm.describe()["gguf_file"].endswith(".gguf")


def test_cache_never_pays_twice(tmp_path, smollm):
    cached = CachedLLM(smollm, tmp_path / "llm.sqlite")
    p = GenerationParams(max_tokens=8, seed=3)
    first = cached.generate([CHAT], p)
    calls = smollm.usage.calls
    reopened = CachedLLM(smollm, tmp_path / "llm.sqlite")
    assert reopened.generate([CHAT], p)[0].texts == first[0].texts
    assert smollm.usage.calls == calls and reopened.hits == 1 and len(reopened) == 1


def test_bad_specs_are_clear_errors(tmp_path):
    with pytest.raises(LLMError, match="unknown LLM backend"):
        load_llm("nosuch:model")
    with pytest.raises(LLMError, match="GGUF file not found"):
        load_llm(f"llama-cpp:{tmp_path}/none.gguf")
    with pytest.raises(LLMError, match="needs a model name"):
        load_llm("openai:")


def test_transformers_greedy_with_several_samples(smollm):
    """n samples at temperature 0 are n copies of the greedy answer (transformers itself refuses n > 1 greedy)."""
    out = smollm.generate([CHAT], GenerationParams(max_tokens=6, temperature=0.0, n=3))[0]
    assert len(out.texts) == 3 and len(set(out.texts)) == 1 and out.texts[0]
