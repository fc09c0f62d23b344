"""The paper's "None" vs "Persona" NUP condition: the Δ% and its paired interval, on known numbers and on real
SPC rows (tf-idf and a bi-encoder fine-tuned in both conditions on a 2-conversation slice)."""

import math

import numpy as np
import pytest

from synthetic_persona_chat.eval import data as D
from synthetic_persona_chat.eval.crosstable import NUPRunConfig, cross_table
from synthetic_persona_chat.eval.nup_persona import paper_delta_pct, relative_change, without_persona
from synthetic_persona_chat.eval.nup_tables import persona_table
from synthetic_persona_chat.eval.report import render_report


def test_relative_change_is_the_ratio_of_hits_with_a_paired_interval():
    # 6 conversations x 2 examples: 6 hits with the persona, 3 without -> +100%
    with_ = np.array([1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0], float)
    without = np.array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0], float)
    groups = [i // 2 for i in range(12)]
    est = relative_change(with_, without, groups, seed=0)
    assert est.value == pytest.approx(100.0)
    assert est.ci[0] < 100.0 < est.ci[1] and est.clusters == 6 and est.n == 12
    assert relative_change(with_, without, groups, seed=0).ci == est.ci  # seeded


def test_no_hit_without_the_persona_is_undefined_not_infinite():
    est = relative_change(np.ones(4), np.zeros(4), [0, 0, 1, 1])
    assert math.isnan(est.value) and any("undefined" in f for f in est.flags)
    assert est.text().startswith("—")


def test_without_persona_leaves_the_history_only():
    row = {"history": ["hi", "how are you?"], "persona": ["i like cats ."], "candidates": ["a"], "label": 0}
    bare = without_persona([row])[0]
    assert "persona:" in D.context_text(row) and "persona:" not in D.context_text(bare)
    assert row["persona"] == ["i like cats ."]  # the persona condition's rows are untouched


def test_paper_delta_is_computed_from_its_table_2():
    assert paper_delta_pct("fine-tuned", "Persona-Chat", "Persona-Chat test") == pytest.approx(
        100 * (19.21 / 14.24 - 1))
    assert paper_delta_pct("fine-tuned", "Persona-Chat", "SPC test") is None  # not in the paper
    assert paper_delta_pct("tf-idf", "SPC", "SPC test") is None  # not our fine-tuned row


@pytest.fixture(scope="module")
def both_conditions(tmp_path_factory, spc_valid, spc_test):
    """tf-idf and a bi-encoder fine-tuned on 2 SPC conversations, each with and without the persona."""
    out = tmp_path_factory.mktemp("nup")
    train = {"SPC": D.Dataset("SPC", spc_valid[:2], "spc"), "generated": D.Unavailable("generated", "no run")}
    test = {"SPC test": D.Dataset("SPC test", spc_test[:12], "spc")}
    cfg = NUPRunConfig(baselines=("tf-idf",), train_sets=("SPC", "generated"), no_persona=True, epochs=1.0,
                       batch_size=8, max_seq_length=64)
    result = cross_table(train, test, cfg, out)
    return result, out


def test_every_row_runs_in_both_conditions_on_the_same_examples(both_conditions):
    result, out = both_conditions
    cond = result.no_persona
    assert {(c.label(), c.test) for c in cond.cells} == {(c.label(), c.test) for c in result.all_cells()}
    assert set(cond.models) == {"SPC"} and "no-persona" in cond.models["SPC"].path
    assert (out / "models" / "spc-no-persona").is_dir() and set(result.models) == {"SPC"}
    effects = {e.ranker: e for e in cond.effects}
    assert set(effects) == {"tf-idf", "fine-tuned"}  # the generated row did not run: no effect, a reason
    assert [c.not_run for c in cond.cells if c.train == "generated"] == ["training data: no run"]
    persona = {c.label(): c.metrics["hits@1/20"] for c in result.all_cells() if c.metrics}
    for e in effects.values():
        label = e.ranker if e.train is None else f"{e.ranker} ({e.train})"
        assert e.persona == pytest.approx(persona[label])  # the persona side is the main table's cell
        assert e.difference.n == e.delta_pct.n == result.test_sets["SPC test"].examples
        lo, hi = e.delta_pct.ci
        assert lo <= e.delta_pct.value <= hi
        assert e.delta_pct.value == pytest.approx(100 * (e.persona / e.none - 1))
    # tf-idf reads the persona's words: SPC speakers talk about their personas, so it helps
    assert effects["tf-idf"].persona > effects["tf-idf"].none


def test_report_and_json_carry_the_condition(both_conditions, tmp_path):
    import json

    result, _ = both_conditions
    table = persona_table(result)
    assert "Δ% [95% CI]" in table and "| tf-idf | — | SPC test |" in table
    assert "not run: training data: no run" in table
    (tmp_path / "nup.json").write_text(json.dumps(result.to_json()), encoding="utf-8")
    md = render_report(tmp_path)["markdown"].read_text(encoding="utf-8")
    assert "The persona's effect" in md and "| fine-tuned | SPC | SPC test |" in md
    assert persona_table({**result.to_json(), "no_persona": None}) == ""
