"""Each Critic expert with a scripted LLM, the real toxicity scorer, votes and the expert registry."""

import json
import re
from collections import Counter

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
    # (4 + 4 turns) less the opening question ("Hi! How are you doing today?" asserts nothing) × 1 attribute
    # each, × 2 candidates: one call for the batch
    assert batches == [14]


def test_faithfulness_cap_is_recorded():
    ctx = Ctx(nli=LLMJudgeNLI(ScriptedLLM(lambda c, i: "yes")))
    r = row(p1=("I like running.", "I have a cat.", "I live in Ohio."), p2=("I teach history.", "I am tall."))
    pairs, total = faithfulness.candidate_pairs(r, 5)
    assert total == 4 * 3 + 4 * 2 and len(pairs) == 5
    assert ("I like running.", "Nice, I love running too.") in pairs  # most overlapping first, its question cut off
    v = faithfulness.judge([r], ctx, CriticConfig(max_nli_pairs=5))[0]
    assert v.passed and "5 of 20" in v.reason


def test_faithfulness_skips_questions_and_remarks_to_the_partner():
    """SPC's false alarms: "Oh, you're not vegan?" was read as the vegan speaker denying it."""
    text = ("User 1: Oh, you're not vegan?\nUser 2: No, I eat meat.\nUser 1: You don't have to be vegan to "
            "eat well.\nUser 2: True.\nUser 1: I'm not vegan at all, I love steak.\nUser 2: Nice.\n")
    r = row(text, p1=("I am vegan.",), p2=("I like steak.",))
    pairs, total = faithfulness.candidate_pairs(r, 0)
    assert total == 6 and [h for _, h in pairs if _ == "I am vegan."] == ["I'm not vegan at all, I love steak."]
    seen = []
    ctx = Ctx(nli=LLMJudgeNLI(ScriptedLLM(lambda c, i: seen.append(c[-1]["content"]) or "yes")))
    v = faithfulness.judge([r], ctx, CriticConfig())[0]
    assert not any("you're not vegan" in s or "have to be vegan" in s for s in seen)
    assert "4 of 6" in v.reason and "questions and remarks to the partner" in v.reason


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


def test_majority_vote_and_seeded_ties():
    v = lambda c: Verdict("q", choice=c)  # noqa: E731
    assert quality.majority([v(2), v(2), v(0)], [0, 2])[0] == 2
    winner, votes, reason = quality.majority([v(2), v(0)], [0, 2], key="0:job")
    assert "tie" in reason and "seeded draw" in reason
    assert quality.majority([v(0), v(2)], [0, 2], key="0:job")[0] == winner  # order of the picks is irrelevant
    # ties are drawn, not given to the lowest index: over many jobs both candidates win some
    assert {quality.majority([v(2), v(0)], [0, 2], key=f"0:j{i}")[0] for i in range(20)} == {0, 2}
    assert {quality.majority([v(None)], [1, 2], key=f"0:j{i}")[0] for i in range(20)} == {1, 2}
    comparison = Verdict("q", choice=1, compared=[0, 1], consistent=True)
    assert quality.majority([comparison, v(0)], [0, 1])[0] == 0  # a comparison is not a pick


def marked_judge(biased=()):
    """Prefers the conversation saying "MARK" in either slot; the `biased` qualities always answer "A"."""

    def respond(chat, i):
        content = chat[-1]["content"]
        q = re.search(r"Question about (\w+):", content).group(1)
        if q in biased:
            return "A"
        a, b = content.split("Conversation B:")
        return "A" if "MARK" in a else "B"
    return ScriptedLLM(respond)


def candidates(n, marked, job="j"):
    text = GOOD.replace("That sounds rewarding.", "That sounds rewarding. MARK")
    return [{**row(text if i == marked else GOOD, i, job=job), "verdicts": [], "passed": True} for i in range(n)]


