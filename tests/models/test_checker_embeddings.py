"""The checker's vectors: distinct texts once, an on-disk cache per precision, bf16 only where it is native."""

import numpy as np
import pytest

from synthetic_persona_chat.models import Embedder, load_contradiction_checker
from synthetic_persona_chat.models.checker_embeddings import CheckerEmbeddings
from synthetic_persona_chat.models.encoders.precision import native_bf16, resolve_precision
from synthetic_persona_chat.models.contradiction import calibration_of, checker_key, shipped_calibration
from synthetic_persona_chat.generation.critic.faithfulness import threshold

from .test_nli_features import spc_pairs

TEXTS = ["I have two dogs.", "I don't have any pets.", "I have two dogs.", "My dogs wake me up at six."]


def test_cache_on_disk_answers_a_second_checker(minilm, tmp_path):
    cache = tmp_path / "vectors.sqlite"
    first = CheckerEmbeddings(minilm, "fp32", cache)
    assert first.describe()["cache"] == str(cache)  # named while still empty (an empty store is falsy)
    a = first.encode(TEXTS)
    assert a.shape == (4, minilm.dim) and np.array_equal(a[0], a[2])
    assert first.stats() == {"requested": 4, "distinct": 3, "cache_hits": 0, "encoded": 3, "cache_hit_rate": 0.0}
    np.testing.assert_allclose(a, minilm.encode(TEXTS), atol=1e-6)  # float32: the encoder's own vectors
    second = CheckerEmbeddings(minilm, "fp32", cache)  # a resumed run, another process
    b = second.encode(TEXTS[1:] + ["A new sentence about cats."])
    assert second.stats()["cache_hits"] == 3 and second.stats()["encoded"] == 1
    assert np.array_equal(b[:3], a[1:])


@pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16: auto resolves to fp32 (tested below)")
def test_bf16_vectors_are_close_and_cached_apart(minilm, tmp_path):
    cache = tmp_path / "vectors.sqlite"
    fp32, bf16 = CheckerEmbeddings(minilm, "fp32", cache), CheckerEmbeddings(minilm, "bf16", cache)
    a, b = fp32.encode(TEXTS), bf16.encode(TEXTS)
    assert bf16.stats()["cache_hits"] == 0  # the float32 vectors of the same texts are not reused
    assert not np.array_equal(a, b) and np.min(np.sum(a * b, axis=1)) > 0.999
    assert CheckerEmbeddings(minilm, "auto").precision == "bf16"


def test_precision_resolution(minilm):
    assert resolve_precision("fp32", minilm) == "fp32"
    assert resolve_precision("auto", minilm) == ("bf16" if native_bf16() else "fp32")
    with pytest.raises(ValueError, match="one of auto, fp32, bf16"):
        resolve_precision("int4", minilm)

    class Elsewhere:
        def describe(self):
            return {"backend": "sentence-transformers", "device": "cuda:0"}

    assert resolve_precision("auto", Elsewhere()) == "fp32"
    with pytest.raises(ValueError, match="torch encoder on the CPU"):
        resolve_precision("bf16", Elsewhere())


def test_bf16_refuses_an_encoder_with_the_float32_cache(tmp_path):
    if not native_bf16():
        pytest.skip("no native bf16 here")
    cached = Embedder("minilm", cache_path=tmp_path / "embeddings.sqlite")
    with pytest.raises(ValueError, match="float32 embedding cache"):
        CheckerEmbeddings(cached, "bf16")


@pytest.mark.parametrize("precision,encoder,key", [("fp32", "torch", "minilm-polarity"),
                                                  ("bf16", "torch", "minilm-polarity/bf16"),
                                                  ("fp32", "onnx", "minilm-polarity/onnx")])
