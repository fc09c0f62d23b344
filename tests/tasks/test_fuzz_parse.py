"""Every LLM task's `parse`, on any text a model may answer: a value or a stated reason, never an exception.

A parser that raises on one odd answer stops a whole batch (its paid calls wasted), so this is a property of
every task in the package, checked on generated answers (tests/strategies.py).
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import example, given

from synthetic_persona_chat.generation.parser import ParseResult
from synthetic_persona_chat.records import SPEAKERS, Conversation
from synthetic_persona_chat.tasks.attribute_bootstrap import AttributeBootstrap
from synthetic_persona_chat.tasks.contradiction_judge import ContradictionJudge
from synthetic_persona_chat.tasks.detection_judge import DetectionJudge
from synthetic_persona_chat.tasks.generator import Generator
from synthetic_persona_chat.tasks.pairwise_quality import PairwiseQuality, parse_choice
from synthetic_persona_chat.tasks.query_induction import QueryInduction
from synthetic_persona_chat.usergen.seeds import LineRules
from tests import strategies as S

ROW = {"query": "What do you do for a living?", "examples": ["I am a nurse.", "I teach math."],
       "fewshot_texts": [], "user1_persona": ["I ski."], "user2_persona": ["I bake."], "quality": "depth",
       "question": "Which is deeper?", "first": "x", "second": "y", "premise": "a", "hypothesis": "b",
       "a": "x", "b": "y"}


def _check_generator(value: ParseResult) -> None:
    """A parse (turns of known speakers with text, both speakers when there is no error) or a stated error;
    a parse without error must make a valid dataset record."""
    assert isinstance(value, ParseResult)
    assert all(t["speaker"] in SPEAKERS and t["text"].strip() for t in value.turns)
    if value.error is None:
        assert {t["speaker"] for t in value.turns} == set(SPEAKERS)
        Conversation(["p"], ["q"], [dict(t) for t in value.turns])
    else:
        assert value.error.strip()


CHECKS = {
    "generator": (Generator(), _check_generator),
    "pairwise_quality": (PairwiseQuality(), lambda v: v in (0, 1, None)),
    "contradiction_judge": (ContradictionJudge(), lambda v: v in (0.0, 1.0, None)),
    "detection_judge": (DetectionJudge(), lambda v: v in ("A", "B", None)),
    "query_induction": (QueryInduction(), lambda v: (v[0] is None) != (v[1] is None) and (v[0] or "").endswith(
        "?" if v[0] else "")),
    "attribute_bootstrap": (AttributeBootstrap(rules=LineRules(), num_new=5),
                            lambda v: isinstance(v[1], Counter) and all(s.strip() for s in v[0])),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
@given(text=S.model_answers())
@example(text="9" * 5000)
@example(text="[" * 10_000)
@example(text="\r\nUser 1:\u2028hi\x85User 2: **\n")
def test_task_parse_never_raises(name, text):
    """Regression in the examples: '9' * 5000 made parse_choice raise int()'s digit-limit ValueError."""
    task, check = CHECKS[name]
    value = task.parse(text, ROW)
    result = check(value)
    assert result is None or result, f"{name}: unexpected value {value!r} for {text[:80]!r}"


def test_parse_choice_on_a_long_number_is_no_choice():
    assert parse_choice("9" * 5000, 2) is None and parse_choice("2.", 2) == 1 and parse_choice("123", 2) is None
