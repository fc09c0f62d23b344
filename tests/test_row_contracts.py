"""The stored schemas are derived from the row contracts, and rows convert both ways."""

import pyarrow as pa

from synthetic_persona_chat.generation.engine import CANDIDATE_SCHEMA
from synthetic_persona_chat.row_contracts import Candidate, Job, Pair, TurnRow, Verdict, arrow_schema, from_row, to_row
from synthetic_persona_chat.usergen.stages import PAIR_SCHEMA

STRINGS = pa.list_(pa.string())


def test_schemas_are_the_ones_runs_already_store():
    """Derived field for field: the Parquet files written before the contracts existed still match."""
    assert PAIR_SCHEMA.equals(pa.schema([
        ("pair_id", pa.string()), ("user1_id", pa.string()), ("user2_id", pa.string()),
        ("user1_persona", STRINGS), ("user2_persona", STRINGS), ("similarity", pa.int64())]))
    verdict = pa.struct([("expert", pa.string()), ("passed", pa.bool_()), ("choice", pa.int64()),
                         ("reason", pa.string()), ("score", pa.float64()), ("compared", pa.list_(pa.int64())),
                         ("consistent", pa.bool_())])
    assert CANDIDATE_SCHEMA.field("verdicts").type == pa.list_(verdict)
    assert CANDIDATE_SCHEMA.field("turns").type == pa.list_(pa.struct([("speaker", pa.string()), ("text", pa.string())]))
    assert CANDIDATE_SCHEMA.names[:5] == ["candidate_id", "job_id", "pair_id", "iteration", "candidate_index"]
    assert CANDIDATE_SCHEMA.names[-3:] == ["passed", "votes", "selected"]
    assert arrow_schema(Job).field("fewshot_texts").type == STRINGS


def test_a_candidate_row_round_trips_through_parquet_types():
    cand = Candidate(candidate_id="c", job_id="j", pair_id="p", iteration=1, candidate_index=0, user1_id="u1",
                     user2_id=None, user1_persona=["I ski."], user2_persona=["I sing."], similarity=2.0,
                     fewshot_ids=["f"], generator="transformers:smollm2", raw_text="User 1: hi",
                     turns=[TurnRow("user 1", "hi"), TurnRow("user 2", "hello")], parse_error=None,
                     parse_notes=[], prompt_tokens=10, completion_tokens=4,
                     verdicts=[Verdict("structural", passed=True, reason="ok"),
                               Verdict("quality:depth", choice=0, compared=[0, 1], consistent=True)])
    table = pa.Table.from_pylist([to_row(cand)], schema=CANDIDATE_SCHEMA)
    assert from_row(Candidate, table.to_pylist()[0]) == cand
    old = {**to_row(cand), "verdicts": [{"expert": "toxicity", "passed": True, "choice": None, "reason": "clean"}]}
    assert from_row(Candidate, old).verdicts == [Verdict("toxicity", passed=True, reason="clean")]  # pre-`score` rows
    assert from_row(Pair, {"pair_id": "p", "user1_id": "a", "user2_id": "b", "user1_persona": [],
                           "user2_persona": [], "extra": 1}).similarity is None  # unknown keys ignored