def test_quality_votes_count_only_when_both_orders_agree():
    llm = marked_judge(biased=("depth", "diversity"))
    out = select_batch(candidates(3, marked=2), Ctx(llm=llm), CriticConfig(experts=["quality"]))
    assert [r["selected"] for r in out] == [False, False, True]
    assert len(llm.prompts) == 3 * 2 * 5  # 3 comparisons, both orders, 5 qualities: one call
    verdicts = [Verdict.from_row(v) for v in out[0]["verdicts"]]
    assert verdicts == [Verdict.from_row(v) for v in out[2]["verdicts"]]  # every candidate carries them
    comparisons = [v for v in verdicts if v.compared is not None]
    assert len(comparisons) == 15 and all(v.compared in ([0, 1], [0, 2], [1, 2]) for v in comparisons)
    biased = [v for v in comparisons if v.expert in ("quality:depth", "quality:diversity")]
    assert all(not v.consistent and v.choice is None and "disagree" in v.reason for v in biased)
    fair = [v for v in comparisons if v not in biased and 2 in v.compared]
    assert all(v.consistent and v.choice == 2 for v in fair)
    picks = {v.expert: v.choice for v in verdicts if v.compared is None and v.expert.startswith("quality:")}
    assert picks["quality:depth"] is None and picks["quality:coherency"] == 2
    rates = quality.position_consistency(verdicts)
    assert rates["quality:depth"] == {"comparisons": 3, "consistent": 0, "rate": 0.0}
    assert rates["quality:coherency"]["comparisons"] == 3
    assert {r["candidate_index"]: r["votes"] for r in out}[2] == 3


def test_quality_position_bias_alone_never_picks_the_first_candidate():
    """A judge that always answers "A" used to elect candidate 0 every time; now it elects nobody."""
    wins = Counter()
    for j in range(12):
        llm = ScriptedLLM(lambda c, i: "A")
        out = select_batch(candidates(3, marked=-1, job=f"job{j}"), Ctx(llm=llm), CriticConfig(experts=["quality"]))
        wins[next(r["candidate_index"] for r in out if r["selected"])] += 1
        assert "seeded draw" in out[0]["verdicts"][-1]["reason"]
    assert len(wins) > 1


def test_unparsable_quality_answers_are_recorded_and_do_not_vote():
    llm = ScriptedLLM(lambda c, i: "???")
    out = select_batch(candidates(2, marked=1), Ctx(llm=llm), CriticConfig(experts=["quality"], qualities=["depth"]))
    comp = next(Verdict.from_row(v) for v in out[0]["verdicts"] if v["compared"] is not None)
    assert comp.choice is None and comp.consistent is False and "unparsable" in comp.reason


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


def test_structural_rejects_the_degenerate_winner_seen_in_the_tiny_run():
    """Turns 1, 2, 1, 1, 2, ... and one line eight times used to pass as "12 alternating turns"."""
    lines = ["User 1: Are you going to the concert?", "User 2: Yes, I'm going with my sister.",
             "User 1: I'm so glad you're going too.", "User 1: I'm so glad you're going too."]
    lines += [f"User {1 + i % 2}: I'm so glad you're going too." for i in range(8)]
    v = structural.judge([row("\n".join(lines) + "\n")], None, CriticConfig(min_turns=2))[0]
    assert v.passed is False and "do not alternate" in v.reason and "repeated utterance" in v.reason


@pytest.mark.parametrize("lines,why", [
    (["Do you like dogs?", "I love dogs, I have two.", "Me too!", "What are their names?", "Me too!",
      "Rex and Max.", "Me too!", "Do you have pets?", "Me too!", "Nice."], "repeated utterance"),
    (["I work as a nurse at the city hospital.", "I work as a nurse at the city hospital.",
      "Really? Which ward?", "Really? Which ward?", "The children's ward, I love it.",
      "The children's ward, I love it.", "Cool.", "Yes."], "copied from the partner"),
])
def test_structural_degeneracy(lines, why):
    turns = [{"speaker": f"user {1 + i % 2}", "text": t} for i, t in enumerate(lines)]
    v = structural.check(turns, CriticConfig())
    assert v.passed is False and why in v.reason


