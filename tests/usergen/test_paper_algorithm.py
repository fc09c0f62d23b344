"""The paper's expansion and profile algorithm (`expand.algorithm: paper`, `profiles.consistency: negation`).

Each step with a scripted LLM asserting the procedure: counts, what each prompt shows, one answer per
prompt, failures recorded with reasons, negation checked both ways; then the stage over a run directory.
"""

import random
import re

import numpy as np
import pytest

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.models.llm import GenerationParams
from synthetic_persona_chat.usergen.config import ExpandConfig
from synthetic_persona_chat.usergen.negation import Negations, both_ways, implied_scores
from synthetic_persona_chat.usergen.persona_bootstrap import persona_batch, persona_requests, random_persona
from synthetic_persona_chat.usergen.profiles import build_profiles
from synthetic_persona_chat.usergen.query_bootstrap import bootstrap_queries
from synthetic_persona_chat.usergen.seeds import LineRules
from synthetic_persona_chat.usergen.stages import run_expand, run_profiles
from tests.fakes import ScriptedLLM

RULES = LineRules(2, 30, 300)
TOPICS = ["What is your favourite food?", "Where did you grow up?", "Do you have any pets?",
          "What sport do you play?", "What music do you like?", "How many siblings do you have?"]


def _prompt(chat):
    return chat[-1]["content"]


def _shown(prompt):
    return re.findall(r"^- (.*)$", prompt, re.M)


def test_query_bootstrapping_counts_samples_and_records_every_failure(minilm):
    answers = iter([TOPICS[0], "Sure!", "What do you do for a living?", TOPICS[1], "What is your favorite food?",
                    *TOPICS[2:], *["no question"] * 10])
    llm = ScriptedLLM(lambda chat, i: next(answers))
    bank = ["What do you do for a living?", "Which city do you live in?", "What is your hobby?"]
    params = GenerationParams(temperature=0.7, top_k=40, seed=3)
    out = bootstrap_queries(bank, llm, params, minilm.encode, steps=10, shots=2, threshold=0.9, seed=0, batch=4)
    assert len(llm.prompts) == 10  # one prompt per step
    assert [len(_shown(_prompt(c))) for c in llm.prompts] == [2] * 10  # `shots` bank questions each
    assert all(set(_shown(_prompt(c))) <= set(bank) | set(TOPICS) for c in llm.prompts)
    assert [q.query for q in out.added] == TOPICS[:6]
    assert len(out.added) + len(out.failures) == 10  # every step either adds or is a recorded failure
    reasons = dict(out.failures)
    assert reasons[1] == "no question in the output"
    assert reasons[2] in ("repeats a question of the bank", "copied the prompt's example question")  # as shown
    assert reasons[4].startswith("near-duplicate of a bank question")  # favorite ~ favourite
    assert bank == ["What do you do for a living?", "Which city do you live in?", "What is your hobby?"]
    again = bootstrap_queries(bank, ScriptedLLM(lambda c, i: "x"), params, minilm.encode, 10, 2, 0.9, 0, batch=4)
    assert again.added == [] and len(again.failures) == 10


def test_query_bootstrapping_stops_at_the_bank_size():
    llm = ScriptedLLM(lambda chat, i: f"Question number {len(llm.prompts)}, what is it?")
    index: dict[str, int] = {}  # distinct questions: orthogonal (hash(t) % 64 collided in ~5% of processes)
    embed = lambda texts: np.eye(64)[[index.setdefault(t, len(index)) for t in texts]]
    out = bootstrap_queries(["What is your job?"], llm, GenerationParams(), embed, steps=20, shots=3,
                            threshold=0.9, seed=0, max_queries=3, batch=1)
    assert len(out.added) == 2 and len(llm.prompts) == 2 and "max_queries=3" in out.stopped


