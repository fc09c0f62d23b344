"""Reports never show a bare number: guards on the real detection test, paper preset columns, calibration."""

import numpy as np

from synthetic_persona_chat.eval import stats as S
from synthetic_persona_chat.eval.crosstable import PRESETS
from synthetic_persona_chat.eval.nup_tables import interval_note, markdown_table, table_notes
from synthetic_persona_chat.eval.detection import detection_test
from synthetic_persona_chat.eval.paper_nup import PAPER_NUP_FIGURES, PAPER_NUP_REFERENCE
from synthetic_persona_chat.eval.paper_nup import as_json as paper_json
from synthetic_persona_chat.eval.report import calibration_text, plot_nup, quality_markdown


def test_guard_fires_on_a_three_pair_detection_test(sample_valid, sample_test):
    # 6 real + 6 "synthetic" conversations: the classifier trains on halves and judges 3 pairs
    det = detection_test(sample_test[:6], sample_valid[:6], "classifier", seed=0)
    assert det["pairs"] == 3
    det.update(real="real", synthetic="synthetic")
    md = quality_markdown({"datasets": {}, "detection": det})
    all_row = [line for line in md.splitlines() if line.startswith("| all |")][0]
    assert "too few pairs: 3" in all_row and "[" in all_row  # an interval and the flag, never a bare rate


def _cell(ranker, train, test, rng, groups):
    hits = (rng.random(len(groups)) < 0.4).astype(float)
    return {"ranker": ranker, "train": train, "test": test, "metrics": {"hits@1/20": float(hits.mean())},
            "intervals": {"hits@1/20": S.estimate(hits, groups, "examples")}}


def _nup(preset, tests=("SPC test",)):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(3), 5)
    cells = [_cell("fine-tuned", train, t, rng, groups) for train in ("SPC", "Persona-Chat") for t in tests]
    comp = {"test": "SPC test", "a": "fine-tuned (SPC)", "b": "zero-shot", "metric": "hits@1/20",
            **S.paired_test(rng.random(15) < 0.5, rng.random(15) < 0.2, groups)}
    return {"test_sets": {t: {} for t in tests}, "baselines": [_cell("tf-idf", None, t, rng, groups) for t in tests],
            "cells": cells, "comparisons": [comp], "preset": preset}


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_paper_preset_shows_the_papers_published_column_beside_ours():
    assert PRESETS["paper"]["train_sets"] == ("Persona-Chat", "SPC")  # Table 2 trains on these two only
    table = markdown_table(_nup("paper", ("SPC test", "Persona-Chat test")))
    head = _cells(table.splitlines()[0])
    ours = head.index("SPC test hits@1/20 [95% CI]")
    assert head[ours + 1] == "paper (published, other models): SPC test hits@1"  # right beside ours
    assert "paper (published, other models): Persona-Chat test hits@1" in head
    rows = {tuple(_cells(line)[:2]): _cells(line) for line in table.splitlines()[2:]}
    spc = rows[("fine-tuned", "SPC")]
    assert spc[ours + 1] == "0.688" and spc[ours + 3] == "0.117"  # Table 2: 68.82 (SPC test), 11.74 (PC test)
    pc = rows[("fine-tuned", "Persona-Chat")]
    assert pc[ours + 1] == "not in paper" and pc[ours + 3] == "0.192"  # 19.21; no PC-trained SPC-test figure
    assert rows[("tf-idf", "—")][ours + 1] == "—"  # the paper's IR baseline is another method: notes only
    assert "not verified" not in table and "too few" in table  # 15 examples from 3 conversations
    assert "paper (published" not in markdown_table(_nup("small"))
    notes = table_notes(_nup("paper"))
    assert "p = " in notes and "paired permutation" in notes
    assert "arXiv:2312.10007v1" in notes and "Table 2" in notes and "Other models than ours" in notes
    assert "candidate count" in notes and "ours: 20" in notes


