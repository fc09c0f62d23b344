"""Reports never show a bare number: guards on the real detection test, paper preset columns, calibration."""

import numpy as np

from synthetic_persona_chat.eval import stats as S
from synthetic_persona_chat.eval.crosstable import PRESETS, interval_note, markdown_table, table_notes
from synthetic_persona_chat.eval.detection import detection_test
from synthetic_persona_chat.eval.report import calibration_text, quality_markdown


def test_guard_fires_on_a_three_pair_detection_test(spc_valid, spc_test):
    # 6 real + 6 "synthetic" conversations: the classifier trains on halves and judges 3 pairs
    det = detection_test(spc_test[:6], spc_valid[:6], "classifier", seed=0)
    assert det["pairs"] == 3
    det.update(real="real", synthetic="synthetic")
    md = quality_markdown({"datasets": {}, "detection": det})
    all_row = [line for line in md.splitlines() if line.startswith("| all |")][0]
    assert "too few pairs: 3" in all_row and "[" in all_row  # an interval and the flag, never a bare rate


def _nup(preset):
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(3), 5)
    cell = {"ranker": "fine-tuned", "train": "SPC", "test": "SPC test", "metrics": {"hits@1/20": 0.4},
            "intervals": {"hits@1/20": S.estimate((rng.random(15) < 0.4).astype(float), groups, "examples")}}
    comp = {"test": "SPC test", "a": "fine-tuned (SPC)", "b": "zero-shot", "metric": "hits@1/20",
            **S.paired_test(rng.random(15) < 0.5, rng.random(15) < 0.2, groups)}
    return {"test_sets": {"SPC test": {}}, "baselines": [], "cells": [cell], "comparisons": [comp], "preset": preset}


def test_paper_preset_adds_a_labelled_reference_column_without_invented_numbers():
    assert PRESETS["paper"]["train_sets"] == ("Persona-Chat", "SPC", "SPC+Persona-Chat")
    table = markdown_table(_nup("paper"))
    assert "paper (published): SPC test" in table.splitlines()[0]
    assert "not verified" in table
    assert "paper (published)" not in markdown_table(_nup("small"))
    notes = table_notes(_nup("paper"))
    assert "p = " in notes and "paired permutation" in notes and "not verified here" in notes
    assert "too few" in table  # 15 examples from 3 conversations


def test_card_note_lists_intervals():
    nup = _nup("small")
    note = interval_note(nup["cells"])
    assert "SPC test hits@1/20:" in note and "15 examples, 3 conversations" in note and "⚠" in note
    assert interval_note([{"test": "x", "metrics": None}]) == ""


def test_calibration_beside_the_rate():
    assert calibration_text({"kind": "llm-judge"}) == "checker not calibrated"
    good = calibration_text({"calibration": {"auroc": 0.82, "f1": 0.61, "n": 120}})
    assert good.startswith("AUROC 0.820, F1 0.610 (n = 120") and "⚠" not in good
    assert "⚠ AUROC < 0.7" in calibration_text({"calibration": {"auroc": 0.55, "f1": 0.2}})


def test_paper_preset_keeps_only_the_papers_training_sets(tmp_path, spc_test):
    """The paper's rows only (no generated row); baselines on real SPC rows get intervals and paired tests."""
    from synthetic_persona_chat.eval import data as D
    from synthetic_persona_chat.eval.crosstable import NUPRunConfig, run_cross_table

    train = {name: D.Unavailable(name, "no data given") for name in ("SPC", "Persona-Chat", "SPC+Persona-Chat",
                                                                     "generated")}
    test = {"SPC test": D.Dataset("SPC test", spc_test[:12], "spc")}
    cfg = NUPRunConfig(baselines=("tf-idf", "random"), **{k: v for k, v in PRESETS["paper"].items()})
    res = run_cross_table(train, test, cfg, tmp_path)
    assert {c["train"] for c in res["cells"]} == {"SPC", "Persona-Chat", "SPC+Persona-Chat"}
    for c in res["baselines"]:
        est = c["intervals"]["hits@1/20"]
        assert est["clusters"] == 12 and est["ci"][0] <= est["value"] <= est["ci"][1]
    assert res["comparisons"] == []  # no fine-tuned row ran: nothing to pair
