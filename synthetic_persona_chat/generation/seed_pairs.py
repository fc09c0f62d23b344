"""SPC's first part: conversations on the seed conversations' own profile pairs, beside the synthetic users'.

The released SPC holds 10,906 conversations on Persona-Chat's profile pairs and 11,001 between new
synthetic users. `generation.seed_pairs` names conversation sources (Persona-Chat's ParlAI files, an SPC
CSV, `spc-sample:SPLIT`, ...) whose persona pairs are talked about again, in the same run and iterations
as the pairs user generation makes; `generation.max_seed_pairs` caps them. A pair seen twice (the same
two profiles in either order) is kept once, so overlapping sources do not pay for it twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..records import stable_id
from ..row_contracts import Pair
from .fewshot import load_seed_conversations
from .stage_rows import PairRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.generation.config import GenerationConfig


def seed_profile_pairs(gen: GenerationConfig) -> list[PairRow]:
    """`Pair` rows of the seed sources, in source order, deduplicated, at most `max_seed_pairs`."""
    sources = list(gen.seed_pairs or [])
    out, seen = [], set()
    for source in sources:
        for conv in load_seed_conversations(source):
            u1, u2 = list(conv.user1_persona), list(conv.user2_persona)
            key = frozenset((tuple(u1), tuple(u2)))
            if not u1 or not u2 or key in seen:
                continue
            seen.add(key)
            out.append(Pair(pair_id=stable_id("seed-pair", *u1, "|", *u2), user1_id=None, user2_id=None,
                            user1_persona=u1, user2_persona=u2, similarity=None).to_row())
            if gen.max_seed_pairs and len(out) >= gen.max_seed_pairs:
                return out
    return out
