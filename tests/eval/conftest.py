"""Eval fixtures built from the real SPC files: a generated-run folder and Persona-Chat-format files.

Persona-Chat itself is not in ../shared/data; its ParlAI text format is produced here from real SPC
conversations (whose personas are Persona-Chat's own profiles), with 20 candidates per response
(gold last, as ParlAI writes them), so the ParlAI code path runs on real text.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.records import Conversation
from tests.runs import finished_run


@pytest.fixture(scope="session")
def spc_valid(spc_dir):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_valid.csv", split="validation")
    return convs


@pytest.fixture(scope="session")
def spc_test(spc_dir):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv", split="test")
    return convs


def make_run(path: Path, convs: list[Conversation], iterations: int = 3) -> Path:
    """A finished run (`tests/runs.py`) whose Critic chose `convs`, in iterations 1..`iterations` in turn."""
    return finished_run(path, convs, iterations=iterations).path


def write_parlai(path: Path, convs: list[Conversation], seed: int = 0) -> Path:
    """ParlAI self_original text: user 1 = partner, user 2 = self; 19 distractors + gold last."""
    rng = random.Random(seed)
    pool = [t.text for c in convs for t in c.turns]
    lines = []
    for c in convs:
        n = 1
        for a in c.user2_persona:
            lines.append(f"{n} your persona: {a}")
            n += 1
        turns = list(c.turns)
        if turns[0].speaker == "user 2":
            turns.insert(0, None)
        own = set(c.utterances)
        for k in range(0, len(turns) - 1, 2):
            partner, me = turns[k], turns[k + 1]
            if me is None or me.speaker != "user 2":
                break
            distractors = rng.sample([p for p in pool if p not in own], 19)
            cands = "|".join(distractors + [me.text])
            lines.append(f"{n} {partner.text if partner else '__SILENCE__'}\t{me.text}\t\t{cands}")
            n += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
