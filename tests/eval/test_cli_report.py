"""`spc eval nup | quality | report` end to end on tiny real slices: tables, plots, cards.

Sizes are minimal (2 conversations per training set) because this checks the plumbing;
ranking quality is checked in test_nup_real.py.
"""

import json
import re

import numpy as np
import pytest
import yaml

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.eval import data as D
from synthetic_persona_chat.eval.finetune import FineTuneConfig, finetune, load_finetuned

from .conftest import make_run, write_parlai

TINY = ["--set", "eval_nup.max_train_conversations=2", "--set", "eval_nup.max_test_conversations=2",
        "--set", "eval_nup.max_seq_length=32", "--set", "eval_nup.batch_size=8",
        "--set", "eval_nup.baselines=[zero-shot, tf-idf, random]"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, spc_dir, spc_valid, spc_test):
    tmp = tmp_path_factory.mktemp("eval")
    run = make_run(tmp / "run", spc_valid[100:112], iterations=3)
    pc_test = write_parlai(tmp / "pc_test.txt", spc_test[200:206])
    out = tmp / "out"
    rc = main(["eval", "nup", "--out", str(out), "--preset", "small", *TINY,
               "--spc-train", str(spc_dir / "Synthetic-Persona-Chat_valid.csv"),
               "--spc-test", str(spc_dir / "Synthetic-Persona-Chat_test.csv"),
               "--persona-chat-test", str(pc_test), "--run", str(run),
               "--dataset-repo", "Persona-Chat=bavard/personachat_truecased"])  # links the ParlAI file's results
    assert rc == 0
    rc = main(["eval", "quality", "--out", str(out), "--dataset", f"spc={pc_test.with_name('spc_small.csv')}",
               "--dataset", f"generated={run}", "--dataset", f"persona-chat={pc_test}",
               "--real", "persona-chat", "--synthetic", "generated",
               "--set", "eval_quality.faithfulness_sample=4"])
    assert rc == 0
    assert main(["eval", "report", str(out)]) == 0
    return out


def test_nup_table_has_every_cell_or_a_reason(outputs):
    res = json.loads((outputs / "nup.json").read_text())
    cells = {(c["train"], c["test"]): c for c in res["cells"]}
    assert len(cells) == 8
    for test in ("SPC test", "Persona-Chat test"):
        assert "metrics" in cells[("SPC", test)] and "metrics" in cells[("generated", test)]
        assert cells[("Persona-Chat", test)]["not_run"].startswith("training data: no data given")
        assert "not_run" in cells[("SPC+Persona-Chat", test)]
    for c in res["baselines"]:
        assert c["metrics"]["examples"] > 0 and 0 <= c["metrics"]["hits@1/20"] <= 1
    # Persona-Chat test rows use the file's own candidates, answered by user 2 only
    assert res["test_sets"]["Persona-Chat test"]["examples"] > 0
    md = (outputs / "nup.md").read_text()
    assert "not run: training data: no data given (--persona-chat-train)" in md


def test_report_renders(outputs):
    for name in ("report.md", "report.json", "quality.json", "quality.md", "nup.md"):
        assert (outputs / name).stat().st_size > 0
    plots = sorted((outputs / "plots").glob("*.png"))
    assert {p.name for p in plots} >= {"nup_hits1.png", "quality_by_dataset.png", "length_distributions.png",
                                       "by_iteration.png"}
    for p in plots:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 1000
    q = json.loads((outputs / "quality.json").read_text())
    assert q["datasets"]["spc"]["not_run"].endswith("does not exist")
    gen = q["datasets"]["generated"]
    assert gen["faithfulness"]["checked"] == 4 and gen["faithfulness"]["checker"]["kind"] == "minilm-polarity"
    assert 0 <= gen["persona_coverage"]["coverage"] <= 1 and gen["toxicity"]["rate"] >= 0
    assert set(gen["by_iteration"]) == {"1", "2", "3"}
    assert set(q["detection"]["by_iteration"]) <= {"1", "2", "3"} and q["detection"]["pairs"] > 0
    report = (outputs / "report.md").read_text()
    assert "AI-detection" in report and "hits@1/20" in report


