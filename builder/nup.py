"""Next-utterance-prediction (NUP) examples from conversations: one definition for the `nup`
config of the builder and for the evaluation suite.

Each example: the responding speaker's persona, the dialogue history, 20 candidates
(the gold next utterance + 19 distractors drawn from *other* conversations of the same
split) and the gold's index. Every example has its own RNG seeded by (seed, conversation
id, turn) and the distractor pool is ordered by conversation id, so the rows do not
depend on the order the conversations come in. Conversations read from ParlAI files keep Persona-Chat's own candidates.
"""

from __future__ import annotations

import random
from typing import Iterable, TypedDict

from synthetic_persona_chat.records import Conversation

NUM_CANDIDATES = 20


class NUPExample(TypedDict):
    """One NUP row: the `nup` config's features (`features.NUP_FEATURES`) and what the rankers read. A
    TypedDict, not a dataclass: the rows go to `Dataset.from_list` and Arrow as they are, and every reader
    (the rankers, the fine-tuning, the persona-removed condition) indexes them by key."""

    id: str  # "<conversation id>:<turn>"
    conversation_id: str
    turn: int  # index of the gold utterance in the conversation
    speaker: str  # the responding speaker
    persona: list[str]  # the responding speaker's attributes
    history: list[str]  # every earlier turn's text, oldest first
    candidates: list[str]  # the gold next utterance and the distractors
    label: int  # the gold's index in `candidates`


def nup_examples(conversations: list[Conversation], seed: int = 0, num_candidates: int = NUM_CANDIDATES,
                 speakers: Iterable[str] = ("user 1", "user 2"), min_history: int = 1
                 ) -> list[NUPExample]:
    """The examples of every turn after `min_history` whose speaker is one of `speakers`."""
    speakers = set(speakers)
    order = sorted(range(len(conversations)), key=lambda i: conversations[i].id)
    pool = [(ci, t.text) for ci in order for t in conversations[ci].turns]
    if len({ci for ci, _ in pool}) < 2:
        raise ValueError("NUP distractors need at least two conversations in a split")
    rows: list[NUPExample] = []
    for ci, conv in enumerate(conversations):
        own = conv.meta.get("candidates") or {}
        for t in range(min_history, len(conv.turns)):
            turn = conv.turns[t]
            if turn.speaker not in speakers:
                continue
            rng = random.Random(f"{seed}:{conv.id}:{t}")
            given = own.get(str(t))
            if given and turn.text in given and len(given) >= num_candidates:
                distractors = [c for c in given if c != turn.text][: num_candidates - 1]
            else:
                distractors = _draw(pool, ci, set(conv.utterances), num_candidates - 1, rng)
            label = rng.randrange(num_candidates)
            candidates = distractors[:label] + [turn.text] + distractors[label:]
            rows.append(NUPExample(id=f"{conv.id}:{t}", conversation_id=conv.id, turn=t, speaker=turn.speaker,
                                   persona=list(conv.persona_of(turn.speaker)),
                                   history=[x.text for x in conv.turns[:t]], candidates=candidates, label=label))
    return rows


def _draw(pool: list[tuple[int, str]], own_index: int, own_texts: set[str], k: int,
          rng: random.Random) -> list[str]:
    """k distinct utterances from other conversations, none equal to a line of this one (the gold included)."""
    chosen: list[str] = []
    seen = set(own_texts)
    for _ in range(50 * k):
        ci, text = pool[rng.randrange(len(pool))]
        if ci != own_index and text not in seen:
            chosen.append(text)
            seen.add(text)
            if len(chosen) == k:
                return chosen
    raise ValueError(f"not enough distinct utterances in the split to draw {k} distractors")
