"""The conversations stage's summary is a typed `ConversationsSummary` (#25 item 3); its `_done.json` keeps
the format a run wrote before the type existed (tests/fixtures/runs/, written by a demo run that day)."""

import json
from pathlib import Path

import pytest

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.run_summary import ConversationsSummary, SeedPool
from synthetic_persona_chat.rundir import RunDir

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs

FIXTURE = Path(__file__).parents[1] / "fixtures" / "summaries" / "conversations_done.json"


def test_a_done_file_written_before_the_type_round_trips_byte_for_byte():
    text = FIXTURE.read_text(encoding="utf-8")
    data = json.loads(text)
    files = data.pop("_files")
    summary = ConversationsSummary.from_json(data)
    assert summary.winners == 48 and summary.pass_rates["faithfulness"] == 0.8281
    assert summary.pair_outcomes.no_winner == 16 and summary.seed_pool == SeedPool(100, 66, 34, {
        "template placeholders": 34})
    assert summary.seconds_per_stage["generate"] == 147.09 and not summary.extra
    assert json.dumps({**summary.to_json(), "_files": files}, indent=2, ensure_ascii=False) == text


def test_an_older_summary_without_the_later_keys_still_reads(tmp_path):
    run = RunDir(tmp_path / "r")
    run.stage_dir("conversations")
    run.mark_done("conversations", {"candidates": 2, "parsed": 2, "winners": 1, "pass_rates": {"parser": 1.0}})
    summary = ConversationsSummary.of_run(run)
    assert (summary.winners, summary.seed_pool, summary.generator_mode) == (1, None, None)
    assert summary.to_json() == run.stage_summary("conversations")


def test_a_marker_without_the_counts_is_refused_naming_them(tmp_path):
    run = RunDir(tmp_path / "r")
    run.stage_dir("conversations")
    run.mark_done("conversations", {"candidates": 2})
    with pytest.raises(ValueError, match="ConversationsSummary: the JSON object lacks parsed, winners"):
        ConversationsSummary.of_run(run)


def test_the_stage_writes_the_typed_summary(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(2))
    data = config_dict(pairs, iterations=1, candidates=1)
    data["critic"]["experts"] = ["structural"]
    ctx = make_ctx(tmp_path, data, scripted())
    stored = run_conversations(ctx)
    summary = ConversationsSummary.of_run(ctx.run)
    ctx.close()
    assert summary.to_json() == stored and list(stored) == list(summary.to_json())  # key order too
    assert summary.candidates == 2 and summary.pairs == 2 and summary.generator_mode
    assert summary.pair_outcomes.pairs == 2 and isinstance(summary.seed_pool, SeedPool)
