"""Turn-level generation (generator.mode: turns): alternation and length bounds by construction, repair of
bad turns, the mode resolved and recorded, the paper's few-shot shape, on scripted models and a real HTTP server."""

from __future__ import annotations

from collections import Counter

import pytest

from synthetic_persona_chat.config import ConfigError, load_config
from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.modes import GeneratorConfig, generator_config, resolve_mode
from synthetic_persona_chat.readers import read_records
from synthetic_persona_chat.text import placeholders
from tests.fakes import ScriptedLLM

from .fake_openai import FakeOpenAI
from .helpers import config_dict, make_ctx, spc_pairs, write_pairs


def turn_data(tmp_path, **generator):
    data = config_dict(write_pairs(tmp_path / "pairs.jsonl", spc_pairs(3)), iterations=1, candidates=2,
                       min_turns=4, max_turns=7)
    data["generator"] = {"mode": "turns", **generator}
    data["critic"]["experts"] = ["structural"]
    return data


def candidates(ctx):
    rows, _ = read_records(ctx.run.path / "conversations" / "candidates.parquet", dict)
    return rows


def alternates_within(rows, low, high):
    for r in rows:
        speakers = [t["speaker"] for t in r["turns"]]
        assert speakers == [("user 1", "user 2")[i % 2] for i in range(len(speakers))], speakers
        assert low <= len(speakers) <= high, len(speakers)


def test_turns_alternate_within_bounds_whatever_the_model_writes(tmp_path):
    """The model answers with several lines, the wrong speaker tag and trailing chatter: each turn keeps
    only its first line, the loop decides the speaker, the drawn length holds."""
    asked = Counter()

    def respond(chat, i):
        asked[chat[-1]["content"]] += 1
        line = f"Line {sum(asked.values())} from someone who likes reading books."
        return f"User 2: {line}\nUser 1: and now I talk for the partner.\nHope this helps!"

    ctx = make_ctx(tmp_path, turn_data(tmp_path), ScriptedLLM(respond))
    summary = run_conversations(ctx)
    rows = candidates(ctx)
    assert len(rows) == 6 and summary["generator_mode"] == "turns"
    alternates_within(rows, 4, 7)
    assert len({len(r["turns"]) for r in rows}) > 1  # lengths are drawn per candidate, not all max_turns
    assert all("partner" not in t["text"] and not t["text"].startswith("User") for r in rows for t in r["turns"])
    reasons = [v["reason"] for r in rows for v in r["verdicts"] if v["expert"] == "structural"]
    assert len(reasons) == 6 and not [x for x in reasons if "alternate" in x or "minimum" in x]


def test_a_bad_turn_is_asked_again_with_another_seed(tmp_path):
    """A template slot or a repeated line is repaired where it appears (the retry has another seed, so
    another cache key); with no retries allowed the turn is kept and the note says why."""
    seeds_seen = []

    class SeedAware(ScriptedLLM):
        def _generate(self, chats, params):
            seeds_seen.append(params.seed)
            return super()._generate(chats, params)

    def respond(chat, i):
        fresh = " ".join(f"w{len(seeds_seen)}x{k}" for k in range(4))  # words never said before
        return "Hi, I'm [User 1's name]." if seeds_seen[-1] == 0 else f"I say {fresh}."

    ctx = make_ctx(tmp_path, turn_data(tmp_path), SeedAware(respond))
    run_conversations(ctx)
    rows = candidates(ctx)
    assert not [t for r in rows for t in r["turns"] if placeholders(t["text"])]
    assert 1 in seeds_seen and not any(r["parse_notes"] for r in rows)

    stuck = make_ctx(tmp_path, turn_data(tmp_path, turn_retries=0), ScriptedLLM(lambda c, i: "Hi [your name]."),
                     run_name="stuck")
    run_conversations(stuck)
    rows = candidates(stuck)
    assert all(any("template slot" in n for n in r["parse_notes"]) for r in rows)
    assert all("structural" in {v["expert"] for v in r["verdicts"]} and not r["passed"] for r in rows)


def test_empty_turns_end_a_conversation_or_reject_it_below_the_minimum(tmp_path):
    def respond(chat, i):
        return "" if "Conversation so far" in chat[-1]["content"] and chat[-1]["content"].count("\nUser") >= 4 \
            else "I like to read books about trains."

    data = turn_data(tmp_path, turn_retries=1, turn_history=4)
    data["generation"].update(min_turns=3, max_turns=8)
    ctx = make_ctx(tmp_path, data, ScriptedLLM(respond))
    run_conversations(ctx)
    rows = candidates(ctx)
    assert rows and all(not r["parse_error"] for r in rows)
    assert any("came back empty" in n for r in rows for n in r["parse_notes"])

    mute = make_ctx(tmp_path, turn_data(tmp_path, turn_retries=1), ScriptedLLM(lambda c, i: "   "), run_name="mute")
    run_conversations(mute)
    assert all(r["parse_error"] == "turn 1 came back empty after 2 tries" for r in candidates(mute))


