"""Which pair is written in which iteration, with which few-shot examples: the stage's job rows.

Planning runs on the driver, is deterministic (run seed, pair ids, previous winners) and is kept
in the run directory (`conversations/iter-N/plan.json`), so a resumed run, or a run on another
engine, processes exactly the same jobs in the same batches.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ..readers import read_records
from ..records import Skip, stable_id
from ..row_contracts import Job, Pair
from .fewshot import sample_examples
from .stage_rows import JobRow, PairRow
from ..errors import InputError

PAIR_FIELDS = ("user1_persona", "user2_persona")


class PairsError(InputError, ValueError):
    """The pairs file is missing or malformed; the message names the file and the field."""


def load_pairs(path: str | Path) -> list[PairRow]:
    """`Pair` rows from a file like usergen's `pairs/pairs.parquet`; only the personas are required (a missing
    pair id is derived from them, the user ids and similarity are then None)."""
    path = Path(path)
    if not path.is_file():
        raise PairsError(f"pairs file not found: {path}; run user generation first, or set "
                         f"generation.pairs_file to a .parquet/.jsonl of persona pairs")
    rows, skips = read_records(path, dict)
    if not rows:
        raise PairsError(f"{path} holds no pairs")
    pairs = []
    for i, row in enumerate(rows):
        missing = [f for f in PAIR_FIELDS if f not in row]
        if missing:
            raise PairsError(f"{path} row {i} lacks {missing}; a pair row needs {list(PAIR_FIELDS)} "
                             f"(lists of persona sentences)")
        user1, user2 = _sentences(row["user1_persona"]), _sentences(row["user2_persona"])
        pairs.append(Pair(pair_id=row.get("pair_id") or stable_id("pair", *user1, "|", *user2),
                          user1_id=row.get("user1_id"), user2_id=row.get("user2_id"), user1_persona=user1,
                          user2_persona=user2, similarity=row.get("similarity")).to_row())
    return pairs


def usable_pairs(pairs: list[PairRow], source: str) -> tuple[list[PairRow], list[Skip]]:
    """A pair whose personas are empty cannot be checked for faithfulness: a recorded skip."""
    keep, skips = [], []
    for p in pairs:
        empty = [u for u, f in (("user 1", "user1_persona"), ("user 2", "user2_persona")) if not p[f]]
        if empty:
            skips.append(Skip(source, f"pair_id={p['pair_id']}", f"{' and '.join(empty)} persona is empty"))
        else:
            keep.append(p)
    return keep, skips


def schedule(pairs: list[PairRow], iterations: int, mode: str, seed: int) -> list[list[PairRow]]:
    """'split': a seeded shuffle dealt into `iterations` shares; 'repeat': every pair in every iteration."""
    if mode == "repeat":
        return [list(pairs) for _ in range(iterations)]
    order = sorted(pairs, key=lambda p: p["pair_id"])
    random.Random(stable_id("schedule", str(seed))).shuffle(order)
    size, extra = divmod(len(order), iterations)
    out, start = [], 0
    for i in range(iterations):
        end = start + size + (1 if i < extra else 0)
        out.append(order[start:end])
        start = end
    return out


def make_jobs(pairs: list[PairRow], iteration: int, pool: list[dict[str, str]],
              seeds: list[dict[str, str]], k: int, seed: int) -> list[JobRow]:
    """`Job` rows: each pair of this iteration with its few-shot examples drawn (seeded per pair)."""
    jobs = []
    for p in pairs:
        examples = sample_examples(pool, k, seed, iteration, p["pair_id"], fallback=seeds)
        jobs.append(Job(
            job_id=stable_id("job", p["pair_id"], str(iteration)), pair_id=p["pair_id"],
            iteration=iteration, user1_id=p.get("user1_id"), user2_id=p.get("user2_id"),
            user1_persona=list(p["user1_persona"]), user2_persona=list(p["user2_persona"]),
            similarity=p.get("similarity"), fewshot_ids=[e["id"] for e in examples],
            fewshot_texts=[e["text"] for e in examples]).to_row())
    return jobs


def _sentences(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    return [" ".join(str(v).split()) for v in value if str(v).strip()]
