"""Every task renders byte for byte what the code before the task refactor sent.

`data/old_prompts.json` was written by running the pre-refactor code (usergen/templates.py,
generation/templates.py, the JUDGE_PROMPT / FEWSHOT_PROMPT / LLM_PROMPT format strings) on the
rows stored beside each chat. The answer cache is keyed on the exact prompt, so one changed byte
would make every resumed run pay for its LLM calls again.
"""

import json
from pathlib import Path

import pytest

from synthetic_persona_chat.tasks.attribute_bootstrap import AttributeBootstrap
from synthetic_persona_chat.tasks.contradiction_judge import FEWSHOT_TEMPLATE, ContradictionJudge
from synthetic_persona_chat.tasks.detection_judge import DetectionJudge
from synthetic_persona_chat.tasks.generator import Generator
from synthetic_persona_chat.tasks.pairwise_quality import PairwiseQuality
from synthetic_persona_chat.tasks.query_induction import QueryInduction
from synthetic_persona_chat.tasks.templates import quality_questions
from synthetic_persona_chat.usergen.seeds import LineRules

OLD = json.loads((Path(__file__).parent / "data" / "old_prompts.json").read_text(encoding="utf-8"))

TASKS = {
    "query_induction": QueryInduction(),
    "attribute_bootstrap": AttributeBootstrap(LineRules(), num_new=5),
    "pairwise_quality": PairwiseQuality(),
    "contradiction_judge": ContradictionJudge(),
    "contradiction_fewshot": ContradictionJudge(FEWSHOT_TEMPLATE),
    "detection_judge": DetectionJudge(),
}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_renders_what_the_old_code_sent(name):
    assert TASKS[name].render(OLD[name]["row"]) == OLD[name]["chat"]


@pytest.mark.parametrize("case", sorted(OLD["generator"]))
def test_generator_renders_what_the_old_code_sent(case):
    old = OLD["generator"][case]
    assert Generator().render(old["row"]) == old["chat"]


def test_generator_without_system_message_and_other_lengths():
    old = OLD["generator_no_system"]
    task = Generator(system_template=None, min_turns=old["min_turns"], max_turns=old["max_turns"])
    assert task.render(old["row"]) == old["chat"]
    assert [m["role"] for m in task.render(old["row"])] == ["user"]


def test_quality_questions_unchanged():
    assert quality_questions() == OLD["quality_questions"]