def test_each_encoder_has_its_measured_calibration(precision, encoder, key, tmp_path):
    if precision == "bf16" and not native_bf16():
        pytest.skip("no native bf16 here")
    checker = load_contradiction_checker({"backend": "minilm-polarity", "precision": precision, "encoder": encoder},
                                         vector_cache=tmp_path / "v.sqlite")
    assert checker.embedder.backend == encoder  # onnxruntime really ran, no silent fallback to torch
    assert checker_key(checker) == key
    cal = calibration_of(checker)
    assert cal == shipped_calibration(key) and cal["auroc"] >= 0.75 and cal["evaluated_on"] == "held-aside"
    cut, source = threshold(checker, None)
    if "conversation" in cal:  # the Critic's conversation-level point (#28.2), where it was measured
        assert cut == cal["conversation"]["threshold"] and "clean conversations" in source
    else:
        assert cut == cal["strict"]["threshold"] and "precision >= 0.8" in source
    s = checker.scores(["I have two dogs.", "I have two dogs."], ["I don't have any pets.", "I love my two dogs."])
    assert s[0] > 0.5 > s[1]
    info = checker.describe()["embeddings"]
    assert info["precision"] == precision and info["cache"].endswith("v.sqlite") and info["encoded"] == 4


def test_onnx_encoder_scores_equal_torch_float32_and_refuses_bf16(tmp_path):
    pairs = (["I have two dogs.", "I am a nurse.", "I love hiking."],
             ["I don't have any pets.", "I work night shifts at the hospital.", "I can't stand hiking."])
    torch32 = load_contradiction_checker({"backend": "minilm-polarity", "precision": "fp32"})
    onnx = load_contradiction_checker({"backend": "minilm-polarity", "encoder": "onnx"},
                                      vector_cache=tmp_path / "v.sqlite")
    assert onnx.vectors.precision == "fp32"  # auto: autocast means nothing to onnxruntime
    np.testing.assert_allclose(onnx.scores(*pairs), torch32.scores(*pairs), atol=1e-5)
    with pytest.raises(ValueError, match="torch encoder on the CPU"):
        load_contradiction_checker({"backend": "minilm-polarity", "encoder": "onnx", "precision": "bf16"})
    with pytest.raises(ValueError, match="torch or onnx"):
        load_contradiction_checker({"backend": "minilm-polarity", "encoder": "onnx-int8"})


def test_run_context_checker_caches_under_user_dir_and_records_hits(tmp_path, monkeypatch):
    """A run's checker keeps vectors under $SPC_CACHE_DIR; models.json records what the cache saved."""
    import json

    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.rundir import RunDir

    monkeypatch.setenv("SPC_CACHE_DIR", str(tmp_path / "cache"))
    config = load_config(None)
    pairs = (["I have two dogs.", "I have two dogs."], ["I don't have any pets.", "My dogs bark."])
    for name in ("first", "resumed"):
        ctx = RunContext(config, RunDir(tmp_path / name).init(config))
        ctx.nli.scores(*pairs)
        ctx.close()
    first = json.loads((tmp_path / "first" / "models.json").read_text())["nli"]["embeddings"]
    resumed = json.loads((tmp_path / "resumed" / "models.json").read_text())["nli"]["embeddings"]
    assert first["cache"] == str(tmp_path / "cache" / "checker-vectors.sqlite")
    assert first["encoded"] == 4 and first["cache_hit_rate"] == 0.0
    assert resumed["encoded"] == 0 and resumed["cache_hit_rate"] == 1.0


def test_replicas_share_a_call_and_give_the_same_vectors(minilm):
    """New texts are dealt by length among the encoder copies, which run at once; rows stay aligned."""
    texts = list(dict.fromkeys(h for _, h in spc_pairs(10)))
    assert len(texts) >= 64
    replica = Embedder("minilm")
    alone = CheckerEmbeddings(minilm, "fp32").encode(texts)
    shared = CheckerEmbeddings(minilm, "fp32", replicas=[replica])
    before = replica.encoded
    got = shared.encode(texts + texts[:3])
    assert replica.encoded - before >= len(texts) // 2 - 1  # the copy really encoded its share
    np.testing.assert_allclose(got[:len(texts)], alone, atol=1e-5)
    assert np.array_equal(got[len(texts):], got[:3]) and shared.describe()["encoders"] == 2
    few = replica.encoded
    shared.encode(["One short new sentence.", "Another one."])  # too few to split: one call
    assert replica.encoded == few


def test_workers_option():
    from synthetic_persona_chat.models.contradiction_polarity import _workers

    assert _workers(1) == 1 and _workers(3) == 3
    for bad in (0, "two", True):
        with pytest.raises(ValueError, match="positive integer"):
            _workers(bad)
