"""tests.fakes.TaskLLM answers by the name of the task that rendered a prompt, through the real task runner."""

import pytest

from synthetic_persona_chat.models.llm import GenerationParams
from synthetic_persona_chat.tasks import ask
from synthetic_persona_chat.tasks.contradiction_judge import ContradictionJudge
from synthetic_persona_chat.tasks.query_induction import QueryInduction
from tests.fakes import TaskLLM, task_of

PAIR = {"premise": "I have a dog.", "hypothesis": "I never had pets."}
FACTS = {"examples": "I love jazz.\nI play the sax."}


def test_each_prompt_is_answered_by_its_task_name():
    llm = TaskLLM({"contradiction_judge": lambda chat, i: "No.", "query_induction": lambda chat, i: "What music?"})
    assert ask(llm, ContradictionJudge(), [PAIR], GenerationParams())[0].value == 1.0
    assert ask(llm, QueryInduction(), [FACTS], GenerationParams())[0].text == "What music?"
    assert [task_of(chat) for chat in llm.prompts] == ["contradiction_judge", "query_induction"]


def test_a_task_without_an_answer_is_named():
    llm = TaskLLM({"query_induction": lambda chat, i: "?"})
    with pytest.raises(AssertionError, match="no answer for task 'contradiction_judge'"):
        ask(llm, ContradictionJudge(), [PAIR], GenerationParams())
    assert task_of([{"role": "user", "content": "a chat no task rendered"}]) is None
