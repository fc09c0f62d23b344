"""candidates.parquet is streamed from the batch units on disk, a batch at a time (#23 item 4).

The stage used to hold every candidate row of every iteration in the driver until the end (~10 KB of Python
objects a row: +655 MiB at 20k pairs) and write the file from them in one piece. Now each round's rows are
slimmed to their ids and verdicts, and the file is rebuilt from the units: one row group per batch, the same
rows in the same order (iteration by iteration, first round then retries, batches in plan order).
"""

import json

import pyarrow as pa
import pyarrow.parquet as pq

from synthetic_persona_chat.generation.engine import CANDIDATE_SCHEMA, slim, write_candidates
from synthetic_persona_chat.generation.iterate import run_conversations

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs
from .test_stage import varied


def _units_in_order(stage):
    """Every batch unit's rows, iteration by iteration, the plan's batches in order (what the file must hold)."""
    rows = []
    for it in sorted((p for p in stage.glob("iter-*") if p.is_dir()), key=lambda p: p.name):
        for b in range(len(json.loads((it / "plan.json").read_text()))):
            rows += pq.read_table(it / f"batch-{b:05d}" / "candidates.parquet").to_pylist()
    return rows


def test_candidates_file_is_the_units_streamed_one_row_group_per_batch(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(6))
    ctx = make_ctx(tmp_path, config_dict(pairs, batch_size=2), scripted(generator=varied))
    summary = run_conversations(ctx)
    stage = ctx.run.path / "conversations"
    path = stage / "candidates.parquet"
    plans = [json.loads(p.read_text()) for p in stage.glob("iter-*/plan.json")]
    assert pq.ParquetFile(path).metadata.num_row_groups == sum(len(p) for p in plans) > 1  # was 1: built in memory
    stored = pq.read_table(path)
    assert stored.schema.equals(CANDIDATE_SCHEMA)
    assert stored.to_pylist() == _units_in_order(stage)
    assert summary["candidates"] == stored.num_rows == 18 and summary["winners"] == 6


def test_write_candidates_with_no_batches_is_an_empty_table(tmp_path):
    path = tmp_path / "candidates.parquet"
    assert write_candidates([(tmp_path / "iter-1", 0)], path) == 0
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.schema.equals(CANDIDATE_SCHEMA)
    assert not list(tmp_path.glob("*.tmp"))


def test_slim_rows_keep_what_the_summary_reads_and_drop_the_texts():
    row = {f.name: None for f in CANDIDATE_SCHEMA}
    slimmed = slim(row)
    assert {"raw_text", "turns", "user1_persona", "user2_persona", "fewshot_ids", "parse_notes"}.isdisjoint(slimmed)
    assert {"verdicts", "selected", "job_id", "pair_id", "candidate_id", "candidate_index", "iteration",
            "parse_error"} <= set(slimmed)
    assert isinstance(CANDIDATE_SCHEMA, pa.Schema)


def _live_candidate_rows():
    import gc

    gc.collect()
    keys = {"candidate_id", "verdicts", "selected", "parse_error"}  # a row's, not a winner's provenance (its meta)
    return sum(1 for o in gc.get_objects()  # Candidate's __annotations__ has the keys too, its values are not bools
               if isinstance(o, dict) and all(k in o for k in keys) and isinstance(o["selected"], bool))


def test_no_candidate_row_is_held_for_the_whole_run(tmp_path, monkeypatch):
    """The driver grew with the run's size (#23: 1.8 GB at 1k pairs, 2.13 GB at 5k): it kept every candidate's
    verdicts to the end for the summary, ~7 KB a row. Now the summary streams candidates.parquet, so when the
    tables are written no candidate row is alive in the process; the summary still counts every candidate."""
    from synthetic_persona_chat.generation import iterate

    seen = []
    finish = iterate._finish

    def counting(*args, **kwargs):
        seen.append(_live_candidate_rows())
        return finish(*args, **kwargs)

    monkeypatch.setattr(iterate, "_finish", counting)
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(6))
    ctx = make_ctx(tmp_path, config_dict(pairs, batch_size=2), scripted(generator=varied))
    summary = run_conversations(ctx)
    assert seen == [0]  # 27 before the summary streamed (the slim rows of every round)
    assert summary["candidates"] == 18 and summary["pairs"] == 6 and summary["winners"] == 6
