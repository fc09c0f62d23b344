"""The NUP cross table with the onnx embedder backends, on real SPC conversations and the real bundled model.

Zero-shot: the fp32 export ranks like torch (same hits@1 on the same examples). Fine-tuned: the saved
model folder is exported and run by onnxruntime (int8 here), and each cell records the backend it used.
"""

from __future__ import annotations

import pytest

pytest.importorskip("onnxruntime", reason="the onnx backends are the optional [onnx] extra")

from synthetic_persona_chat.eval import data as D  # noqa: E402
from synthetic_persona_chat.eval.crosstable import NUPRunConfig, run_cross_table  # noqa: E402


@pytest.fixture(scope="module")
def datasets(spc_valid, spc_test):
    return D.Dataset("spc-valid", spc_valid[:6]), D.Dataset("spc-test", spc_test)


def _config(backend: str, **kw) -> NUPRunConfig:
    return NUPRunConfig(baselines=("zero-shot",), max_test_conversations=6, max_seq_length=128, seed=0,
                        embedder_backend=backend, **kw)


def test_zero_shot_onnx_ranks_like_torch(datasets, tmp_path):
    _, test = datasets
    res = {b: run_cross_table({}, {"SPC test": test}, _config(b), tmp_path / b)["baselines"][0]
           for b in ("torch", "onnx")}
    assert res["onnx"]["embedder_backend"] == "onnx" and res["torch"]["embedder_backend"] == "torch"
    assert res["onnx"]["intervals"]["hits@1/20"]["n"] > 100
    assert res["onnx"]["metrics"]["hits@1/20"] == pytest.approx(res["torch"]["metrics"]["hits@1/20"], abs=0.005)
    assert res["onnx"]["metrics"]["mrr"] == pytest.approx(res["torch"]["metrics"]["mrr"], abs=0.005)


def test_finetuned_cell_runs_on_int8_export(datasets, tmp_path):
    train, test = datasets
    cfg = _config("onnx-int8", epochs=1.0, batch_size=16, learning_rate=1e-4, train_sets=("SPC",))
    res = run_cross_table({"SPC": train}, {"SPC test": test}, cfg, tmp_path)
    cell = res["cells"][0]
    assert "not_run" not in cell, cell
    assert cell["embedder_backend"] == "onnx-int8" and "fallback" not in cell
    assert cell["metrics"]["hits@1/20"] > 2 / 20  # far above chance: a working ranker, not noise
