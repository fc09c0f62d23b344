"""The stage's dict rows (generation/stage_rows.py): each TypedDict names the keys its producer really writes.

The shapes are annotations only (the rows stay plain dicts), so what is checked is that they say the truth:
the contract mirrors have the contract's fields in its order, and the rows a real run hands between its
functions (jobs, candidates, batch costs, pair outcomes) carry exactly the declared keys, in the order the
files have always stored them (unit.json's meta, pair_outcomes.parquet).
"""

import dataclasses
import typing

import pyarrow.parquet as pq

from synthetic_persona_chat.generation.engine import ON_DISK_ONLY, run_local
from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.stage_rows import (BatchMeta, CandidateRow, JobRow, OutcomeRow, PairRow,
                                                          VerdictRow)
from synthetic_persona_chat.row_contracts import Candidate, Job, Pair, Verdict

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs


def keys(shape: type) -> list[str]:
    return list(typing.get_type_hints(shape))


def test_each_mirror_has_its_contracts_fields_in_order():
    for shape, contract in ((PairRow, Pair), (JobRow, Job), (CandidateRow, Candidate), (VerdictRow, Verdict)):
        assert keys(shape) == [f.name for f in dataclasses.fields(contract)], shape.__name__


def test_only_the_slim_texts_and_the_optional_pair_fields_may_be_missing():
    assert CandidateRow.__optional_keys__ == {"user1_persona", "user2_persona", "fewshot_ids", "raw_text", "turns",
                                              "parse_notes"} == ON_DISK_ONLY  # what a slim row leaves out
    assert PairRow.__optional_keys__ == {"user1_id", "user2_id", "similarity"}
    assert not JobRow.__optional_keys__ and not BatchMeta.__optional_keys__ and not OutcomeRow.__optional_keys__


def test_a_real_run_hands_on_exactly_the_declared_keys(tmp_path):
    seen: dict[str, list] = {"jobs": [], "rows": [], "metas": []}

    def recording(jobs, *args, **kwargs):
        rows, metas = run_local(jobs, *args, **kwargs)
        seen["jobs"] += jobs
        seen["rows"] += rows
        seen["metas"] += metas
        return rows, metas

    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(2))
    ctx = make_ctx(tmp_path, config_dict(pairs, iterations=1, retries=1), scripted(generator=lambda chat, i: "no"))
    run_conversations(ctx, engine=recording)
    assert seen["jobs"] and all(list(j) == keys(JobRow) for j in seen["jobs"])
    # the engine hands losers back slim (their texts stay in the batch units): the declared keys less ON_DISK_ONLY
    assert seen["rows"] and not any(r["selected"] for r in seen["rows"])
    assert all(list(r) == [k for k in keys(CandidateRow) if k not in ON_DISK_ONLY] for r in seen["rows"])
    assert all(list(v) == keys(VerdictRow) for r in seen["rows"] for v in r["verdicts"])
    assert seen["metas"] and all(list(m) == ["usage", "seconds", "cpu_seconds", "jobs"] == keys(BatchMeta)
                                 for m in seen["metas"])
    outcomes = pq.read_table(ctx.run.path / "conversations" / "pair_outcomes.parquet")
    assert outcomes.column_names == ["pair_id", "iteration", "attempts", "winner", "reason"] == keys(OutcomeRow)
    assert outcomes.num_rows == 2 and not any(outcomes.column("winner").to_pylist())
