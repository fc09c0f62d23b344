import pytest

from synthetic_persona_chat.models.contradiction import LLMJudgeNLI
from synthetic_persona_chat.tasks.contradiction_judge import FEWSHOT_TEMPLATE, ContradictionJudge
from tests.fakes import ScriptedLLM

ROW = {"premise": "I have a dog.", "hypothesis": "I never had pets."}


def test_the_two_templates():
    greedy = ContradictionJudge().render(ROW)[0]["content"]
    assert greedy.startswith("Statement A: I have a dog.\nStatement B: I never had pets.\n\n")
    fewshot = ContradictionJudge(FEWSHOT_TEMPLATE).render(ROW)[0]["content"]
    assert fewshot.endswith("\nA: I have a dog. B: I never had pets. Contradict?")


@pytest.mark.parametrize("answer,expected", [("No.", 1.0), ("false", 1.0), ("Yes, both can", 0.0),
                                             ("TRUE", 0.0), ("Maybe", None), ("", None), ("... no", 1.0)])
def test_parse_reads_the_first_word(answer, expected):
    assert ContradictionJudge().parse(answer, ROW) == expected


def test_greedy_judge_scores_and_counts_unparsed_answers():
    answers = {"a": "no", "b": "Yes.", "c": "hmm"}
    llm = ScriptedLLM(lambda chat, i: answers[chat[-1]["content"].split("Statement B: ")[1][0]])
    judge = LLMJudgeNLI(llm, scoring="greedy")
    assert judge.scores(["x", "x", "x"], ["a", "b", "c"]).tolist() == [1.0, 0.0, 0.5]
    assert judge.unparsed == 1 and len(llm.prompts) == 3
