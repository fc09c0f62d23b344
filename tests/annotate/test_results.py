"""Scripted answers -> results, report section and the `annotations` config: the numbers match the answers."""

import json
from collections import defaultdict

import pytest

from synthetic_persona_chat.annotate.commands import create_study
from synthetic_persona_chat.annotate.store import STUDY_DB
from synthetic_persona_chat.annotate.export import export_annotations
from synthetic_persona_chat.annotate.results import compute, write_results
from synthetic_persona_chat.annotate.store import StudyStore


def scripted(item, who):
    """annotator-1 always spots the synthetic conversation, annotator-2 names the real one, annotator-3 is unsure
    on the Turing task; quality favours the synthetic side for 1, the other side for 2, tie for 3 (but "cannot
    tell" on coherency); faithfulness 'yes' only from annotator-1."""
    other = {"left": "right", "right": "left"}
    if item.task == "turing":
        return {"machine": {1: item.synthetic_side, 2: other[item.synthetic_side], 3: "unsure"}[who]}
    if item.task == "quality":
        return {a: {1: item.synthetic_side, 2: other[item.synthetic_side],
                    3: "unsure" if a == "coherency" else "tie"}[who] for a in item.aspects}
    return {"contradicts": "yes" if who == 1 else "no"}


@pytest.fixture
def answered(tmp_path, study_config):
    tokens = create_study(tmp_path / "study", study_config)
    store = StudyStore(tmp_path / "study" / STUDY_DB)
    expected = defaultdict(lambda: [0, 0])  # iteration -> [synthetic named, turing judgements]
    for who in (1, 2, 3):
        tok = tokens[f"annotator-{who}"]
        cur = store.current(tok)
        while cur.item is not None:
            if cur.item.task == "turing":
                expected[cur.item.iteration][0] += who == 1
                expected[cur.item.iteration][1] += 1
            cur = store.submit(tok, cur.item.id, scripted(cur.item, who))
    return store, dict(expected)


def test_figures_match_the_scripted_answers(answered):
    store, expected = answered
    res = compute(store).to_json()  # human.json as written
    assert res["answers"] == res["expected_answers"] == 18
    got = {r["iteration"]: (r["losing_rate"]["value"], r["judgements"]) for r in res["turing"]}
    assert got == {it: (k / n, n) for it, (k, n) in expected.items()}
    for r in res["turing"]:
        lo, hi = r["losing_rate"]["ci"]
        assert lo <= r["losing_rate"]["value"] <= hi
    # each quality item has two of the three annotators: wins + ties + losses + unsure = 1 per aspect
    for r in res["quality"]:
        shares = [r[k]["value"] for k in ("win_rate", "tie_rate", "lose_rate", "unsure_rate")]
        assert sum(shares) == pytest.approx(1)
        assert (r["unsure_rate"]["value"] > 0) == (r["aspect"] == "coherency") and r["unsure_rate"]["value"] < 1
    assert sum(r["judgements"] for r in res["faithfulness"]) == 6
    # annotators never agree on the Turing task by construction: alpha well below zero
    assert res["agreement"]["turing"]["krippendorff_alpha"] < 0


def test_report_section_and_plot(answered, tmp_path):
    from synthetic_persona_chat.eval.report import render_report

    store, expected = answered
    out = tmp_path / "eval"
    write_results(store, out)
    written = render_report(out)
    md = written["markdown"].read_text(encoding="utf-8")
    assert "## Human evaluation" in md and "Fleiss' kappa" in md
    for it, (k, n) in expected.items():
        assert f"| run | {it} | {n} | {k / n:.3f} [" in md
    assert written["human_plot"].stat().st_size > 1000


def test_export_loads_as_a_datasets_config(answered, tmp_path):
    import datasets

    store, _ = answered
    folder = tmp_path / "export"
    n = export_annotations(store, folder)
    rows = datasets.load_dataset(str(folder), "annotations", split="train")
    assert len(rows) == n == sum(len(a["answer"]) for a in store.answers())
    assert rows.features["iteration"].dtype == "int32" and rows.features["seconds"].dtype == "float64"
    assert set(rows["task"]) == {"turing", "quality", "faithfulness"}
    manifest = json.loads((folder / "spc_export.json").read_text())
    assert manifest["rows"]["annotations"] == {"train": n} and manifest["fingerprint"]
    card = (folder / "README.md").read_text()
    assert "config_name: annotations" in card and "Human annotations" in card
    export_annotations(store, folder)  # idempotent: one config entry, one card section
    card = (folder / "README.md").read_text()
    assert card.count("config_name: annotations") == 1 and card.count("## Human annotations") == 1
    from synthetic_persona_chat.builder.publish import plan_push

    plan = plan_push(folder, "me/human-study")  # what `spc push` would upload
    assert "annotations/train-00000-of-00001.parquet" in [p for p, _ in plan.files]


def test_results_command_prints_the_section(answered, tmp_path, capsys):
    """`spc annotate results` end to end through the CLI (it once handed human.json's dict to a renderer that
    takes the typed HumanResult, and crashed after writing the file)."""
    from synthetic_persona_chat.cli import main

    store, _ = answered
    study = store.path.parent  # the study folder
    rc = main(["annotate", "results", str(study), "--out", str(tmp_path / "eval")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "Study `" in out and "written:" in out
    assert (tmp_path / "eval" / "human.json").is_file()