def test_paper_figures_are_the_printed_ones():
    """Each stored fraction is the printed percent; the column holds the Ranker-with-persona cells only."""
    for f in PAPER_NUP_FIGURES:
        assert abs(f.hits_at_1 * 100 - float(f.printed)) < 1e-9
    assert PAPER_NUP_REFERENCE == {("Persona-Chat", "Persona-Chat test"): 0.1921,
                                   ("SPC", "Persona-Chat test"): 0.1174, ("SPC", "SPC test"): 0.6882}
    assert paper_json()["figures"][0]["printed"] == "18.69" and "2312.10007v1" in paper_json()["url"]


def test_paper_preset_plot_marks_the_published_figures(tmp_path):
    tests = ("SPC test", "Persona-Chat test")
    paper = plot_nup(_nup("paper", tests), tmp_path / "paper.png")
    small = plot_nup(_nup("small", tests), tmp_path / "small.png")
    assert paper.read_bytes() != small.read_bytes()  # the same bars, plus the published crosses and legend


def test_card_note_lists_intervals():
    nup = _nup("small")
    note = interval_note(nup["cells"])
    assert "SPC test hits@1/20:" in note and "15 examples, 3 conversations" in note and "⚠" in note
    assert interval_note([{"test": "x", "metrics": None}]) == ""


def test_calibration_beside_the_rate_with_its_own_intervals():
    assert calibration_text({"kind": "llm-judge"}) == "checker not calibrated"
    # the shape of a real calibration record (minilm-polarity on the held-aside half of public.jsonl)
    cal = {"auroc": 0.7557, "f1": 0.6389, "n": 99, "n_contradiction": 33, "tp": 23, "fp": 16, "fn": 10, "tn": 50}
    text = calibration_text({"calibration": cal})
    auroc_lo, auroc_hi = S.auroc_interval(0.7557, 33, 66)
    assert text.startswith(f"AUROC 0.756 [{auroc_lo:.3f}, {auroc_hi:.3f}], F1 0.639 [")
    assert "(n = 99 labelled pairs, 33 contradictions)" in text
    assert "⚠ the AUROC's interval reaches below 0.7" in text and "wide interval" in text
    many = calibration_text({"calibration": {**cal, "auroc": 0.95, "n": 2000, "n_contradiction": 660,
                                             "tp": 460, "fp": 320, "fn": 200, "tn": 1020}})
    assert "⚠" not in many  # 2,000 labelled pairs: a narrow interval, nothing to flag
    bare = calibration_text({"calibration": {"auroc": 0.82, "f1": 0.61}})
    assert bare == "AUROC 0.820 [no interval: counts not recorded], F1 0.610 [no interval: counts not recorded]"
    assert "⚠ AUROC < 0.7" in calibration_text({"calibration": {"auroc": 0.55, "f1": 0.2}})


def test_raw_diversity_is_only_context_beside_the_size_matched_figures(sample_valid, sample_test):
    from synthetic_persona_chat.eval.diversity import DiversityConfig, size_matched
    from synthetic_persona_chat.eval.quality import dataset_quality

    convs = {"big": sample_test[:60], "small": sample_valid[:6]}
    datasets = {n: dataset_quality(c).to_json() for n, c in convs.items()}
    md = quality_markdown({"datasets": datasets, "size_matched_diversity": size_matched(convs, cfg=DiversityConfig(
        draws=3))})
    main_head = md.splitlines()[0]
    assert "distinct" not in main_head and "vocabulary" not in main_head  # no bare, size-dependent columns
    sm = md[md.index("### Size-matched diversity"):]
    assert "whole corpus, size-dependent, not comparable" in sm.splitlines()[4]
    row = [line for line in sm.splitlines() if line.startswith("| small |")][0]
    assert " ± " in row and f"{datasets['small']['diversity']['distinct-1']:.3f} / " in row


def test_detection_reference_carries_the_papers_sample_size():
    det = {"judge": {"kind": "classifier"}, "real": "a", "synthetic": "b", "pairs": 3, "losing_rate": 0.0,
           "by_iteration": {"1": {"pairs": 3, "losing_rate": 0.0}}}
    md = quality_markdown({"datasets": {}, "detection": det})
    assert "200 pairs per iteration" in md and "iteration 1 17.2% [12.6, 23.0]" in md and "Table 3" in md


