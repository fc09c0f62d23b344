"""Each producer hands on exactly its row contract: the pairs reader builds `Pair` rows, planning `Job` rows,
the Generator `Candidate` rows, so a field exists in one declaration (row_contracts.py) and nowhere else."""

from __future__ import annotations

import dataclasses

from synthetic_persona_chat.generation.config import generation_config
from synthetic_persona_chat.generation.engine import candidates_table
from synthetic_persona_chat.generation.plan import load_pairs, make_jobs
from synthetic_persona_chat.generation.stages import generate_batch
from synthetic_persona_chat.row_contracts import Candidate, Job, Pair

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def test_pairs_jobs_and_candidates_are_their_contracts(tmp_path):
    rows = spc_pairs(2)
    rows[1] = {"user1_persona": "I ski.\nI sing.", "user2_persona": ["I bake."], "extra": 1}  # only personas given
    pairs = load_pairs(write_pairs(tmp_path / "pairs.jsonl", rows))
    assert all(list(p) == _fields(Pair) for p in pairs)
    assert pairs[1]["user1_persona"] == ["I ski.", "I sing."] and pairs[1]["pair_id"] and pairs[1]["user1_id"] is None

    jobs = make_jobs(pairs, 0, [], [{"id": "s1", "text": "User 1: hi\nUser 2: hello"}], 1, seed=0)
    assert all(list(j) == _fields(Job) and Job.from_row(j).to_row() == j for j in jobs)

    ctx = make_ctx(tmp_path, config_dict(tmp_path / "pairs.jsonl", candidates=2), scripted())
    cands = generate_batch(jobs, ctx, generation_config(ctx.config))
    assert len(cands) == 4 and all(list(c) == _fields(Candidate) for c in cands)
    assert candidates_table(cands).to_pylist()[0]["turns"] == cands[0]["turns"]  # stored as produced
    assert Candidate.from_row(cands[0]).to_row() == cands[0]
