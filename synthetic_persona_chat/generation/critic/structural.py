"""Structural expert: both speakers, alternating turns, a minimum length, no template text left.

Template placeholders ("[User 1's name]", "[city]") are counted: a third of the released SPC's
valid/test conversations still carry some, which is why this check exists.
"""

from __future__ import annotations

from typing import Any

from ..parser import placeholders
from .base import Verdict

NAME, KIND = "structural", "filter"


def judge(rows: list[dict[str, Any]], ctx: Any, cfg: Any) -> list[Verdict]:
    return [check(row["turns"], cfg) for row in rows]


def check(turns: list[dict[str, str]], cfg: Any) -> Verdict:
    problems = []
    speakers = {t["speaker"] for t in turns}
    if len(speakers) < 2:
        problems.append(f"only {', '.join(sorted(speakers)) or 'nobody'} speaks")
    if len(turns) < cfg.min_turns:
        problems.append(f"{len(turns)} turns < minimum {cfg.min_turns}")
    repeats = sum(a["speaker"] == b["speaker"] for a, b in zip(turns, turns[1:]))
    if repeats > cfg.max_alternation_errors:
        problems.append(f"turns do not alternate ({repeats} same-speaker repeats)")
    found = [p for t in turns for p in placeholders(t["text"])]
    if found and not cfg.allow_placeholders:
        shown = ", ".join(sorted(set(found))[:3])
        problems.append(f"{len(found)} template placeholder(s) left: {shown}")
    if problems:
        return Verdict(NAME, passed=False, reason="; ".join(problems))
    return Verdict(NAME, passed=True, reason=f"{len(turns)} alternating turns"
                   + (f", {len(found)} placeholder(s) allowed" if found else ""))
