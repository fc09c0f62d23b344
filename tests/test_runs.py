"""The tests' finished-run factory (`tests/runs.py`) writes what the real readers accept: `spc build` builds
it, stock `datasets` loads the export, and the marker, candidates and outcomes read back as their types."""

import datasets

from synthetic_persona_chat.builder.preferences import preference_rows
from synthetic_persona_chat.cli import main
from synthetic_persona_chat.generation.run_summary import ConversationsSummary
from synthetic_persona_chat.row_contracts import Candidate
from tests.runs import finished_run, sample_conversations


def test_spc_build_accepts_the_run_and_stock_datasets_loads_it(tmp_path, capsys):
    run = finished_run(tmp_path / "run", sample_conversations("test", 9), seeds=3)
    out = tmp_path / "export"
    assert main(["build", str(run.path), "--out", str(out), "--configs", "full,conversations,preferences"]) == 0
    capsys.readouterr()
    full = datasets.load_dataset(str(out), "full", cache_dir=str(tmp_path / "c"))
    assert {split: ds.num_rows for split, ds in full.items()} == {"train": 3, "synthetic": 6}
    conversations = datasets.load_dataset(str(out), "conversations", cache_dir=str(tmp_path / "c"))
    assert set(conversations["synthetic"]["source"]) == {"run:run"}  # to_conversation names the run
    prefs = datasets.load_dataset(str(out), "preferences", cache_dir=str(tmp_path / "c"))["train"]
    assert prefs.num_rows == 6 + 2  # each winner beat candidate 0; pairs 3 and 7 also had a filtered candidate


def test_the_marker_holds_the_typed_summary_counted_from_the_candidates(tmp_path):
    run = finished_run(tmp_path / "run", sample_conversations("valid", 5), iterations=2,
                       summary={"generator_mode": "turns"})
    run.require_complete()
    summary = ConversationsSummary.of_run(run)
    assert (summary.candidates, summary.parsed, summary.winners) == (12, 12, 5)  # 5 winners, 5 losers, 2 dropped
    assert summary.winners_per_iteration == {"1": 3, "2": 2}
    assert summary.evaluated == {"faithfulness": 12} and summary.pass_rates == {"faithfulness": round(10 / 12, 4)}
    assert summary.pair_outcomes.pairs == summary.pair_outcomes.won_first_attempt == 5
    assert summary.generator_mode == "turns"
    candidates = [Candidate.from_row(r) for r in run.read_records("conversations", "candidates")]
    winners = run.read_records("conversations", "conversations")
    assert [c.turns[0].text for c in candidates if c.selected] == [w["turns"][0]["text"] for w in winners]
    assert len(list(preference_rows(run.read_records("conversations", "candidates")))) == 7


def test_an_unfinished_run_has_no_marker_and_a_run_without_winners_has_the_stage_schema(tmp_path):
    assert not finished_run(tmp_path / "killed", sample_conversations("test", 2), done=False).is_done("conversations")
    empty = finished_run(tmp_path / "empty", [])
    assert empty.read_records("conversations", "conversations") == []
    assert ConversationsSummary.of_run(empty).winners == 0
