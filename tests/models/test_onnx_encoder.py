"""The ONNX embedder against torch, on real SPC utterances with the real bundled all-MiniLM-L6-v2.

Exports are built into the session's isolated cache dir (conftest `_isolated_cache`), so every test
session exercises the real export (dynamo exporter -> onnxruntime optimiser [-> int8 quantiser]).
"""

from __future__ import annotations

import csv
import logging
import random
import sys

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the onnx backends are the optional [onnx] extra")

from synthetic_persona_chat.models import Embedder  # noqa: E402
from synthetic_persona_chat.models.bundled import minilm_dir  # noqa: E402
from synthetic_persona_chat.models.encoders import parse_embedder_spec  # noqa: E402
from synthetic_persona_chat.models.encoders.onnx_backend import OnnxEncoder  # noqa: E402
from synthetic_persona_chat.models.encoders.onnx_export import UnsupportedForOnnx, onnx_cache_dir  # noqa: E402


@pytest.fixture(scope="module")
def utterances(spc_dir) -> list[str]:
    """200 real SPC test utterances (seeded) plus one far over 128 tokens, to check truncation agrees."""
    with (spc_dir / "Synthetic-Persona-Chat_test.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = [ln.split(":", 1)[-1].strip() for r in rows[:60] for ln in r["Best Generated Conversation"].splitlines()]
    lines = [ln for ln in lines if ln]
    random.Random(0).shuffle(lines)
    return lines[:200] + [" ".join(lines[200:260])]


@pytest.fixture(scope="module")
def torch_vectors(utterances):
    return Embedder("minilm", max_seq_length=128).encode(utterances)


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_fp32_export_matches_sentence_transformers(utterances, torch_vectors):
    enc = Embedder("minilm@onnx", max_seq_length=128)
    assert enc.backend == "onnx" and enc.describe()["precision"] == "fp32" and enc.fallback is None
    vecs = enc.encode(utterances)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1, atol=1e-4)
    assert _cos(vecs, torch_vectors).min() > 0.999  # the brief asks > 0.99; measured ~0.99999


def test_int8_stays_close_and_keeps_neighbours(utterances, torch_vectors):
    vecs = Embedder("minilm", backend="onnx-int8", max_seq_length=128).encode(utterances)
    cos = _cos(vecs, torch_vectors)
    assert cos.mean() > 0.97 and cos.min() > 0.85
    # the nearest neighbour of most utterances is unchanged: what retrieval and NUP ranking depend on
    nn_torch = np.argsort(-(torch_vectors @ torch_vectors.T), axis=1)[:, 1]
    nn_int8 = np.argsort(-(vecs @ vecs.T), axis=1)[:, 1]
    assert (nn_torch == nn_int8).mean() > 0.8


def test_openvino_runtime_matches_torch(utterances, torch_vectors):
    pytest.importorskip("openvino", reason="the openvino backend is the optional [openvino] extra")
    enc = Embedder("minilm@openvino", max_seq_length=128)
    assert enc.backend == "openvino" and enc.describe()["runtime"] == "openvino"
    assert enc.cache_id.startswith("minilm@openvino-") and enc.describe()["precision"] in ("bf16", "fp32")
    vecs = enc.encode(utterances)
    assert _cos(vecs, torch_vectors).min() > 0.999  # bf16 compute measured ~0.99997


def test_missing_openvino_falls_back(monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)
    emb = Embedder("minilm@openvino")
    assert emb.backend == "torch" and "[openvino]" in emb.describe()["fallback"]


def test_cache_keys_separate_backends(tmp_path, utterances):
    texts, cache = utterances[:20], tmp_path / "e.sqlite"
    torch_emb = Embedder("minilm", cache_path=cache)
    ref = torch_emb.encode(texts)
    int8 = Embedder("minilm@onnx-int8", cache_path=cache)
    q = int8.encode(texts)
    assert int8.encoded == len(set(texts))  # nothing served from the torch entries
    assert not np.allclose(q, ref, atol=1e-4)
    again = Embedder("minilm", cache_path=cache)
    assert np.array_equal(again.encode(texts), ref) and again.encoded == 0  # torch gets torch vectors back
    int8_again = Embedder("minilm@onnx-int8", cache_path=cache)
    assert np.array_equal(int8_again.encode(texts), q) and int8_again.encoded == 0
    shorter = Embedder("minilm", cache_path=cache, max_seq_length=16)  # another truncation, another key
    shorter.encode(texts)
    assert shorter.encoded == len(set(texts))
    assert len({torch_emb.cache_id, int8.cache_id, shorter.cache_id}) == 3


def test_export_is_built_once_and_reused(utterances):
    OnnxEncoder(minilm_dir(), "fp32")
    entries = sorted(p.name for p in onnx_cache_dir().iterdir() if not p.name.startswith("."))
    OnnxEncoder(minilm_dir(), "fp32")
    assert sorted(p.name for p in onnx_cache_dir().iterdir() if not p.name.startswith(".")) == entries
    assert {e.split("-")[0] for e in entries} <= {"fp32", "int8"}


