"""`hub:ID` rows in each known layout, with any values a Hub split may hold (nulls, empty lists, messy text):
conversations and recorded skips, or one error naming the source and the line (ParlAI text)."""

from __future__ import annotations

import datasets
from hypothesis import example, given

from synthetic_persona_chat.readers.hub_layouts import read_rows
from synthetic_persona_chat.readers.parlai import ParlAIFormatError
from synthetic_persona_chat.records import Conversation
from tests import strategies as S

SOURCE = "hub:someone/persona-chat"


@given(S.hub_rows())
@example(("personachat-rows", [{"personality": ["i ski."], "candidates": ["a", "hi"], "history": ["yo"],
                                "utterance_idx": None, "conv_id": "a"}]))
@example(("personachat-rows", [{"personality": None, "candidates": None, "history": None, "utterance_idx": 0,
                                "conv_id": None}]))
@example(("personachat-dialogs", [{"personality": ["i ski."], "utterances": [{"candidates": [None],
                                                                               "history": ["hi"]}]}]))
def test_hub_rows_read_as_conversations_or_skips(layout_rows):
    """Regressions in the examples: a null `utterance_idx` raised TypeError outside the per-dialog guard
    (int(None)); a null candidate raised AttributeError ('NoneType' has no 'split'), which no guard caught."""
    _, rows = layout_rows
    try:
        convs, skips = read_rows(datasets.Dataset.from_list(rows), "train", SOURCE)
    except ParlAIFormatError as exc:
        assert str(exc).startswith(f"{SOURCE}:"), exc
        return
    assert all(isinstance(c, Conversation) for c in convs)
    assert all(s.source == SOURCE and s.locator and s.reason for s in skips)
