"""The Generator's few-shot pool: seed conversations at iteration 0, the Critic's winners after.

Examples are drawn per (run seed, iteration, pair) with their own RNG, so a pair's prompt never
depends on the order pairs are processed, on batch boundaries, on a resume or on the worker.
"""

from __future__ import annotations

import random
from pathlib import Path

from ..records import Conversation, stable_id
from ..readers.sources import SourceFormatError, open_source
from .parser import render_conversation
from ..errors import InputError


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


def example_text(conv: Conversation, max_turns: int = 0) -> str:
    turns = conv.turns[:max_turns] if max_turns else conv.turns
    return render_conversation(turns)


def pool_entries(convs: list[Conversation], max_turns: int = 0) -> list[dict[str, str]]:
    """{id, text} per conversation, in a stable order (by id) so sampling is order independent."""
    entries = {c.id: {"id": c.id, "text": example_text(c, max_turns)} for c in convs}
    return [entries[k] for k in sorted(entries)]


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
