"""`load_source` on a run directory uses the one run-complete rule (`RunDir.require_done`): a stage whose files
no longer match its `_done.json` is refused with the file named, as `spc build` and `spc eval` refuse it."""

from __future__ import annotations

import pytest

from synthetic_persona_chat.builder.sources import SourceError, load_source

from .conftest import make_run


def test_a_file_changed_after_its_stage_finished_is_named(tmp_path):
    run = make_run(tmp_path / "run", n=12)
    assert sum(len(c) for c in load_source(run.path).conversations.values()) == 12
    categories = run.path / "expand" / "categories.parquet"
    categories.write_bytes(categories.read_bytes() + b"\0")  # changed after the stage vouched for it
    with pytest.raises(SourceError, match=r"categories\.parquet has \d+ bytes, .*_done\.json vouches for \d+.*"
                                          r"rerun the command that made .*run to repair it"):
        load_source(run.path)
    (run.path / "expand" / "categories.parquet").unlink()
    with pytest.raises(SourceError, match=r"categories\.parquet is missing but .*expand/_done\.json vouches for it"):
        load_source(run.path)


def test_a_half_written_stage_says_how_to_resume(tmp_path):
    run = make_run(tmp_path / "run", n=12)
    (run.path / "expand" / "_done.json").unlink()
    with pytest.raises(SourceError, match=r"expand/_done\.json is missing: .*half-written.*rerun the same command"):
        load_source(run.path)


def test_a_run_summary_is_read_typed(tmp_path):
    source = load_source(make_run(tmp_path / "run", n=12).path)
    assert source.summary is not None and source.summary.generator_mode == "constrained"
    assert source.pass_rates == {"faithfulness": 0.75, "toxicity": 1.0}
    assert source.critic_counts == {"faithfulness": 4, "toxicity": 3}


def test_a_summary_without_the_stage_counts_is_logged_and_left_out(tmp_path, caplog):
    run = make_run(tmp_path / "run", n=12)
    run.mark_done("conversations", {"conversations": 12, "pass_rates": {"faithfulness": 0.5}})  # hand-made
    source = load_source(run.path)
    assert source.summary is None and source.pass_rates == {}
    assert "lacks candidates, parsed, winners" in caplog.text and "no Critic pass rates" in caplog.text
