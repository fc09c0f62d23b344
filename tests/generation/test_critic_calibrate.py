"""`spc critic calibrate`: metrics on known cases, the split, label-file errors, the CLI on the real file."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from synthetic_persona_chat.generation.critic.calibrate import (auroc, best_threshold, calibrate_scores,
                                                                load_labels, prf, split_labels)
from synthetic_persona_chat.generation.critic.commands import register_calibrate
from tests.conftest import SHARED_DATA

PUBLIC = SHARED_DATA / "faithfulness" / "public.jsonl"


def test_auroc_known_cases_and_agrees_with_sklearn():
    from sklearn.metrics import roc_auc_score

    y = np.array([1, 1, 0, 0], dtype=bool)
    assert auroc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert auroc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 0.0
    assert auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert np.isnan(auroc(np.array([1, 1], dtype=bool), np.array([0.1, 0.2])))
    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.3
    s = np.round(rng.random(200) + y * 0.4, 1)  # rounded: many ties
    assert auroc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_prf_and_best_threshold_on_a_small_case():
    y = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    s = np.array([0.9, 0.7, 0.3, 0.6, 0.2, 0.1])
    m = prf(y, s, 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert prf(y, s, 1.0)["f1"] == 0.0  # nothing predicted: F1 0, not a division error
    cut = best_threshold(y, s)
    assert prf(y, s, cut)["f1"] == max(prf(y, s, c)["f1"] for c in np.linspace(0, 1, 101))
    assert 0.2 < cut < 0.3  # midway between neighbouring scores: all three positives above it


def test_split_is_stratified_seeded_and_disjoint():
    items = load_labels(PUBLIC)
    cal, held = split_labels(items, seed=0)
    assert len(cal) + len(held) == len(items) and not {i.id for i in cal} & {i.id for i in held}
    for label in ("contradiction", "entailment", "neutral"):
        n = sum(i.label == label for i in items)
        assert abs(sum(i.label == label for i in cal) - n / 2) <= 1
    assert [i.id for i in split_labels(items, seed=0)[0]] == [i.id for i in cal]
    assert [i.id for i in split_labels(items, seed=1)[0]] != [i.id for i in cal]
    assert split_labels(items, fraction=1.0)[1] == []


def test_threshold_is_chosen_on_calibration_part_only():
    """Scores that separate perfectly on the held-aside half only: the figures must not look perfect."""
    items = load_labels(PUBLIC)
    cal, _held = split_labels(items, seed=0)
    cal_ids = {i.id for i in cal}
    rng = np.random.default_rng(0)
    scores = np.array([rng.random() if it.id in cal_ids else float(it.label == "contradiction") for it in items])
    result = calibrate_scores(items, scores, seed=0)
    assert result["evaluated_on"] == "held-aside" and result["n"] == len(items) - len(cal)
    assert result["auroc"] == 1.0  # ranking on the held-aside half is perfect ...
    assert result["calibration_part"]["auroc"] < 0.75  # ... and the threshold came from noise


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('{"persona": "I run.", "utterance": "I run."}', "missing or non-text field"),
    ('{"persona": "I run.", "utterance": "I run.", "label": "maybe"}', "is not one of"),
])
def test_bad_label_files_are_clear_errors(tmp_path, line, message):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"persona": "a", "utterance": "b", "label": "neutral"}\n' + line + "\n")
    with pytest.raises(ValueError, match=f"labels.jsonl:2: .*{message}"):
        load_labels(path)
    with pytest.raises(FileNotFoundError):
        load_labels(tmp_path / "missing.jsonl")


@pytest.mark.slow  # the default checker (real MiniLM, loaded by the command) over the real labelled file
def test_calibrate_subcommand_on_the_real_file(tmp_path, capsys):
    """Registered on a fresh parser and through `spc critic calibrate`: the default checker, real labels."""
    parser = argparse.ArgumentParser()
    register_calibrate(parser.add_subparsers())
    out = tmp_path / "cal.json"
    args = parser.parse_args(["calibrate", "--labels", str(PUBLIC), "--out", str(out)])
    assert args.func(args) == 0
    result = json.loads(out.read_text())
    assert result["checker"]["kind"] == "minilm-polarity" and "calibration" not in result["checker"]
    assert result["labels"]["n"] == 200 and result["split"]["held_aside_n"] == 99
    assert result["auroc"] >= 0.7 and result["f1"] > 0.55
    assert "AUROC" in capsys.readouterr().out

    from synthetic_persona_chat.cli import main

    out2 = tmp_path / "cal2.json"
    assert main(["critic", "calibrate", "--labels", str(PUBLIC), "--out", str(out2),
                 "--calibration-fraction", "1.0"]) == 0
    again = json.loads(out2.read_text())
    assert again["evaluated_on"].startswith("calibration") and again["n"] == 200
