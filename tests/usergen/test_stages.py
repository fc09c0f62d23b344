"""The three stages on a run directory with a scripted LLM and the real MiniLM: resume, no-op, bad input."""

import re
import shutil

import numpy as np
import pytest

from synthetic_persona_chat.checkpoint import Checkpoints
from synthetic_persona_chat.usergen.seeds import SeedFormatError
from synthetic_persona_chat.usergen.stages import run_expand, run_pairs, run_profiles
from synthetic_persona_chat.usergen.profiles import build_profiles
from tests.fakes import ScriptedLLM, task_of

SEEDS = ["I have two dogs.", "My cat is named Tom.", "I love horses.", "I own a parrot.",
         "I work as a nurse.", "I am a pilot.", "I teach math at a high school.", "I am a chef.",
         "I live in Paris.", "I grew up in a small town.", "I moved to Canada last year.",
         "I play the guitar.", "I love jazz music.", "I sing in a choir.", "", "I have two dogs"]

NEW = {"pet": ["I have a hamster.", "I walk my neighbour's dog.", "I have two dogs!"],
       "job": ["I am a firefighter.", "I work as an accountant.", "1. I am a pilot."],
       "home": ["I live near the sea.", "I was born in Brazil.", "Here are some:"],
       "music": ["I play the drums.", "I listen to opera.", "???"]}


def contradiction_judge(text):
    return "No" if "never" in text else "Yes"


def query_induction(text):
    return "What do you like?" if "jazz" in text else "Which topic is this?"


def attribute_bootstrap(text):
    m = re.search(r"answers people gave about themselves:\n(.*?)\n\n", text, re.S)
    examples = m.group(1) if m else ""
    topic = ("pet" if re.search(r"dog|cat|horse|parrot|hamster", examples) else
             "job" if re.search(r"nurse|pilot|teach|chef|firefighter|accountant", examples) else
             "music" if re.search(r"guitar|jazz|choir|drum|opera", examples) else "home")
    round_no = text.count("\n")  # vary a little between prompts
    return "\n".join(NEW[topic]) + f"\nI collect item number {round_no} of {topic}s." if topic != "home" else \
        "\n".join(NEW[topic])


ANSWERS = {f.__name__: f for f in (contradiction_judge, query_induction, attribute_bootstrap)}


def respond(chat, i):
    """Answers by the task that rendered the prompt (tests.fakes.task_of), not by the prompt's words."""
    return ANSWERS[task_of(chat)](chat[-1]["content"])


OVERRIDES = ["expand.rounds=2", "expand.k=3", "expand.distance_threshold=0.75", "profiles.num_users=6",
             "profiles.profile_size=3", "profiles.chunk_size=4", "pairs.min_shared=1"]


def test_expand_profiles_pairs_and_noop(tmp_path, minilm, make_context):
    llm = ScriptedLLM(respond)
    ctx = make_context(tmp_path / "run", llm, minilm, OVERRIDES)
    summary = run_expand(ctx, seeds=SEEDS)
    assert summary["seed_attributes"] == 14 and summary["seed_lines_skipped"] == 2
    assert summary["attributes"] > 14
    attrs = ctx.run.read_records("expand", "attributes")
    assert len({a["id"] for a in attrs}) == len(attrs)
    gen = [a for a in attrs if a["origin"] == "generated"]
    assert gen and all(a["round"] in (1, 2) and a["query"] for a in gen)
    assert "I have two dogs!" not in {a["text"] for a in attrs}  # duplicate of a seed
    assert summary["drops"]["duplicate"] >= 1 and summary["drops"]["preamble"] >= 1
    cats = ctx.run.read_records("expand", "categories")
    assert sum(c["size"] for c in cats) == len(attrs) and sum(c["seed_size"] for c in cats) == 14
    report = ctx.run.read_json("expand/report.json")
    assert report["expanded"]["attributes"] == len(attrs)
    assert report["expanded"]["mean_length_words"] == pytest.approx(
        np.mean([len(a["text"].split()) for a in attrs]), abs=1e-3)
    assert (tmp_path / "run/prompts/usergen_bootstrap.j2").exists()
    calls = llm.usage.calls
    assert run_expand(ctx, seeds=SEEDS) == ctx.run.stage_summary("expand") and llm.usage.calls == calls

    prof = run_profiles(ctx)
    assert prof["checker"]["kind"] == "minilm-polarity" and prof["profiles"] >= 1
    for p in ctx.run.read_records("profiles", "profiles"):
        assert len(set(p["categories"])) == len(p["categories"]) >= 3
        assert sum("never" in a for a in p["attributes"]) <= 1

    pairs = run_pairs(ctx)
    rows = ctx.run.read_records("pairs", "pairs")
    assert pairs["pairs"] == len(rows)
    assert all(r["similarity"] >= 1 for r in rows)


