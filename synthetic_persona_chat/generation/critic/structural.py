"""Structural expert: both speakers, alternating turns, a minimum length, no loops, no template text left.

Small generators fail in shapes a content judge does not see: one speaker talks twice in a row,
the same line comes back eight times, a speaker parrots the partner, or "[User 1's name]" is left
in. Each check is cheap and exact, so it runs first and spares the model-based experts.

Degeneracy is measured on `text.tokens`, so "Me too!" and "me too" are the same line:
- repeated utterances: a line its own speaker already said;
- copied lines: a line of at least `COPY_MIN_TOKENS` tokens the partner already said ("So what do
  you do for work?" asked back is ordinary; echoing the partner twice is not);
- distinct-2 over the whole conversation (share of unique word bigrams).
On 1,967 released SPC valid+test conversations the defaults reject about 3% for degeneracy
(more than 2 repeats: 2.3%; more than 1 copied line: 2.4%, overlapping; distinct-2 < 0.4: under 0.5%).

Placeholders are found by `text.PLACEHOLDER`, the pattern the eval's template-leftover count uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...text import distinct_n, placeholders, tokens
from .base import Verdict
from ...rowtypes import ArrowRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "structural", "filter"
COPY_MIN_TOKENS = 4  # shorter lines ("me too", "that sounds fun") are echoed in ordinary talk


def judge(rows: list[ArrowRow], ctx: RunContext, cfg: CriticConfig) -> list[Verdict]:
    return [check(row["turns"], cfg) for row in rows]


def check(turns: list[dict[str, str]], cfg: CriticConfig) -> Verdict:
    problems = shape_problems(turns, cfg) + degeneracy_problems(turns, cfg)
    found = [p for t in turns for p in placeholders(t["text"])]
    if found and not cfg.allow_placeholders:
        shown = ", ".join(sorted(set(found))[:3])
        problems.append(f"{len(found)} template placeholder(s) left: {shown}")
    if problems:
        return Verdict(NAME, passed=False, reason="; ".join(problems))
    return Verdict(NAME, passed=True, reason=f"{len(turns)} alternating turns"
                   + (f", {len(found)} placeholder(s) allowed" if found else ""))


def shape_problems(turns: list[dict[str, str]], cfg: CriticConfig) -> list[str]:
    """Who speaks, how often, in which order."""
    problems = []
    speakers = {t["speaker"] for t in turns}
    if len(speakers) < 2:
        problems.append(f"only {', '.join(sorted(speakers)) or 'nobody'} speaks")
    if len(turns) < cfg.min_turns:
        problems.append(f"{len(turns)} turns < minimum {cfg.min_turns}")
    repeats = sum(a["speaker"] == b["speaker"] for a, b in zip(turns, turns[1:]))
    if repeats > cfg.max_alternation_errors:
        problems.append(f"turns do not alternate ({repeats} same-speaker repeats, "
                        f"{cfg.max_alternation_errors} allowed)")
    return problems


def degeneracy_problems(turns: list[dict[str, str]], cfg: CriticConfig) -> list[str]:
    """Loops and parroting: repeated own lines, lines copied from the partner, low distinct-2."""
    problems = []
    repeated, copied, example = degeneracy_counts(turns)
    if repeated > cfg.max_repeated_utterances:
        problems.append(f"{repeated} repeated utterance(s) (> {cfg.max_repeated_utterances}), e.g. {example!r}")
    if copied > cfg.max_copied_lines:
        problems.append(f"{copied} line(s) copied from the partner (> {cfg.max_copied_lines})")
    d2 = distinct_n([t["text"] for t in turns], 2)
    if turns and d2 < cfg.min_distinct_2:
        problems.append(f"distinct-2 {d2:.2f} < {cfg.min_distinct_2}")
    return problems


def degeneracy_counts(turns: list[dict[str, str]]) -> tuple[int, int, str]:
    """(lines a speaker repeats, lines copied from the partner, an example of either)."""
    said: dict[str, set[str]] = {}
    repeated = copied = 0
    example = ""
    for t in turns:
        line = " ".join(tokens(t["text"]))
        mine = said.setdefault(t["speaker"], set())
        theirs = set().union(*(s for who, s in said.items() if who != t["speaker"]))
        if line and line in mine:
            repeated += 1
            example = example or t["text"][:80]
        elif len(line.split()) >= COPY_MIN_TOKENS and line in theirs:
            copied += 1
            example = example or t["text"][:80]
        mine.add(line)
    return repeated, copied, example