def test_structural_low_distinct_2():
    turns = [{"speaker": f"user {1 + i % 2}", "text": t} for i, t in enumerate(
        ["yes yes yes yes yes", "no no no no no", "yes yes yes no", "no no yes yes", "yes no yes no", "no yes no"])]
    v = structural.check(turns, CriticConfig(max_repeated_utterances=99))
    assert v.passed is False and "distinct-2" in v.reason


def test_structural_keeps_almost_all_released_spc_conversations_without_placeholders():
    convs, _ = read_spc_csv(SPC_VALID)
    clean = [c for c in convs if not any(placeholders(t.text) for t in c.turns)]
    verdicts = [structural.check([{"speaker": t.speaker, "text": t.text} for t in c.turns], CriticConfig())
                for c in clean]
    kept = sum(v.passed for v in verdicts) / len(verdicts)
    # measured 94.3%: the release itself has some non-alternating and looping conversations
    assert kept >= 0.9, [v.reason for v in verdicts if not v.passed][:5]


def test_verdict_rows_round_trip_through_the_candidate_parquet_schema(tmp_path):
    import pyarrow as pa

    from synthetic_persona_chat.generation.engine import CANDIDATE_SCHEMA

    assert CANDIDATE_SCHEMA.field("verdicts").type == pa.list_(Verdict.arrow_type())
    assert set(Verdict.arrow_type().names) == {"expert", "passed", "choice", "reason", "score", "compared",
                                                "consistent"}
    v = Verdict("quality:depth", choice=2, compared=[0, 2], consistent=True, reason="both orders chose 2")
    table = pa.Table.from_pylist([{"verdicts": [v.to_row()]}], schema=pa.schema([CANDIDATE_SCHEMA.field("verdicts")]))
    assert Verdict.from_row(table.to_pylist()[0]["verdicts"][0]) == v
    old = {"expert": "structural", "passed": True, "choice": None, "reason": "8 alternating turns"}  # older runs
    assert Verdict.from_row(old) == Verdict("structural", passed=True, reason="8 alternating turns")


def test_every_preset_enforces_alternation_and_checks_every_pair():
    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.generation.commands import load_preset, preset_names
    from synthetic_persona_chat.generation.config import critic_config

    for name in preset_names():
        cfg = critic_config(load_config(None, base=load_preset(name)))
        assert cfg.max_alternation_errors == 0 and cfg.max_nli_pairs == 0, name
        assert cfg.contradiction_threshold is None, name  # the checker's calibrated threshold


def test_run_summary_and_eval_report_show_position_consistency(tmp_path):
    """A judge that always answers "B" (tests.generation.helpers.scripted) is position-biased: rate 0."""
    from synthetic_persona_chat.eval.report import render_report
    from synthetic_persona_chat.generation.iterate import run_conversations

    from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs

    pairs = write_pairs(tmp_path / "pairs.jsonl", spc_pairs(2))
    data = config_dict(pairs, iterations=1, candidates=2)
    data["critic"].update(experts=["structural", "quality"], qualities=["depth"])
    summary = run_conversations(make_ctx(tmp_path, data, scripted()))
    assert summary["position_consistency"] == {"quality:depth": {"comparisons": 2, "consistent": 0, "rate": 0.0}}
    out = tmp_path / "eval"
    out.mkdir()
    (out / "quality.json").write_text(json.dumps({"datasets": {"mine": {"not_run": "x", "source": str(tmp_path / "run")}}}))
    render_report(out)
    # rate 0 of 2 comparisons, with its Wilson interval and a sample-size flag
    assert re.search(r"\| mine \| quality:depth \| 0\.000 \[0\.000, 0\.\d+\] ⚠[^|]*\| 0/2 \|",
                     (out / "report.md").read_text())
