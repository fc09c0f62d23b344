"""The rehearsal server's answers make the Critic work: real SPC conversations replayed, and each structural
corruption is caught by the real structural expert while the untouched replay passes it."""

import random

import pytest

from benchmarks.spc_replay import CORRUPTIONS, corrupt, load_pool, negate, replay_answer
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.critic.structural import check
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import resolve_path


def as_turns(pairs):
    return [{"speaker": f"user {s}", "text": t} for s, t in pairs]


@pytest.fixture(scope="module")
def spc():
    convs, _ = read_spc_csv(resolve_path("spc-sample:valid"))
    _, pool = load_pool(["spc-sample:valid"])
    clean = [t for t in pool if check(as_turns(t), CriticConfig()).passed]
    return convs, clean


@pytest.mark.parametrize("kind", ["swap", "loop", "short", "slot"])
def test_each_structural_corruption_is_caught(spc, kind):
    _, clean = spc
    caught = [not check(as_turns(corrupt(t, kind, ["I like cats."], random.Random(i))), CriticConfig()).passed
              for i, t in enumerate(clean[:20])]
    assert len(caught) == 20 and all(caught), kind


def test_a_known_pair_gets_its_own_conversation_and_answers_are_seeded(spc):
    convs, _ = spc
    reply = replay_answer(["spc-sample:valid"], share=0.0)
    c = convs[3]
    prompt = ("User 1's persona:\n" + "".join(f"- {a}\n" for a in c.user1_persona) + "\nUser 2's persona:\n"
              + "".join(f"- {a}\n" for a in c.user2_persona) + "\nWrite a new conversation")
    text = reply([{"role": "user", "content": prompt}], 0)
    assert text.splitlines()[0] == f"User 1: {c.turns[0].text}"
    corrupting = replay_answer(["spc-sample:valid"], share=1.0)
    assert corrupting([{"role": "user", "content": prompt}], 7) == corrupting([{"role": "user", "content": prompt}], 7)
    assert set(CORRUPTIONS) >= {"swap", "loop", "short", "slot", "contradict"}


def test_negation_denies_the_persona_line():
    assert negate("I like cats.") == "I do not like cats."
    assert negate("I am a nurse.") == "I am not a nurse."
    assert negate("My dog is old.").startswith("It is not true that my dog")


def test_the_conversation_judges_answer_as_a_faithful_judge(spc):
    """The real judge prompts (tasks/conversation_judge.py) get "yes" exactly for a `contradict` corruption of
    the speaker's own persona, and the judge's parser reads the answer."""
    from synthetic_persona_chat.tasks.conversation_judge import (TOXICITY_TEMPLATE, ConversationJudge)
    from synthetic_persona_chat.text import render_conversation

    convs, _ = spc
    reply, judge = replay_answer(["spc-sample:valid"], share=0.0), ConversationJudge()
    verdicts = []
    for i, c in enumerate(convs[:10]):
        turns = [(1 if t.speaker == "user 1" else 2, t.text) for t in c.turns]
        for kind in ("none", "contradict"):
            shown = corrupt(turns, kind, list(c.user1_persona), random.Random(i)) if kind != "none" else turns
            row = {"conversation": render_conversation([{"speaker": f"user {s}", "text": t} for s, t in shown]),
                   "user1_persona": list(c.user1_persona), "user2_persona": list(c.user2_persona)}
            answer = reply(judge.render(row), 0)
            verdicts.append((kind, judge.parse(answer, row).found))
    assert all(found is (kind == "contradict") for kind, found in verdicts), verdicts
    toxic = ConversationJudge(TOXICITY_TEMPLATE)
    assert toxic.parse(reply(toxic.render(row), 0), row).found is False


def test_the_server_counts_a_request_body_answered_twice():
    from benchmarks.latency_server import Recorder

    rec = Recorder()
    for req in ({"messages": [{"role": "user", "content": "a"}], "seed": 1},
                {"messages": [{"role": "user", "content": "a"}], "seed": 2},
                {"seed": 1, "messages": [{"role": "user", "content": "a"}]}):
        rec.note(req)
    assert rec.repeated == 1
