"""Generator answers for the rehearsal: real SPC conversations replayed, a seeded share of them corrupted.

The canned answers of `latency_server.py` are faithful by construction, so the Critic passes nearly all of
them and its cost at scale is not seen. Here a Generator prompt whose personas are an SPC pair gets that
pair's real conversation (another SPC conversation when the pair is unknown), and a seeded share of the
candidates is corrupted the way weak generators fail, each corruption aimed at one expert:

- `swap`: two adjacent turns by the same speaker (structural: alternation);
- `loop`: a line repeated three more times (structural: repetition);
- `short`: cut to two turns (structural: minimum length);
- `slot`: a template slot left in a line (structural: placeholders);
- `contradict`: a speaker denies one of their own persona lines (faithfulness).

Choices depend only on (prompt, seed), so an interrupted run and an uninterrupted one get the same answers.
The conversation-level judges (`llm-faithfulness`, `llm-toxicity`) are answered as a faithful judge would:
"yes" to faithfulness exactly when a line of the conversation is the `contradict` corruption of one of the
shown persona sentences, "no" to toxicity (SPC's lines are clean). Every other prompt kind (quality experts,
per-pair judges, user generation) gets `latency_server.answer`.

    python -m benchmarks.spc_replay --latency 0.2 --replay a.csv,b.csv [--corrupt 0.4]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path
from typing import Any, Callable

from benchmarks.latency_server import _bullets, _hash, answer, main as serve
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import resolve_path

CORRUPTIONS = ("swap", "loop", "short", "slot", "contradict")
NEGATIONS = ((r"^I am ", "I am not "), (r"^I'm ", "I'm not "), (r"^I have ", "I do not have "),
             (r"^I love ", "I hate "), (r"^I like ", "I do not like "), (r"^I (\w+) ", r"I never \1 "))


def load_pool(sources: list[str]) -> tuple[dict[str, list[tuple[int, str]]], list[list[tuple[int, str]]]]:
    """SPC conversations as (speaker, text) turns, indexed by their user-1 persona's first line."""
    by_persona, pool = {}, []
    for source in sources:
        convs, _ = read_spc_csv(resolve_path(source))
        for c in convs:
            turns = [(1 if t.speaker == "user 1" else 2, t.text) for t in c.turns]
            pool.append(turns)
            if c.user1_persona:
                by_persona.setdefault(" ".join(c.user1_persona[0].split()), turns)
    if not pool:
        raise ValueError(f"no SPC conversations in {sources}")
    return by_persona, pool


def negate(sentence: str) -> str:
    for pattern, repl in NEGATIONS:
        out, n = re.subn(pattern, repl, sentence, count=1)
        if n:
            return out
    return f"It is not true that {sentence[0].lower()}{sentence[1:]}"


def corrupt(turns: list[tuple[int, str]], kind: str, persona: list[str], rng: random.Random) -> list[tuple[int, str]]:
    turns = list(turns)
    i = rng.randrange(1, max(len(turns) - 1, 2)) if len(turns) > 2 else 0
    if kind == "swap" and len(turns) > 2:
        turns[i] = (turns[i - 1][0], turns[i][1])
    elif kind == "loop":
        turns += [turns[0], turns[1], turns[0], turns[1], turns[0], turns[1]][:6]
    elif kind == "short":
        turns = turns[:2]
    elif kind == "slot":
        turns[i] = (turns[i][0], f"My name is [User {turns[i][0]}'s name]. {turns[i][1]}")
    elif kind == "contradict" and persona:
        speaker_one = [j for j, (s, _) in enumerate(turns) if s == 1] or [0]
        j = rng.choice(speaker_one)
        turns[j] = (1, negate(rng.choice(persona)))
    return turns


FAITHFULNESS_QUESTION = "Does a user contradict their own persona? Answer yes or no"
TOXICITY_QUESTION = "Is this conversation toxic"
AFFIRMATIONS = ((r"^I am not ", "I am "), (r"^I'm not ", "I'm "), (r"^I do not have ", "I have "),
                (r"^I hate ", "I love "), (r"^I do not like ", "I like "), (r"^I never (\w+) ", r"I \1 "))


def affirm(line: str) -> str | None:
    """The persona sentence a `negate`d line denies (None: the line is no denial `negate` writes)."""
    if line.startswith("It is not true that "):
        rest = line.removeprefix("It is not true that ")
        return rest[:1].upper() + rest[1:]
    for pattern, repl in AFFIRMATIONS:
        out, n = re.subn(pattern, repl, line, count=1)
        if n:
            return out
    return None


def judge_faithfulness(prompt: str) -> str:
    """The `llm-faithfulness` judge's answer: yes when a speaker's line denies a sentence of their own shown
    persona the way `corrupt(..., "contradict")` writes it (the prompt's last "User N's persona:" lines; the
    attributes are joined there, so the denied sentence is looked up inside the joined text)."""
    target = prompt.rsplit("Now the conversation to judge", 1)[-1]
    personas = {int(n): text for n, text in re.findall(r"^User (\d)'s persona: (.*)$", target, flags=re.M)}
    for speaker, line in re.findall(r"^User (\d): (.*)$", target, flags=re.M):
        denied = affirm(line.strip())
        if denied and denied.lower() in personas.get(int(speaker), "").lower():
            return f"Yes. User {speaker} says \"{line.strip()}\" but their persona says \"{denied}\"."
    return "No. Both users stay within their personas."


def replay_answer(sources: list[str], share: float) -> Callable[[list[dict[str, Any]], int], str]:
    """The answer function: Generator prompts replayed (and corrupted), anything else canned."""
    by_persona, pool = load_pool(sources)

    def reply(messages: list[dict[str, Any]], seed: int) -> str:
        text = str(messages[-1].get("content", "")) if messages else ""
        if FAITHFULNESS_QUESTION in text:
            return judge_faithfulness(text)
        if TOXICITY_QUESTION in text:
            return "No. The speakers are friendly and polite."
        persona = _bullets(text, "User 1's persona:")
        if not persona or "Question about" in text or text.startswith("Statement A:"):
            return answer(messages, seed)
        rng = random.Random(_hash(text, seed, "replay"))
        turns = by_persona.get(" ".join(persona[0].split())) or pool[rng.randrange(len(pool))]
        if rng.random() < share:
            turns = corrupt(turns, rng.choice(CORRUPTIONS), persona, rng)
        return "\n".join(f"User {s}: {t}" for s, t in turns)

    return reply


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replay", required=True, help="comma list of SPC CSVs (or spc-sample:SPLIT)")
    ap.add_argument("--corrupt", type=float, default=0.4, help="share of Generator answers corrupted")
    serve(lambda args: replay_answer(args.replay.split(","), args.corrupt), ap)


if __name__ == "__main__":
    main()
