"""The persona-leakage expert (critic/leakage.py) on the real MiniLM and real SPC conversations."""

from types import SimpleNamespace

import pytest

from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic import leakage
from synthetic_persona_chat.readers import read_spc_csv
from tests.conftest import SPC_TEST

NURSE = ["I am studying to be a nurse.", "I want to work in labor and delivery.", "I have a golden retriever."]
PILOT = ["I am a pilot.", "I live in Denver.", "I love skiing."]


def row(lines, user1=PILOT, user2=NURSE):
    return {"user1_persona": user1, "user2_persona": user2, "turns": [{"speaker": s, "text": t} for s, t in lines]}


@pytest.mark.parametrize("text, claim", [("I want to work in labor and delivery.", True), ("My dog is great", True),
                                         ("Do you want to work in labor and delivery?", False),
                                         ("You work in labor and delivery.", False), ("That is great.", False)])
def test_claims(text, claim):
    assert leakage.claims(text) is claim


def test_a_speaker_claiming_the_partners_attribute_is_dropped(minilm):
    ctx = SimpleNamespace(embedder=minilm)
    leaked = row([("user 1", "Hi, I fly planes out of Denver."), ("user 2", "I'm studying to become a nurse."),
                  ("user 1", "I am studying to be a nurse."), ("user 2", "Oh nice!")])
    fine = row([("user 1", "Hi, I fly planes out of Denver."), ("user 2", "I'm studying to become a nurse."),
                ("user 1", "Do you want to work in labor and delivery?"), ("user 2", "Yes, I want to work in "
                                                                              "labor and delivery.")])
    bad, good = leakage.judge([leaked, fine], ctx, CriticConfig())
    assert not bad.passed and "partner's 'I am studying to be a nurse.'" in bad.reason and bad.score >= 0.9
    assert good.passed and good.reason.startswith("0 utterance(s)")
    assert leakage.judge([leaked], ctx, CriticConfig(max_leaks=1))[0].passed


def test_shared_attributes_are_not_leaks(minilm):
    """Both speakers own the attribute: saying it is faithful, whoever says it."""
    both = row([("user 1", "I have a golden retriever."), ("user 2", "I have a golden retriever too!")],
               user1=PILOT + ["I have a golden retriever."])
    assert leakage.judge([both], SimpleNamespace(embedder=minilm), CriticConfig())[0].passed


def test_default_rarely_fires_on_real_spc(minilm):
    """Measured on the 150 SPC test conversations: 6 flagged (4%) at the default 0.9; here the first 60."""
    convs = read_spc_csv(SPC_TEST)[0][:60]
    rows = [{"user1_persona": c.user1_persona, "user2_persona": c.user2_persona,
             "turns": [{"speaker": t.speaker, "text": t.text} for t in c.turns]} for c in convs]
    dropped = sum(not v.passed for v in leakage.judge(rows, SimpleNamespace(embedder=minilm), CriticConfig()))
    assert dropped <= 4
