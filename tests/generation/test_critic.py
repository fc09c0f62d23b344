"""Each Critic expert with a scripted LLM, the real toxicity scorer, votes and the expert registry."""

import pytest

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic import EXPERTS, resolve
from synthetic_persona_chat.generation.critic import faithfulness, quality, structural, toxicity
from synthetic_persona_chat.generation.critic.base import Verdict
from synthetic_persona_chat.generation.parser import parse_conversation, placeholders
from synthetic_persona_chat.generation.stages import critic_batch, select_batch
from synthetic_persona_chat.models.contradiction import LLMJudgeNLI
from synthetic_persona_chat.readers import read_spc_csv
from tests.conftest import SPC_VALID
from tests.fakes import ScriptedLLM

from .helpers import GOOD


class Ctx:
    """Just the models an expert touches."""

    def __init__(self, llm=None, nli=None, tox=None):
        self.llm, self.nli, self.toxicity = llm, nli, tox


def row(text=GOOD, index=0, job="j", p1=("I like running.",), p2=("I teach history.",)):
    parsed = parse_conversation(text).to_dict()
    return {"job_id": job, "pair_id": job, "candidate_index": index, "user1_persona": list(p1),
            "user2_persona": list(p2), **parsed}


def test_structural_passes_a_good_conversation():
    v = structural.judge([row()], None, CriticConfig())
    assert v[0].passed and "8 alternating turns" in v[0].reason


@pytest.mark.parametrize("text,why", [
    ("User 1: Hi.\nUser 2: Hey.", "turns < minimum"),
    ("User 1: a.\nUser 1: b.\nUser 2: c.\nUser 1: d.\nUser 2: e.\nUser 1: f.\nUser 2: g.", "do not alternate"),
    (GOOD.replace("I teach history", "I teach history, [User 1's name]"), "placeholder"),
])
def test_structural_rejections(text, why):
    v = structural.judge([row(text)], None, CriticConfig())[0]
    assert v.passed is False and why in v.reason


def test_released_spc_has_placeholders_that_structural_rejects():
    convs, _ = read_spc_csv(SPC_VALID)
    with_ph = [c for c in convs if any(placeholders(t.text) for t in c.turns)]
    assert len(with_ph) > 50  # the release really carries "[User 1's name]" and friends
    turns = [{"speaker": t.speaker, "text": t.text} for t in with_ph[0].turns]
    v = structural.check(turns, CriticConfig(min_turns=1, max_alternation_errors=99))
    assert v.passed is False and "placeholder" in v.reason


def test_faithfulness_drops_a_contradicting_utterance_in_one_batched_call():
    calls = []

    def judge(chat, i):
        calls.append(chat)
        content = chat[-1]["content"]
        return "no" if "never run" in content and "I like running" in content else "yes"

    llm = ScriptedLLM(judge)
    batches = []
    inner = llm._generate
    llm._generate = lambda chats, params: batches.append(len(chats)) or inner(chats, params)
    ctx = Ctx(nli=LLMJudgeNLI(llm))
    bad = GOOD.replace("Nice, I love running too.", "I never run, I hate it.")
    rows = [row(GOOD, 0), row(bad, 1)]
    cfg = CriticConfig(max_nli_pairs=0)
    v = faithfulness.judge(rows, ctx, cfg)
    assert v[0].passed and not v[1].passed
    assert "never run" in v[1].reason and "I like running" in v[1].reason
    assert batches == [16]  # (4 + 4 turns) × 1 attribute each, × 2 candidates: one call for the batch


def test_faithfulness_cap_is_recorded():
    ctx = Ctx(nli=LLMJudgeNLI(ScriptedLLM(lambda c, i: "yes")))
    r = row(p1=("I like running.", "I have a cat.", "I live in Ohio."), p2=("I teach history.", "I am tall."))
    pairs, total = faithfulness.candidate_pairs(r, 5)
    assert total == 4 * 3 + 4 * 2 and len(pairs) == 5
    assert ("I like running.", "Nice, I love running too. Do you run often?") in pairs  # most overlapping first
    v = faithfulness.judge([r], ctx, CriticConfig(max_nli_pairs=5))[0]
    assert v.passed and "5 of 20" in v.reason


def test_toxicity_with_the_real_scorer():
    from synthetic_persona_chat.models import load_toxicity_scorer

    ctx = Ctx(tox=load_toxicity_scorer("profanity-check"))
    toxic = GOOD.replace("That sounds rewarding.", "Shut up, you stupid worthless idiot, fuck off.")
    v = toxicity.judge([row(GOOD), row(toxic)], ctx, CriticConfig())
    assert v[0].passed and not v[1].passed and "idiot" in v[1].reason