def test_paper_card_note_quotes_the_published_figure():
    nup = _nup("paper", ("SPC test", "Persona-Chat test"))
    spc_cells = [c for c in nup["cells"] if c["train"] == "SPC"]
    note = interval_note(spc_cells, paper_train="SPC")
    assert "SPC test hits@1/20:" in note and "paper (published, other models): 0.688" in note
    assert "Persona-Chat test hits@1/20" in note and "paper (published, other models): 0.117" in note
    assert "arXiv:2312.10007v1" in note and "paper (published" not in interval_note(spc_cells)


def test_paper_preset_keeps_only_the_papers_training_sets(tmp_path, sample_test):
    """The paper's rows only (no generated row); baselines on real SPC rows get intervals and paired tests."""
    from synthetic_persona_chat.eval import data as D
    from synthetic_persona_chat.eval.crosstable import NUPRunConfig, cross_table

    train = {name: D.Unavailable(name, "no data given") for name in ("SPC", "Persona-Chat", "SPC+Persona-Chat",
                                                                     "generated")}
    test = {"SPC test": D.Dataset("SPC test", sample_test[:12], "spc")}
    cfg = NUPRunConfig(baselines=("tf-idf", "random"), **{k: v for k, v in PRESETS["paper"].items()})
    res = cross_table(train, test, cfg, tmp_path).to_json()
    assert {c["train"] for c in res["cells"]} == {"SPC", "Persona-Chat"}
    for c in res["baselines"]:
        est = c["intervals"]["hits@1/20"]
        assert est["clusters"] == 12 and est["ci"][0] <= est["value"] <= est["ci"][1]
    assert res["comparisons"] == []  # no fine-tuned row ran: nothing to pair


def test_expert_consistency_rates_get_intervals(tmp_path):
    """A run's stored position-consistency rates (conversations/_done.json) are shown with Wilson intervals."""
    import json

    from synthetic_persona_chat.eval.report import consistency_markdown

    (tmp_path / "conversations").mkdir()
    (tmp_path / "conversations" / "_done.json").write_text(json.dumps({"position_consistency": {
        "depth": {"rate": 0.75, "consistent": 6, "comparisons": 8},
        "coherency": {"rate": 0.9, "consistent": 90, "comparisons": 100}}}))
    md = consistency_markdown({"datasets": {"run": {"source": str(tmp_path)}, "spc": {"source": "spc-sample:test"}}})
    depth = [line for line in md.splitlines() if "| depth |" in line][0]
    assert "0.750 [" in depth and "too few comparisons: 8" in depth and "6/8" in depth
    coherency = [line for line in md.splitlines() if "| coherency |" in line][0]
    assert "0.900 [0.826, 0.945]" in coherency and "⚠" not in coherency
    assert consistency_markdown({"datasets": {"spc": {"source": "spc-sample:test"}}}) == ""


def test_report_json_carries_the_intervals_the_report_adds(tmp_path, sample_test):
    """report.json holds the calibration intervals printed in report.md (computed from stored counts)."""
    import json

    from synthetic_persona_chat.eval.quality import dataset_quality
    from synthetic_persona_chat.eval.report import render_report

    q = dataset_quality(sample_test[:5]).to_json()
    q["faithfulness"] = {"checked": 0, "of": 0, "checker": {"kind": "minilm-polarity", "calibration": {
        "auroc": 0.7557, "f1": 0.6389, "n": 99, "n_contradiction": 33, "tp": 23, "fp": 16, "fn": 10, "tn": 50}}}
    (tmp_path / "quality.json").write_text(json.dumps({"config": {"seed": 0}, "datasets": {"spc": q}}))
    render_report(tmp_path)
    cal = json.loads((tmp_path / "report.json").read_text())["derived"]["checker_calibration"]["spc"]
    lo, hi = cal["auroc"]["ci"]
    assert f"AUROC 0.756 [{lo:.3f}, {hi:.3f}]" in (tmp_path / "report.md").read_text()
    assert cal["n"] == 99 and cal["warnings"] == ["the AUROC's interval reaches below 0.7"]
