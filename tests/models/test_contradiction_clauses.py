"""Clause-level scoring of the default checker: entailments of real SPC no longer read as contradictions."""

import pytest

from synthetic_persona_chat.models.clauses import self_statements, split_clauses
from synthetic_persona_chat.models.contradiction_polarity import PolarityNLI


@pytest.mark.parametrize("text, clauses", [
    ("I'm allergic to shellfish, so I can't eat seafood.", ["I'm allergic to shellfish", "I can't eat seafood."]),
    ("That's nice. I'm allergic to cats.", ["That's nice.", "I'm allergic to cats."]),
    ("Yes, I have two boys.", ["Yes, I have two boys."]),
    ("Oh! I love dogs but I have none", ["Oh! I love dogs", "I have none"]),
    ("I don't have any sisters, just two brothers.", ["I don't have any sisters, just two brothers."]),
    ("Hi!", ["Hi!"])])
def test_split_clauses(text, clauses):
    assert split_clauses(text) == clauses


# Entailments from the packaged SPC sample that the whole-utterance checker scored above its strict threshold.
SPC_ENTAILMENTS = [("I am allergic to shellfish.", "I'm allergic to shellfish, so I can't eat seafood."),
                   ("I like playing poker.", "I used to play a lot of poker, but I don't have many friends anymore."),
                   ("I am allergic to cats.", "That's interesting. I don't like dogs either. I'm allergic to cats."),
                   ("I like to drink scotch to relax.", "That's cool. I'm not really into video games or building "
                                                        "things, but I like to drink scotch to relax")]
CONTRADICTIONS = [("My sister is a doctor.", "I don't have any sisters, just two brothers."),
                  ("I have two dogs.", "I love animals, but I don't have any pets.")]


@pytest.fixture(scope="module")
def checkers(minilm):
    return PolarityNLI(embedder=minilm, precision="fp32"), PolarityNLI(embedder=minilm, precision="fp32",
                                                                         clauses=False)


def test_spc_entailments_fall_below_the_strict_threshold_only_with_clauses(checkers):
    clauses, whole = checkers
    cut = 0.945  # the shipped whole-utterance strict threshold these false alarms passed
    premises, hypotheses = zip(*SPC_ENTAILMENTS)
    assert all(s > cut for s in whole.scores(list(premises), list(hypotheses)))
    assert all(s < cut for s in clauses.scores(list(premises), list(hypotheses)))


def test_contradictions_still_score_high_and_order_is_kept(checkers):
    clauses, _ = checkers
    premises, hypotheses = zip(*(CONTRADICTIONS + SPC_ENTAILMENTS))
    scores = clauses.scores(list(premises), list(hypotheses))
    assert len(scores) == 6 and min(scores[:2]) > max(scores[2:])
    single = clauses.scores([CONTRADICTIONS[1][0]], [CONTRADICTIONS[1][1]])
    assert single[0] == pytest.approx(scores[1], abs=1e-5)  # a pair's score does not depend on its batch


def test_whole_utterance_scoring_has_its_own_calibration_key(checkers):
    clauses, whole = checkers
    assert clauses.calibration_key == "minilm-polarity" and whole.calibration_key == "minilm-polarity/whole"


@pytest.mark.parametrize("text, statements", [
    ("Oh, you're not vegan?", ""),
    ("Do you have any siblings?", ""),
    ("I agree. Do you have many friends?", "I agree."),
    ("You don't have to be a designer to be involved in fashion. You could be a stylist!", ""),
    ("Unlike you, I have never had a dog.", "Unlike you, I have never had a dog."),
    ("I'm allergic to shellfish, so I can't eat seafood.", "I'm allergic to shellfish; I can't eat seafood."),
    ("Not really.", "Not really.")])
def test_self_statements_keep_what_the_speaker_says_of_themselves(text, statements):
    assert self_statements(text) == statements


def test_self_statements_split_back_where_they_were_cut():
    text = "I'm allergic to shellfish, so I can't eat seafood. What about you?"
    assert [c.rstrip(";") for c in split_clauses(self_statements(text))] == split_clauses(text)[:2]
