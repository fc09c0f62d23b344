"""The typed config rows (`SpcRow`, `ConversationRow`, `MessagesConfigRow`, `AttributeRow`) are the rows the
dict-era code made: the fixture holds what the code before #25 item 3 built from three conversations of the
packaged sample, compared here as JSON text, so a changed value or key order fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from synthetic_persona_chat.builder.rows import config_rows
from synthetic_persona_chat.builder.sources import Source, load_source

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "exports" / "config_rows_sample.json"
CONFIGS = ("full", "release", "conversations", "messages", "personas")


@pytest.fixture(scope="module")
def sample_source() -> Source:
    """The packaged sample's first three conversations (and release rows): the fixture's input."""
    src = load_source("spc-sample:test")
    src.conversations = {"test": src.conversations["test"][:3]}
    src.release = {"test": src.release["test"][:3]}
    return src


@pytest.mark.parametrize("name", CONFIGS)
def test_config_rows_are_the_rows_the_dict_era_code_made(sample_source, name):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))[name]
    config = SimpleNamespace(name=name, nup_seed=0, num_candidates=4, partner_persona=True)
    rows = list(config_rows(config, sample_source, "test"))
    assert json.dumps(rows, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
