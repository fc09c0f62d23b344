"""Conversation-level LLM experts (critic/llm_judges.py): one call per candidate, both profiles, reasons kept."""

import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic import EXPERTS
from synthetic_persona_chat.generation.estimate import estimate
from synthetic_persona_chat.tasks.conversation_judge import ConversationJudge, TOXICITY_TEMPLATE

from .helpers import config_dict, make_ctx, spc_pairs, write_pairs
from tests.fakes import ScriptedLLM

ROW = {"user1_persona": ["I am fifty years old."], "user2_persona": ["I have a daughter."],
       "turns": [{"speaker": "user 1", "text": "I just turned thirty."}, {"speaker": "user 2", "text": "Cool!"}]}


@pytest.mark.parametrize("text, found, reason", [("Yes. User 1 says thirty but is fifty.", True,
                                                  "User 1 says thirty but is fifty."),
                                                 ("no", False, "(no reason given)"), ("Maybe", None, "Maybe")])
def test_parse(text, found, reason):
    j = ConversationJudge().parse(text, {})
    assert (j.found, j.reason) == (found, reason)


def test_faithfulness_judge_reads_both_profiles_and_examples_in_one_call_per_candidate(tmp_path):
    seen = []

    def respond(chat, i):
        seen.append(chat[-1]["content"])
        return "Yes. User 1 says thirty but is fifty." if "User 1: I just turned thirty.\nUser 2: Cool!" in chat[-1]["content"] else "No."
    ctx = make_ctx(tmp_path, {"seed": 0}, ScriptedLLM(respond))
    faithful = {**ROW, "turns": [{"speaker": "user 1", "text": "At fifty I finally learned to ski."},
                                 {"speaker": "user 2", "text": "My daughter skis too."}]}
    bad, good = EXPERTS["llm-faithfulness"].fn([ROW, faithful], ctx, CriticConfig())
    assert len(seen) == 2  # one call per candidate, not per utterance x attribute
    prompt = seen[0]
    assert "User 1's persona: I am fifty years old." in prompt and "User 2's persona: I have a daughter." in prompt
    assert "Example 2" in prompt and "User 1: I just turned thirty." in prompt
    assert not bad.passed and bad.reason == "judge answered yes: User 1 says thirty but is fifty."
    assert good.passed and good.reason.startswith("judge answered no")
    ctx.close()


def test_toxicity_judge_and_unparsable_answers_are_kept_with_a_reason(tmp_path):
    ctx = make_ctx(tmp_path, {"seed": 0}, ScriptedLLM(lambda chat, i: "I cannot say."))
    v = EXPERTS["llm-toxicity"].fn([ROW], ctx, CriticConfig())[0]
    assert v.passed and v.reason == "unparsable answer, kept: 'I cannot say.'"
    text = ConversationJudge(TOXICITY_TEMPLATE).render({"conversation": "User 1: hi", "user1_persona": [],
                                                        "user2_persona": []})[0]["content"]
    assert text.startswith("User 1: hi") and "toxic" in text
    ctx.close()


def test_estimate_counts_one_call_per_candidate(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(4))
    data = config_dict(pairs, iterations=1, candidates=3)
    data["critic"]["experts"] = ["structural", "llm-faithfulness", "llm-toxicity", "quality"]
    lines = {line["role"]: line for line in estimate(load_config(None, base=data))["lines"]}
    assert {"llm-faithfulness", "llm-toxicity"} <= set(lines)
    assert lines["llm-faithfulness"]["calls"] == lines["llm-toxicity"]["calls"] <= 4 * 3


def test_with_the_bundled_smollm2(tmp_path, smollm):
    """The real small model follows the yes/no format or is recorded as unparsable: every verdict has a reason."""
    ctx = make_ctx(tmp_path, {"seed": 0}, smollm)
    verdicts = [e.fn([ROW], ctx, CriticConfig())[0] for e in (EXPERTS["llm-faithfulness"], EXPERTS["llm-toxicity"])]
    assert [v.expert for v in verdicts] == ["llm-faithfulness", "llm-toxicity"]
    assert all(v.reason and v.passed is not None for v in verdicts)
    print([v.reason for v in verdicts])
    ctx.close = lambda: None  # the session fixture owns the model
