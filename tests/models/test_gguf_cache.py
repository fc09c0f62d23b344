"""The GGUF converted once (models/llm/gguf_cache.py): the same model, the same tokenizer, built atomically."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from synthetic_persona_chat.models.bundled import smollm2_gguf
from synthetic_persona_chat.models.llm import gguf_cache
from synthetic_persona_chat.models.llm.gguf_cache import MARKER, cache_key, converted_folder, load_location

TEXTS = ["Hi! I'm Jane, I love hiking.", "User 2: my dog's name is Max... 42 ñ", ""]


def test_the_key_follows_the_bytes_and_the_library_versions(tmp_path, monkeypatch):
    one, two = tmp_path / "a.gguf", tmp_path / "b.gguf"
    one.write_bytes(b"GGUF model one")
    two.write_bytes(b"GGUF model two")
    assert cache_key(one) == cache_key(one) != cache_key(two)
    before = cache_key(one)
    monkeypatch.setattr(gguf_cache, "_versions", lambda: {"transformers": "99.0"})
    assert cache_key(one) != before


def test_the_cache_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("SPC_GGUF_CACHE", "0")
    assert load_location("/models", "m.gguf") == ("/models", {"gguf_file": "m.gguf"})
    assert load_location("HuggingFaceTB/SmolLM2-135M-Instruct", None) == ("HuggingFaceTB/SmolLM2-135M-Instruct", {})


def test_a_failed_conversion_leaves_no_folder(tmp_path, monkeypatch):
    gguf = tmp_path / "broken.gguf"
    gguf.write_bytes(b"not a gguf at all")

    def fail(source: Path, build: Path) -> None:
        build.mkdir(parents=True)
        (build / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("killed mid-conversion")

    monkeypatch.setattr(gguf_cache, "_convert", fail)
    with pytest.raises(RuntimeError):
        converted_folder(gguf, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_the_converted_folder_holds_the_same_model_and_tokenizer(tmp_path):
    """Real bundled SmolLM2: every tensor and the tokenizer's output equal the GGUF's own, and a second call
    serves the folder without converting again."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = smollm2_gguf()
    folder = converted_folder(gguf, tmp_path / "cache")
    assert (folder / MARKER).is_file()
    stamp = (folder / MARKER).stat().st_mtime_ns
    assert converted_folder(gguf, tmp_path / "cache") == folder and (folder / MARKER).stat().st_mtime_ns == stamp

    direct_tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    cached_tok = AutoTokenizer.from_pretrained(str(folder))
    assert cached_tok(TEXTS)["input_ids"] == direct_tok(TEXTS)["input_ids"]
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}]
    assert cached_tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True) == \
        direct_tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
    assert (cached_tok.eos_token_id, cached_tok.pad_token) == (direct_tok.eos_token_id, direct_tok.pad_token)

    direct = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    cached = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    want, got = direct.state_dict(), cached.state_dict()
    assert want.keys() == got.keys()
    assert all(torch.equal(want[name], got[name]) for name in want)