def test_random_personas_and_one_answer_per_prompt():
    pool = [{"text": f"I like thing {i}.", "category": i % 7} for i in range(40)]
    persona = random_persona(pool, 5, random.Random(1))
    assert len(persona) == 5 and len({int(t.split()[-1][:-1]) % 7 for t in persona}) == 5  # distinct categories
    prompts = persona_requests(pool, {0: "What do you eat?", 3: "Where do you live?"}, 5, round_no=2, seed=0)
    assert [(p.category, p.round, len(p.persona)) for p in prompts] == [(0, 2, 5), (3, 2, 5)]
    assert persona_requests(pool, {0: "q?"}, 5, 2, 0)[0].persona == prompts[0].persona  # seeded
    assert persona_requests(pool, {0: "q?"}, 5, 3, 0)[0].persona != prompts[0].persona  # new round, new persona
    llm = ScriptedLLM(lambda chat, i: "I eat rice every day.\nI live in Rome." if "eat" in _prompt(chat) else
                      _shown(_prompt(chat))[0])
    rows = persona_batch(prompts, llm, GenerationParams(n=1), RULES)
    assert rows[0]["candidates"] == ["I eat rice every day."] and rows[0]["drops"] == {"extra_answer": 1}
    assert rows[1]["candidates"] == [] and rows[1]["drops"] == {"prompt_echo": 1}  # a persona line echoed
    assert all("Question: " in _prompt(c) and len(_shown(_prompt(c))) == 5 for c in llm.prompts)
    with pytest.raises(ValueError, match="one answer per prompt"):
        persona_batch(prompts, llm, GenerationParams(n=2), RULES)


def test_negation_is_written_once_and_checked_both_ways():
    calls = []

    def scores(premises, hypotheses):
        calls.append((list(premises), list(hypotheses)))
        return np.array([0.9 if (p, h) == ("I have no pets.", "I own a dog.") or
                         (p, h) == ("I do not work in a hospital.", "I am a nurse.") else 0.1
                         for p, h in zip(premises, hypotheses)])

    assert both_ways(scores, ["I own a dog."], ["I have no pets."]).tolist() == [0.9]  # found in reverse only
    assert calls[-1] == (["I own a dog.", "I have no pets."], ["I have no pets.", "I own a dog."])
    negs = {"I work in a hospital.": "I do not work in a hospital.", "I like tea.": "Sure!"}
    llm = ScriptedLLM(lambda chat, i: negs[re.search(r"Sentence: (.*)", _prompt(chat)).group(1)])
    negations = Negations(llm, GenerationParams(), RULES)
    implied = implied_scores(scores, negations)
    got = implied(["I am a nurse.", "I am a nurse.", "I am a nurse."],
                  ["I work in a hospital.", "I like tea.", "I work in a hospital."])
    assert got.tolist() == [0.9, 0.0, 0.9]  # the nurse implies the hospital: their negation contradicts
    assert len(llm.prompts) == 2  # one negation per distinct candidate, cached
    assert negations.known["I like tea."] is None and sum(negations.failures.values()) == 1
    implied(["I am a nurse."], ["I work in a hospital."])
    assert len(llm.prompts) == 2


def test_profiles_reject_implied_candidates_with_their_reason():
    texts = ["I am a nurse.", "I work in a hospital.", "I like tea.", "I play chess."]
    cats, vecs = [0, 1, 2, 3], np.eye(4)
    none = lambda p, h: np.zeros(len(p))
    implied = lambda p, h: np.array([0.9 if {a, b} == {"I am a nurse.", "I work in a hospital."} else 0.0
                                     for a, b in zip(p, h)])
    out = build_profiles(texts, cats, vecs, [0, 1, 2], none, profile_size=3, min_size=2, max_tries=40,
                         implied=implied)
    for prof in out["profiles"]:
        assert not {"I am a nurse.", "I work in a hospital."} <= set(prof["attributes"])
    assert {r["reason"] for r in out["rejections"]} == {"implied"}


def test_algorithm_names_are_checked():
    with pytest.raises(ConfigError, match="expand.algorithm"):
        ExpandConfig(algorithm="papr")


SEEDS = ["I have two dogs.", "My cat is named Tom.", "I love horses.", "I work as a nurse.", "I am a pilot.",
         "I teach math at a high school.", "I live in Paris.", "I grew up in a small town.", "I play the guitar.",
         "I love jazz music.", "I sing in a choir.", "I am a chef."]