def test_resume_after_interrupted_round(tmp_path, minilm, make_context):
    state = {"fail": True}
    # The LLM judge as contradiction checker, so the profiles part shows its answers coming from the cache.
    JUDGED = [*OVERRIDES, "models.nli=llm-judge"]

    # Round 2 is interrupted: simulate by failing on the first prompt of round 2.
    seen_prompts = []

    def counting(chat, i):
        seen_prompts.append(chat[-1]["content"])
        if state["fail"] and len([p for p in seen_prompts if p.startswith("Question:")]) > 3:
            raise KeyboardInterrupt
        return respond(chat, i)

    first = ScriptedLLM(counting)
    ctx = make_context(tmp_path / "run", first, minilm, JUDGED)
    with pytest.raises(KeyboardInterrupt):
        run_expand(ctx, seeds=SEEDS)
    rounds = Checkpoints(tmp_path / "run" / "expand" / "rounds")
    assert rounds.done("round_001") and not rounds.done("round_002")
    round1 = rounds.read("round_001").tables["attributes"]
    n1 = rounds.read("round_001").values["info"]["prompts"]
    assert 0 < n1 < 4
    round1_prompts = [p for p in seen_prompts if p.startswith("Question:")][:n1]
    state["fail"] = False

    second = ScriptedLLM(respond)
    ctx2 = make_context(tmp_path / "run", second, minilm, JUDGED)
    summary = run_expand(ctx2, seeds=SEEDS)
    asked = [c[-1]["content"] for c in second.prompts]
    assert not any(p in asked for p in round1_prompts)  # round 1 comes from its checkpoint
    assert not any(p.startswith("Here are facts") for p in asked)  # queries too
    attrs = ctx2.run.read_records("expand", "attributes")
    assert len({a["text"] for a in attrs}) == len(attrs) == summary["attributes"]
    assert [a for a in attrs if a["round"] == 1] == round1
    # Deleting _done.json and rerunning rebuilds the outputs from checkpoints without any LLM call.
    (tmp_path / "run/expand/_done.json").unlink()
    third = ScriptedLLM(respond)
    ctx3 = make_context(tmp_path / "run", third, minilm, JUDGED)
    assert run_expand(ctx3, seeds=SEEDS)["attributes"] == summary["attributes"]
    assert third.usage.calls == 0 and ctx3.llm.usage.calls == 0

    # Profiles: a finished chunk is not rebuilt; the judge's answers come from the cache.
    run_profiles(ctx3)
    judge_calls = ctx3.llm.usage.calls
    (tmp_path / "run/profiles/_done.json").unlink()
    shutil.rmtree(tmp_path / "run/profiles/chunks/chunk_00001")
    before = ctx3.run.read_records("profiles", "profiles")
    ctx4 = make_context(tmp_path / "run", ScriptedLLM(respond), minilm, JUDGED)
    run_profiles(ctx4)
    assert ctx4.llm.usage.calls == 0
    assert ctx4.run.read_records("profiles", "profiles") == before
    assert judge_calls > 0


def test_bad_input_and_silent_model(tmp_path, minilm, make_context):
    ctx = make_context(tmp_path / "a", ScriptedLLM(respond), minilm, OVERRIDES)
    with pytest.raises(SeedFormatError, match="no seed attributes"):
        run_expand(ctx)
    with pytest.raises(SeedFormatError, match="no usable seed attribute"):
        run_expand(ctx, seeds=["", "  ", "%%%"])
    silent = make_context(tmp_path / "b", ScriptedLLM(lambda chat, i: ""), minilm, OVERRIDES)
    with pytest.raises(RuntimeError, match="returned nothing"):
        run_expand(silent, seeds=SEEDS)
    # Chatter instead of sentences: every line counted, the stage finishes, queries fall back.
    chatty = make_context(tmp_path / "c", ScriptedLLM(lambda chat, i: "Sure!\n1.\n- ???\nOK:"), minilm, OVERRIDES)
    summary = run_expand(chatty, seeds=SEEDS)
    assert summary["attributes"] == 14 and sum(summary["drops"].values()) > 0
    assert all(q["source"] == "fallback" for q in chatty.run.read_records("expand", "queries"))


def test_build_profiles_rejects_redundant_and_contradicting():
    texts = ["I have a dog.", "I have a dog!", "I never had a pet.", "I am a nurse.", "I live in Rome.",
             "I like tea."]
    cats = [0, 1, 2, 3, 4, 5]
    vecs = np.eye(6, dtype=np.float32)
    vecs[1] = vecs[0]  # "I have a dog!" is redundant with "I have a dog."

    def scores(premises, hyps):
        return np.array([1.0 if ("never" in p) != ("never" in h) and "pet" + "dog" else 0.0
                         for p, h in zip(premises, hyps)]) * np.array(
            [1.0 if ("dog" in p + h and "never" in p + h) else 0.0 for p, h in zip(premises, hyps)])

    out = build_profiles(texts, cats, vecs, list(range(20)), scores, seed=1, profile_size=4, min_size=3)
    again = build_profiles(texts, cats, vecs, list(range(20)), scores, seed=1, profile_size=4, min_size=3)
    assert out == again
    reasons = {r["reason"] for r in out["rejections"]}
    assert reasons == {"redundant", "contradiction"}
    for p in out["profiles"]:
        a = set(p["attributes"])
        assert not ({"I have a dog.", "I have a dog!"} <= a)
        assert not (("I never had a pet." in a) and ({"I have a dog.", "I have a dog!"} & a))
        assert len(set(p["categories"])) == len(p["categories"])
    some = build_profiles(texts, cats, vecs, [3, 4], scores, seed=1, profile_size=4, min_size=3)
    assert some["profiles"] == [p for p in out["profiles"] if p["user"] in (3, 4)]  # batch-independent
