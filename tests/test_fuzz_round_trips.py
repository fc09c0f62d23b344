"""Written and read back, a record equals what went in: the Arrow contracts (Parquet, as the engine stores a
batch), the `datasets` features of the `conversations` config, and the export folder stock `datasets` loads.

Generated records carry messy strings (U+2028, NUL, BOMs, huge fields) and extreme numbers (int64 bounds,
subnormal floats), the values a hand-written round trip never tries.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import datasets
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from synthetic_persona_chat.builder.export import export
from synthetic_persona_chat.builder.features import CONVERSATION_FEATURES
from synthetic_persona_chat.builder.rows import conversation_row
from synthetic_persona_chat.generation.engine import candidates_table
from synthetic_persona_chat.config import Config
from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.row_contracts import Candidate
from synthetic_persona_chat.rundir import RunDir
from tests import strategies as S


@given(st.lists(S.candidates(), min_size=1, max_size=4))
def test_candidate_contract_survives_parquet(cands):
    path = Path(tempfile.mkdtemp(prefix="spc-rt-")) / "candidates.parquet"
    pq.write_table(candidates_table([c.to_row() for c in cands]), path)
    back = [Candidate.from_row(r) for r in pq.read_table(path).to_pylist()]
    assert back == cands


def _generated(conv: Conversation) -> Conversation:
    """A conversation as a run stores one: the provenance the `conversations` config types (verdicts, pair
    similarity, generator) in its meta, and an iteration."""
    meta = {**conv.meta, "generator": "openai:m", "pair_similarity": 2.0, "pair_id": "p1",
            "verdicts": [{"expert": "vote", "passed": None, "choice": 0, "reason": "r", "score": None,
                          "compared": None, "consistent": None}]}
    return Conversation(conv.user1_persona, conv.user2_persona, conv.turns, source=conv.source, split=None,
                        iteration=conv.iteration, meta=meta)


@given(st.lists(S.conversations(), min_size=1, max_size=4))
def test_conversations_config_rows_survive_datasets_features(convs):
    rows = [conversation_row(_generated(c), "synthetic") for c in convs]
    ds = datasets.Dataset.from_list(rows, features=CONVERSATION_FEATURES)
    back = ds.to_list()
    for row, got in zip(rows, back):
        got["turns"] = [{**t, "speaker": CONVERSATION_FEATURES["turns"].feature["speaker"].int2str(t["speaker"])}
                        for t in got["turns"]]
        assert got == row


@settings(max_examples=3)  # each example builds every config of an export (seconds)
@given(st.lists(S.conversations(), min_size=2, max_size=4))
def test_export_reads_back_what_went_in(convs):
    convs = [_generated(c) for c in convs]
    for conv in convs:  # a run counts iterations from 1 (one counted from 0 is read shifted: iterations.py)
        conv.iteration = None if conv.iteration is None else max(1, conv.iteration)
    root = Path(tempfile.mkdtemp(prefix="spc-export-"))
    run = RunDir(root / "run").init(Config.from_dict({}))  # the export reads a run as the generation stage wrote it
    run.write_records("conversations", "conversations", [c.to_dict() for c in convs])
    run.mark_done("conversations", {"conversations": len(convs)})
    out = root / "out"
    result = export(run.path, out, configs=("conversations",))
    (path,) = [out / p for p in result.files["conversations"].values()]
    back = datasets.Dataset.from_parquet(str(path), features=CONVERSATION_FEATURES).to_list()
    want = [conversation_row(c, "synthetic") for c in convs]
    speaker = CONVERSATION_FEATURES["turns"].feature["speaker"]
    for got in back:
        got["turns"] = [{**t, "speaker": speaker.int2str(t["speaker"])} for t in got["turns"]]
    assert sorted(back, key=lambda r: r["id"]) == sorted(want, key=lambda r: r["id"])