@pytest.mark.parametrize("answer,n,expected", [
    ("B", 2, 1), ("A", 2, 0), ("Conversation B.", 3, 1), ("**C**", 3, 2), ("(b)", 2, 1), ("b", 2, 1),
    ("Answer: A", 2, 0), ("2", 2, 1), ("The best is conversation A because", 2, 0),
    ("I think both are good", 2, None), ("", 2, None), ("C", 2, None), ("a conversation", 2, None),
])
def test_parse_choice(answer, n, expected):
    assert quality.parse_choice(answer, n) == expected


def test_majority_vote_and_deterministic_ties():
    v = lambda c: Verdict("q", choice=c)  # noqa: E731
    assert quality.majority([v(2), v(2), v(0)], [0, 2])[0] == 2
    winner, votes, reason = quality.majority([v(2), v(0)], [0, 2])
    assert winner == 0 and "tie" in reason
    assert quality.majority([v(2), v(0)], [0, 2])[0] == quality.majority([v(0), v(2)], [0, 2])[0]
    assert quality.majority([v(None), v(None)], [1, 2])[0] == 1


def test_quality_experts_vote_and_unparsable_answers_are_recorded():
    answers = {"depth": "B", "coherency": "Conversation B", "consistency": "A", "diversity": "???",
               "likability": "b"}

    def expert(chat, i):
        return next(a for q, a in answers.items() if f"Question about {q}:" in chat[-1]["content"])

    llm = ScriptedLLM(expert)
    rows = [{**r, "verdicts": [], "passed": True} for r in (row(GOOD, 0), row(GOOD, 1), row(GOOD, 2))]
    rows[1]["passed"] = False  # survivors: 0 and 2 -> labels A, B
    out = select_batch(rows, Ctx(llm=llm), CriticConfig(experts=["quality"]))
    assert [r["selected"] for r in out] == [False, False, True]  # B (candidate 2): 3 votes to 1
    assert {r["candidate_index"]: r["votes"] for r in out} == {0: 1, 1: 0, 2: 3}
    assert out[0]["verdicts"][-1]["expert"] == "vote" and out[0]["verdicts"][-1]["choice"] == 2
    div = next(v for v in out[0]["verdicts"] if v["expert"] == "quality:diversity")
    assert div["choice"] is None and "unparsable" in div["reason"]
    assert len(llm.prompts) == 5


def test_quality_tie_goes_to_the_lowest_candidate_index():
    answers = iter(["B", "A", "B", "A"] * 2)
    llm = ScriptedLLM(lambda c, i: next(answers))
    rows = [{**row(GOOD, i), "verdicts": [], "passed": True} for i in (0, 1)]
    cfg = CriticConfig(qualities=["depth", "coherency", "consistency", "likability"])
    out = select_batch(rows, Ctx(llm=llm), cfg)
    assert [r["selected"] for r in out] == [True, False] and "tie" in out[0]["verdicts"][-1]["reason"]


def test_single_survivor_needs_no_llm_and_no_survivor_no_winner():
    llm = ScriptedLLM(lambda c, i: "A")
    rows = [{**row(GOOD, i, job="x"), "verdicts": [], "passed": i == 1} for i in range(2)]
    rows += [{**row(GOOD, i, job="y"), "verdicts": [], "passed": False} for i in range(2)]
    out = select_batch(rows, Ctx(llm=llm), CriticConfig())
    assert [r["selected"] for r in out] == [False, True, False, False]
    assert not llm.prompts


def test_critic_batch_records_parse_errors_and_stops_at_first_rejection():
    from synthetic_persona_chat.models import load_toxicity_scorer

    nli_llm = ScriptedLLM(lambda c, i: "yes")
    ctx = Ctx(nli=LLMJudgeNLI(nli_llm), tox=load_toxicity_scorer("profanity-check"))
    rows = [row("no conversation here", 0), row("User 1: Hi.\nUser 2: Hey.", 1), row(GOOD, 2)]
    out = critic_batch(rows, ctx, CriticConfig(max_nli_pairs=2))
    assert [r["passed"] for r in out] == [False, False, True]
    assert [v["expert"] for v in out[0]["verdicts"]] == ["parser"]
    assert [v["expert"] for v in out[1]["verdicts"]] == ["structural"]
    assert [v["expert"] for v in out[2]["verdicts"]] == ["structural", "faithfulness", "toxicity"]
    assert len(nli_llm.prompts) == 2  # only the survivor reached the NLI judge


def test_unknown_expert_and_unknown_quality_are_config_errors():
    with pytest.raises(ConfigError, match="unknown expert.*'fluency'.*known"):
        resolve(["structural", "fluency"])
    with pytest.raises(ConfigError, match="no question"):
        quality.questions(CriticConfig(qualities=["depth", "wit"]))
    assert quality.questions(CriticConfig(qualities=["wit"], quality_questions={"wit": "Which is wittier?"}))
    assert set(EXPERTS) >= {"structural", "faithfulness", "toxicity", "quality"}