def test_every_figure_has_an_interval_or_a_flag(outputs):
    res = json.loads((outputs / "nup.json").read_text())
    for cell in res["baselines"] + res["cells"]:
        if "metrics" in cell:
            for key in ("hits@1/20", "hits@5/20", "mrr"):
                est = cell["intervals"][key]
                assert est["value"] == pytest.approx(cell["metrics"][key])
                assert est["ci"][0] <= est["value"] <= est["ci"][1]
                assert "too few conversations: 2" in est["flags"]  # 2 test conversations: flagged, not bare
    comps = res["comparisons"]
    assert {(c["a"], c["b"]) for c in comps if c["test"] == "SPC test"} == {
        ("fine-tuned (SPC)", "zero-shot"), ("fine-tuned (generated)", "zero-shot"),
        ("fine-tuned (SPC)", "fine-tuned (generated)")}
    assert all(0 < c["p_value"] <= 1 for c in comps)
    q = json.loads((outputs / "quality.json").read_text())
    gen = q["datasets"]["generated"]
    for key in ("faithfulness", "persona_coverage", "toxicity"):
        assert gen[key]["estimate"]["clusters"] > 0 and len(gen[key]["estimate"]["ci"]) == 2
    assert "too few utterances: 4" in gen["faithfulness"]["estimate"]["flags"]
    lex = q["size_matched_diversity"]["lexical"]
    assert set(lex["datasets"]) == {"generated", "persona-chat"}
    assert set(q["size_matched_by_iteration"]["generated"]["lexical"]["datasets"]) == {"1", "2", "3"}
    report = (outputs / "report.md").read_text()
    assert "Size-matched diversity" in report and f"{lex['tokens']} tokens" in report
    assert "[95% CI]" in report and "⚠ too few" in report and "p = " in report
    assert "checker not calibrated" in report or re.search(r"AUROC \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", report)
    quality_head = report[report.index("## Dataset quality"):].splitlines()[2]
    assert "contradiction rate" in quality_head and "distinct" not in quality_head  # raw distinct-n: context only
    assert "whole corpus, size-dependent, not comparable" in report
    assert "200 pairs per iteration" in report  # the paper's human figures with their sample size
    assert "Differences from `generated`" in report
    card = (outputs / "models" / "spc" / "README.md").read_text()
    assert "95% confidence intervals" in card and card.index("95% confidence") < card.index("## Citation")


def test_model_card_model_index_parses(outputs):
    from huggingface_hub import ModelCard

    res = json.loads((outputs / "nup.json").read_text())
    assert set(res["cards"]) == {"SPC", "generated"}
    text = (outputs / "models" / "spc" / "README.md").read_text()
    meta = yaml.safe_load(text.split("---")[1])
    results = meta["model-index"][0]["results"]
    assert {r["dataset"]["name"] for r in results} == {"SPC test", "Persona-Chat test"}
    assert {r["dataset"]["type"] for r in results} == {"google/Synthetic-Persona-Chat", "bavard/personachat_truecased"}
    assert all(0 <= m["value"] <= 1 for r in results for m in r["metrics"])
    card = ModelCard(text)
    assert card.data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(card.data.eval_results) == 6
    assert "MultipleNegativesRankingLoss" in text and "Training data" in text


def test_finetune_is_reproducible(tmp_path, spc_valid):
    rows = D.examples(D.Dataset("one", spc_valid[:2]), D.NUPConfig(seed=0))[:16]
    ctx, gold = [D.context_text(r) for r in rows], [r["candidates"][r["label"]] for r in rows]
    cfg = FineTuneConfig(max_seq_length=32, batch_size=8, seed=7)
    vecs = []
    for name in ("a", "b"):
        finetune(ctx, gold, tmp_path / name, cfg)
        vecs.append(load_finetuned(tmp_path / name).embed(ctx[:4]))
    assert np.allclose(vecs[0], vecs[1], atol=1e-5)
