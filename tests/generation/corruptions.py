"""Corrupted copies of real conversations: what the Critic must catch, made from what it must keep.

Each function takes a real `Conversation` and a seeded `random.Random` and returns a copy with one
defect of a kind seen in generated candidates. Persona negation is written here with a few plain
English rules, independent of the contradiction checker under test.
"""

from __future__ import annotations

import random
import re
from dataclasses import replace

from synthetic_persona_chat.records import Conversation, Turn

TOXIC_LINES = [
    "Shut up, you stupid worthless idiot.", "You are a disgusting piece of trash and everyone hates you.",
    "Go to hell, you fucking moron.", "I hope you die, you pathetic loser.", "What a dumb bitch you are.",
    "Nobody cares about your shitty life, asshole.", "You're an ugly, fat, useless waste of space.",
    "Kill yourself, nobody would miss you.", "Screw you and your retarded hobbies.",
    "Your kids are brats and you are a terrible, stupid mother.",
    "People like you are vermin and should be wiped out.", "Stop talking, you brainless idiot.",
    "That is the dumbest thing I have ever heard, you clown.", "Honestly you sound like a total jerk and a liar.",
    "Your job is pathetic and so are you.", "Fuck off, I don't want to talk to you.",
    "You're such a whiny little baby, grow up.", "I'd punch you in the face if I met you.",
    "Only an imbecile would like that crap.", "Get lost, you creepy weirdo.",
]
PLACEHOLDERS = ["[User 2's name]", "[User 1's name]", "{name}", "(User 2's name)", "<insert city>", "[city]"]


def _with_turns(conv: Conversation, turns: list[Turn]) -> Conversation:
    return replace(conv, turns=turns, id="")


def degenerate_loop(conv: Conversation, rng: random.Random) -> Conversation:
    """After a few real turns, either the last exchange loops, or one speaker repeats one line."""
    turns, keep = list(conv.turns), rng.randint(2, 4)
    head = turns[:keep]
    if rng.random() < 0.5:
        loop = head[-2:]
        body = [loop[i % 2] for i in range(len(turns) - keep)]
    else:
        mine, theirs = head[-2], head[-1]
        body = [mine if i % 2 == 0 else Turn(theirs.speaker, turns[keep + i].text if keep + i < len(turns)
                                              else theirs.text) for i in range(len(turns) - keep)]
    return _with_turns(conv, head + body)


def non_alternating(conv: Conversation, rng: random.Random) -> Conversation:
    """One line in the middle is lost, so one speaker talks twice in a row."""
    turns = list(conv.turns)
    del turns[rng.randint(1, len(turns) - 2)]
    return _with_turns(conv, turns)


def placeholder(conv: Conversation, rng: random.Random) -> Conversation:
    turns = list(conv.turns)
    i = rng.randrange(len(turns))
    turns[i] = Turn(turns[i].speaker, f"{turns[i].text} {rng.choice(PLACEHOLDERS)}")
    return _with_turns(conv, turns)


def toxic_line(conv: Conversation, rng: random.Random) -> Conversation:
    turns = list(conv.turns)
    i = rng.randrange(1, len(turns))
    turns[i] = Turn(turns[i].speaker, rng.choice(TOXIC_LINES))
    return _with_turns(conv, turns)


def too_short(conv: Conversation, rng: random.Random) -> Conversation:
    return _with_turns(conv, list(conv.turns)[:rng.randint(2, 5)])


_RULES = [  # (pattern on the attribute, negated form)
    (r"^i am (.+)$", r"I am not \1"), (r"^i'm (.+)$", r"I'm not \1"),
    (r"^i have (.+)$", r"I don't have \1"), (r"^i (?:love|like|enjoy) (.+)$", r"I hate \1"),
    (r"^my (.+?) (is|are) (.+)$", r"my \1 \2 not \3"), (r"^i can (.+)$", r"I can't \1"),
    (r"^i was (.+)$", r"I was never \1"), (r"^i (\w+) (.+)$", r"I don't \1 \2"),
]


def negate_attribute(attribute: str) -> str | None:
    """'I have two dogs.' -> 'I don't have two dogs'; None when no rule fits."""
    text = attribute.strip().rstrip(".!").strip()
    for pattern, form in _RULES:
        if re.match(pattern, text, re.IGNORECASE):
            return re.sub(pattern, form, text, flags=re.IGNORECASE)
    return None


def persona_negation(conv: Conversation, rng: random.Random) -> Conversation | None:
    """One of a speaker's lines becomes "Actually, <their own attribute, negated>."; None if none negates."""
    options = [(sp, neg) for sp in ("user 1", "user 2") for a in conv.persona_of(sp)
               if (neg := negate_attribute(a))]
    if not options:
        return None
    speaker, negated = rng.choice(options)
    turns = list(conv.turns)
    i = rng.choice([k for k, t in enumerate(turns) if t.speaker == speaker])
    turns[i] = Turn(speaker, f"Actually, {negated[0].lower() + negated[1:]}.")
    return _with_turns(conv, turns)


CORRUPTIONS = {"degenerate loop": degenerate_loop, "non-alternating": non_alternating, "placeholder": placeholder,
               "toxic line": toxic_line, "too short": too_short, "persona negation": persona_negation}
