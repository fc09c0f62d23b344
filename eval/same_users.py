"""Real and synthetic conversations between the same two users, for a Turing test that compares like with like.

The paper's human judges saw an SPC conversation beside the Persona-Chat conversation of the same user pair
(SPC's first part was generated on Persona-Chat's own profile pairs). With a random real conversation beside
it, a judge can tell the two apart by topic alone (a persona never seen in the other), which is not what the
test asks. A generated run keeps each pair's profiles verbatim (`generation.seed_pairs` talks about the seed
conversations' own pairs), so the same match is possible for our data too.

The match is on the *pair*: both speakers' personas, compared as sets of attributes after case, spacing and
end punctuation are normalised, the two speakers in either order. A synthetic conversation with no real
partner on the same pair is paired at random, and the pairing says why (`Match.reason`), never silently.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass

from synthetic_persona_chat.records import Conversation

PairKey = frozenset
SAME_USERS = "same users"
# Why a synthetic conversation was paired at random (the first that applies):
NO_PERSONAS = "random: the synthetic conversation has no persona pair to match"
REAL_ONE_SIDED = ("random: the real conversations list one speaker's persona only (a ParlAI self_original file?): "
                  "give both personas (both_original) to pair by users")
NO_MATCH = "random: no real conversation between the same two users"


def _attribute(text: str) -> str:
    return re.sub(r"[\s.!]+$", "", " ".join(text.lower().split()))


def pair_key(conv: Conversation) -> PairKey | None:
    """The user pair as an order-free key, or None when either speaker's persona is missing."""
    a, b = conv.user1_persona, conv.user2_persona
    if not a or not b:
        return None
    return frozenset((frozenset(map(_attribute, a)), frozenset(map(_attribute, b))))


@dataclass
class Match:
    """A synthetic conversation's real partner and how it was chosen (`SAME_USERS`, or "random: <why>")."""

    real: Conversation
    synthetic: Conversation
    reason: str

    @property
    def same_users(self) -> bool:
        return self.reason == SAME_USERS


class RealIndex:
    """The real conversations by user pair, sorted by id so a seeded draw never depends on file order."""

    def __init__(self, real: list[Conversation]) -> None:
        self.real = sorted(real, key=lambda c: c.id)
        self.by_pair: dict[PairKey, list[Conversation]] = defaultdict(list)
        for conv in self.real:
            key = pair_key(conv)
            if key is not None:
                self.by_pair[key].append(conv)
        self.one_sided = bool(self.real) and not self.by_pair

    def has_pair(self, conv: Conversation) -> bool:
        return pair_key(conv) in self.by_pair

    def match(self, synthetic: Conversation, rng: random.Random) -> Match:
        """The same users' real conversation where there is one (a seeded choice among several), else a
        seeded random real conversation with the reason."""
        key = pair_key(synthetic)
        same = self.by_pair.get(key) if key is not None else None
        if same:
            return Match(same[rng.randrange(len(same))], synthetic, SAME_USERS)
        reason = NO_PERSONAS if key is None else REAL_ONE_SIDED if self.one_sided else NO_MATCH
        return Match(self.real[rng.randrange(len(self.real))], synthetic, reason)


def pairing_summary(matches: list) -> dict[str, int]:
    """{"same users": n, "random: <why>": m, ...}: how the pairs were made, for the report (`matches`: anything
    with a `reason`, a `Match` or a detection `Pair`)."""
    out: dict[str, int] = defaultdict(int)
    for m in matches:
        out[m.reason] += 1
    return dict(sorted(out.items()))