def test_turns_are_cached_on_their_exact_prompt_and_replayed(tmp_path):
    llm = ScriptedLLM(lambda chat, i: f"I say {len(chat[-1]['content'])} things about my dog.")
    data = turn_data(tmp_path)
    first = make_ctx(tmp_path, data, llm)
    run_conversations(first)
    calls = llm.usage.calls
    again = make_ctx(tmp_path, data, llm, run_name="again")
    again.__dict__["llm"]._store_kv = first.llm._store_kv  # the same answer store: nothing is paid twice
    run_conversations(again)
    assert llm.usage.calls == calls
    assert [r["turns"] for r in candidates(again)] == [r["turns"] for r in candidates(first)]


def test_turn_prompts_hold_the_speakers_persona_focus_and_recent_history(tmp_path):
    llm = ScriptedLLM(lambda chat, i: f"Turn number {len(llm.prompts)} is here.")
    data = turn_data(tmp_path, turn_history=2)
    data["generation"].update(min_turns=5, max_turns=5)
    run_conversations(make_ctx(tmp_path, data, llm))
    user2_first = next(c for c in llm.prompts if "User 2's persona:" in c[-1]["content"])
    text = user2_first[-1]["content"]
    persona = next(p for p in spc_pairs(3) if p["user2_persona"][0] in text or p["user2_persona"][1] in text)
    assert all(a in text for a in persona["user2_persona"]) and "User 1's persona" not in text
    assert any(f'"{a}"' in text for a in persona["user2_persona"])  # one attribute to bring up
    late = [c[-1]["content"] for c in llm.prompts if c[-1]["content"].count("\nUser ") >= 2]
    assert late and all(c.split("Conversation so far:\n")[1].split("\n\n")[0].count("\n") == 1 for c in late)
    assert all(c[0]["role"] == "system" for c in llm.prompts)
    assert (tmp_path / "run" / "prompts" / "generator.txt").read_text().count("persona:") == 1


def test_auto_mode_is_well_formed_on_local_backends_and_one_call_on_servers():
    cfg = GeneratorConfig()
    assert resolve_mode(cfg, "transformers") == "constrained" and resolve_mode(cfg, "llama-cpp") == "turns"
    assert resolve_mode(cfg, "openai") == "one-call"
    assert resolve_mode(GeneratorConfig(mode="turns"), "openai") == "turns"
    with pytest.raises(ConfigError, match="generator.mode"):
        generator_config(load_config(None, base={"generator": {"mode": "paragraphs"}}))


def test_turns_over_an_openai_compatible_server(tmp_path):
    """A real HTTP server on 127.0.0.1: no assistant prefix is sent, the answers' chatter is stripped."""
    with FakeOpenAI() as server:
        data = turn_data(tmp_path, turn_retries=0)
        data["models"]["llm"] = f"openai:fake@{server.url}"
        ctx = make_ctx(tmp_path, data)
        summary = run_conversations(ctx)
        rows = candidates(ctx)
    assert summary["generator_mode"] == "turns" and len(rows) == 6
    alternates_within(rows, 4, 7)
    assert server.requests >= sum(len(r["turns"]) for r in rows) // 2


def test_one_call_examples_carry_their_profiles(tmp_path):
    """The paper's few-shot shape: each example is a User 1 Profile / User 2 Profile / Conversation block."""
    from .helpers import scripted

    llm = scripted()
    data = config_dict(write_pairs(tmp_path / "pairs.jsonl", spc_pairs(2)), iterations=1)
    run_conversations(make_ctx(tmp_path, data, llm))
    prompt = next(c for c in llm.prompts if "User 1's persona:" in c[-1]["content"])[-1]["content"]
    assert prompt.count("User 1 Profile:") == 2 and prompt.count("Conversation:") == 2
    plain = scripted()
    data["generator"] = {"fewshot_profiles": False}
    run_conversations(make_ctx(tmp_path, data, plain, run_name="plain"))
    assert "Profile:" not in next(c for c in plain.prompts if "User 1's persona:" in c[-1]["content"])[-1]["content"]


def test_a_line_that_mostly_repeats_earlier_ones_is_a_problem():
    from synthetic_persona_chat.generation.turns import turn_problem

    said = [{"speaker": "user 1", "text": "I'm so glad he's happy, he's a sweet one. He's a great dog."}]
    assert turn_problem("I'm so glad he's happy he's a good one. He's a great one.", said) == "mostly repeats earlier lines"
    assert turn_problem("i'm SO glad he's happy, he's a sweet one! He's a great dog", said) == "repeats an earlier line"
    assert turn_problem("My favorite sport is ultimate frisbee.", said) is None
    assert turn_problem("Call me [your name].", []).startswith("template slot")