def test_finetuned_folder_exports_and_runs(tmp_path, utterances):
    from sentence_transformers import SentenceTransformer

    from synthetic_persona_chat.eval.finetune import FineTuneConfig, finetune

    out = tmp_path / "tuned"
    pairs = list(zip(utterances[0:40:2], utterances[1:40:2]))
    finetune([a for a, _ in pairs], [b for _, b in pairs], out,
             FineTuneConfig(max_seq_length=64, batch_size=8, learning_rate=1e-4, seed=0))
    ref = SentenceTransformer(str(out), device="cpu").encode(utterances[:50], normalize_embeddings=True)
    onnx = OnnxEncoder(out, "fp32")
    assert onnx.max_seq_length == 64  # the folder's own setting
    vecs = onnx.encode(utterances[:50])
    assert _cos(vecs, ref).min() > 0.999
    base = Embedder("minilm@onnx").encode(utterances[:50])
    assert not np.allclose(vecs, base, atol=1e-3)  # its own export, not the base model's


def _save_variant(path, pooling: str = "mean", dense: bool = False):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Pooling

    st = SentenceTransformer(str(minilm_dir()), device="cpu")
    modules = [st[0], Pooling(st[0].get_embedding_dimension(), pooling_mode=pooling)]
    if dense:
        modules.append(Dense(384, 128))
    SentenceTransformer(modules=modules, device="cpu").save(str(path))
    return path


def test_unsupported_pooling_is_refused_and_fallback_is_logged(tmp_path, caplog):
    folder = _save_variant(tmp_path / "cls", pooling="cls")
    with pytest.raises(UnsupportedForOnnx, match="only mean pooling"):
        OnnxEncoder(folder, "fp32")
    with caplog.at_level(logging.WARNING, logger="synthetic_persona_chat.models.embedder"):
        emb = Embedder(f"{folder}@onnx")
    assert emb.backend == "torch" and "mean pooling" in emb.describe()["fallback"]
    assert any("falling back to torch" in r.getMessage() for r in caplog.records)
    assert emb.encode(["I have two dogs."]).shape == (1, 384)


def test_extra_modules_are_refused(tmp_path):
    folder = _save_variant(tmp_path / "dense", dense=True)
    with pytest.raises(UnsupportedForOnnx, match="Dense"):
        OnnxEncoder(folder, "int8")


def test_missing_onnxruntime_falls_back_with_reason(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as on an install without the extra
    with caplog.at_level(logging.WARNING, logger="synthetic_persona_chat.models.embedder"):
        emb = Embedder("minilm@onnx-int8")
    assert emb.backend == "torch" and emb.requested_backend == "onnx-int8"
    assert "[onnx]" in emb.describe()["fallback"]
    assert caplog.records


def test_spec_parsing():
    assert parse_embedder_spec("minilm") == ("minilm", "torch")
    assert parse_embedder_spec("minilm@onnx-int8") == ("minilm", "onnx-int8")
    assert parse_embedder_spec("/models/a@b") == ("/models/a@b", "torch")  # not a backend: part of the path
    assert parse_embedder_spec("minilm", "onnx") == ("minilm", "onnx")
    with pytest.raises(ValueError, match="also given"):
        parse_embedder_spec("minilm@onnx", "torch")
    with pytest.raises(ValueError, match="choose one of"):
        parse_embedder_spec("minilm", "tensorrt")


def _tiny_st(folder, model_type: str):
    """A SentenceTransformer (Transformer -> mean Pooling) around a tiny random encoder of `model_type`,
    with the bundled MiniLM's real tokenizer: the export must reproduce torch for each supported family."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.transformer import Transformer
    from sentence_transformers.sentence_transformer.modules import Pooling
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(minilm_dir()))
    sizes = (dict(dim=32, n_layers=2, n_heads=2, hidden_dim=64) if model_type == "distilbert" else
             dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64))
    cfg = AutoConfig.for_model(model_type, vocab_size=tok.vocab_size, max_position_embeddings=80, **sizes)
    AutoModel.from_config(cfg).save_pretrained(folder / "hf")
    tok.save_pretrained(folder / "hf")
    module = Transformer(str(folder / "hf"), max_seq_length=64)
    SentenceTransformer(modules=[module, Pooling(module.get_embedding_dimension(), "mean")], device="cpu"
                        ).save(str(folder / "st"))
    return folder / "st"


@pytest.mark.parametrize("model_type", ["bert", "roberta", "xlm-roberta", "distilbert", "mpnet"])
def test_each_supported_encoder_family_exports(tmp_path, utterances, model_type):
    from sentence_transformers import SentenceTransformer

    folder = _tiny_st(tmp_path, model_type)
    ref = SentenceTransformer(str(folder), device="cpu").encode(utterances[:40], normalize_embeddings=True)
    vecs = OnnxEncoder(folder, "fp32", cache_dir=tmp_path / "cache").encode(utterances[:40])
    assert _cos(vecs, ref).min() > 0.999


def test_unsupported_encoder_family_is_refused(tmp_path):
    folder = _tiny_st(tmp_path, "albert")
    with pytest.raises(UnsupportedForOnnx, match="encoder type 'albert'"):
        OnnxEncoder(folder, "fp32", cache_dir=tmp_path / "cache")


def test_missing_exporter_is_reported_not_crashed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # onnxruntime present, the exporter's dependency not
    from synthetic_persona_chat.models.encoders.onnx_export import OnnxUnavailable

    with pytest.raises(OnnxUnavailable, match="onnxscript"):
        OnnxEncoder(minilm_dir(), "fp32", cache_dir=tmp_path / "fresh")