def respond(chat, i):
    text = _prompt(chat)
    if text.startswith("Here are facts"):  # query induction: a copy of the example question is a failure
        return "What do you do for a living?" if re.search("nurse|pilot|chef|teach", text) else \
            "Which pets do you have?" if re.search("dogs|cat|horses", text) else "Where do you live?"
    if text.startswith("Here are questions"):  # query bootstrapping
        return ["What is your favourite food?", "Do you have siblings?", "Which sport do you play?"][len(
            [p for p in llm_prompts if p.startswith("Here are questions")]) % 3]
    if text.startswith("Write the negation"):
        return "It is not true that " + re.search(r"Sentence: (.*)", text).group(1)
    m = re.search(r"Question: (.*)", text)
    n = len(llm_prompts)
    return f"My answer {n} to {m.group(1).split()[-1].strip('?')} is number {n}."


llm_prompts: list = []


def test_paper_expand_and_profiles_stage(tmp_path, minilm, make_context):
    llm_prompts.clear()
    llm = ScriptedLLM(lambda c, i: (llm_prompts.append(_prompt(c)), respond(c, i))[1])
    ctx = make_context(tmp_path / "run", llm, minilm, [
        "expand.algorithm=paper", "expand.distance_threshold=0.75", "expand.query_examples=3",
        "expand.query_steps=3", "expand.rounds=5", "expand.max_attributes=24", "profiles.num_users=3",
        "profiles.profile_size=3", "profiles.min_size=2", "profiles.consistency=negation"])
    summary = run_expand(ctx, seeds=SEEDS)
    assert summary["algorithm"] == "paper"
    queries = ctx.run.read_records("expand", "queries")
    failed = [q for q in queries if q["source"] == "failed"]
    assert failed and all(q["query"] is None for q in failed)  # no fallback query
    skips = [s for s in ctx.run.skips("expand") if s["locator"].startswith("category")]
    assert len(skips) == len(failed) and all("copied the prompt's example question" in s["reason"] for s in skips)
    assert all(len(q["examples"]) <= 3 for q in queries)
    boot = [q for q in queries if q["source"] == "bootstrap"]
    step_skips = [s for s in ctx.run.skips("expand") if s["locator"].startswith("query bootstrap step")]
    assert boot and len(boot) + len(step_skips) == 3  # each of the 3 steps adds a query or is a recorded skip
    assert {q["category"] for q in boot}.isdisjoint({q["category"] for q in queries
                                                                        if q["source"] != "bootstrap"})
    assert summary["attributes"] == 24  # the target size, reached and not passed
    gen = [a for a in ctx.run.read_records("expand", "attributes") if a["origin"] == "generated"]
    assert {a["category"] for a in gen} & {q["category"] for q in boot}  # new categories got members
    persona_prompts = [p for p in llm_prompts if p.startswith("Here is what a person says")]
    assert persona_prompts and all(len(_shown(p)) == 5 for p in persona_prompts)
    assert (tmp_path / "run/prompts/usergen_persona_bootstrap.j2").exists()

    prof = run_profiles(ctx)
    assert prof["consistency"] == "negation" and prof["profiles"] >= 1
    assert any(p.startswith("Write the negation") for p in llm_prompts)


def test_the_paper_presets_estimate_counts_the_papers_prompts():
    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.generation.commands import load_preset
    from synthetic_persona_chat.generation.estimate import estimate

    config = load_config(None, ["models.llm=openai:m@http://127.0.0.1:9/v1", "expand.max_attributes=700",
                                "profiles.num_users=10"], base=load_preset("paper"))
    roles = {line["role"]: line for line in estimate(config)["lines"]}
    assert roles["query bootstrapping"]["calls"] == 100  # expand.query_steps
    assert 0 < roles["bootstrapping"]["calls"] < 700 and roles["bootstrapping"]["calls"] == roles["bootstrapping"]["requests"]  # to the target, one answer each
    assert roles["profile negations"]["calls"] == 10 * 5
