"""The Generator's few-shot pool: seed conversations at iteration 0, the Critic's winners after.

Examples are drawn per (run seed, iteration, pair) with their own RNG, so a pair's prompt never
depends on the order pairs are processed, on batch boundaries, on a resume or on the worker.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from ..records import Conversation, stable_id
from ..readers.sources import SourceFormatError, open_source
from .critic import structural
from .parser import render_conversation

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.generation.config import CriticConfig
from ..errors import InputError


class SeedCounts(TypedDict):
    """`clean_seeds`' count of the seeds: the stage summary stores it as its `SeedPool` (run_summary.py)."""

    read: int
    kept: int
    dropped: int
    dropped_by_reason: dict[str, int]


class FewShotError(InputError, ValueError):
    """The seed conversations cannot be read; the message names the file and the fix."""


def load_seed_conversations(path: str | Path, limit: int | None = None) -> list[Conversation]:
    """Any source the readers take (`readers.sources.open_source`): SPC CSV or folder, ParlAI text, our
    .jsonl/.parquet records, a finished run, `spc-sample:SPLIT` or `hub:ID`."""
    try:
        convs, _ = open_source(path, split="train")
    except FileNotFoundError as exc:
        raise FewShotError(f"seed conversations not found: {exc} (cwd {Path.cwd()}); set generation.seed_conversations "
                           f"to an SPC CSV, a ParlAI .txt, a .jsonl/.parquet file, a run directory or spc-sample:valid"
                           ) from exc
    except SourceFormatError as exc:
        raise FewShotError(f"seed conversations: {exc} (cwd {Path.cwd()}); set generation.seed_conversations to "
                           f"an SPC CSV, a ParlAI .txt, a .jsonl/.parquet file, a run directory or spc-sample:valid"
                           ) from exc
    convs = [c for c in convs if len({t.speaker for t in c.turns}) == 2]
    if not convs:
        raise FewShotError(f"{path} holds no usable two-speaker conversation")
    return convs[:limit] if limit else convs


def example_text(conv: Conversation, max_turns: int = 0, profiles: bool = True) -> str:
    """A few-shot example as the paper's Generator prompt shows it (§3.3, Table 6): a "User 1 Profile",
    a "User 2 Profile" and a "Conversation" block, so the model sees how profiles become a conversation;
    `profiles=False`: the turns only."""
    turns = render_conversation(conv.turns[:max_turns] if max_turns else conv.turns)
    if not profiles:
        return turns
    return "\n".join([profile_block("User 1", conv.user1_persona), profile_block("User 2", conv.user2_persona),
                      "Conversation:", turns])


def profile_block(who: str, persona: list[str]) -> str:
    return "\n".join([f"{who} Profile:", *(f"- {a}" for a in persona)])


def pool_entries(convs: list[Conversation], max_turns: int = 0, profiles: bool = True) -> list[dict[str, str]]:
    """{id, text} per conversation, in a stable order (by id) so sampling is order independent."""
    entries = {c.id: {"id": c.id, "text": example_text(c, max_turns, profiles)} for c in convs}
    return [entries[k] for k in sorted(entries)]


def clean_seeds(convs: list[Conversation], critic: CriticConfig, max_turns: int = 0
                ) -> tuple[list[Conversation], SeedCounts]:
    """The seeds whose shown turns pass the Critic's structural expert, and a count of the rest by reason.

    A few-shot example is what a small Generator copies: "[User 1's name]" or a loop in an example comes
    back in the candidates (64 of the 150 conversations of the packaged SPC test sample hold template
    leftovers), so such a seed never enters the pool. Each dropped seed counts once under each problem."""
    if max_turns:  # an example cut to max_turns is not "too short" for being cut
        critic = dataclasses.replace(critic, min_turns=min(critic.min_turns, max_turns))
    kept, reasons = [], Counter()
    for conv in convs:
        turns = [{"speaker": t.speaker, "text": t.text} for t in (conv.turns[:max_turns] if max_turns else conv.turns)]
        verdict = structural.check(turns, critic)
        if verdict.passed:
            kept.append(conv)
        else:
            reasons.update({_reason_kind(p) for p in verdict.reason.split("; ")})
    if not kept:
        raise FewShotError(f"none of the {len(convs)} seed conversations passes the structural checks "
                           f"({dict(reasons)}); give cleaner seeds in generation.seed_conversations")
    return kept, SeedCounts(read=len(convs), kept=len(kept), dropped=len(convs) - len(kept),
                            dropped_by_reason=dict(sorted(reasons.items())))


_KINDS = (("placeholder", "template placeholders"), ("alternate", "turns do not alternate"),
          ("minimum", "too few turns"), ("repeated", "repeated lines"), ("copied", "lines copied from the partner"),
          ("distinct-2", "low distinct-2"), ("speaks", "one speaker"))


def _reason_kind(problem: str) -> str:
    return next((kind for key, kind in _KINDS if key in problem), problem)


def sample_examples(pool: list[dict[str, str]], k: int, seed: int, iteration: int, pair_id: str,
                    fallback: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    """k examples from `pool`; while the pool is smaller than k (early iterations), `fallback` (the seeds)
    fills the rest."""
    if k <= 0:
        return []
    rng = random.Random(stable_id("fewshot", str(seed), str(iteration), pair_id))
    chosen = rng.sample(pool, min(k, len(pool)))
    if len(chosen) < k and fallback:
        taken = {c["id"] for c in chosen}
        rest = [f for f in fallback if f["id"] not in taken]
        chosen += rng.sample(rest, min(k - len(chosen), len(rest)))
    return chosen
