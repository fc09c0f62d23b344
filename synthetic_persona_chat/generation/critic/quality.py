"""General-quality experts: one LLM judge per FED-style quality, comparing surviving candidates pairwise.

Shown several conversations labelled A, B, C at once, a small judge mostly answers "A": the slot,
not the conversation, picks the winner. So each quality (critic.qualities; paper: depth,
coherency, consistency, diversity, likability) compares every two survivors, and asks each
comparison twice, with the conversations in A/B and in B/A order. A comparison counts only when
both answers name the same conversation (*position-consistent*); the share of such comparisons is
each expert's position-consistency rate, kept in the run summary and the eval report.

Per quality, the candidate with most consistent wins is that expert's pick; `majority` turns the
picks into the winner. Ties, and a pair where no expert could pick, are broken by a draw seeded
with the run seed and the job id: reproducible, and never biased toward the first candidate.
Every comparison is recorded as a `Verdict` (with `compared` and `consistent`) on every candidate
of the pair, next to each expert's pick. All comparisons of a batch go to the LLM in one call.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Iterable

from ...config import ConfigError
from ...models.llm import GenerationParams
from ...tasks import Answer, ask
from ...tasks.pairwise_quality import PairwiseQuality, parse_choice  # noqa: F401  (parse_choice re-exported)
from ...tasks.templates import quality_questions
from ...text import render_conversation
from ...rowtypes import ArrowRow
from .base import Verdict
from .report import ConsistencyCounts

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import CriticConfig

NAME, KIND = "quality", "selector"


@dataclass(frozen=True)
class Comparison:
    """Candidates `first` and `second` (positions in the group) of group `group`, for `quality`."""

    group: int
    quality: str
    first: int
    second: int


def questions(cfg: CriticConfig) -> dict[str, str]:
    """The question per configured quality; an unknown quality without a question is a config error."""
    known = {**quality_questions(), **(cfg.quality_questions or {})}
    missing = [q for q in cfg.qualities if q not in known]
    if missing:
        raise ConfigError(f"critic.qualities has {missing} with no question; known: {sorted(known)}; "
                          f"add one with critic.quality_questions: {{{missing[0]}: 'Which conversation ...?'}}")
    return {q: known[q] for q in cfg.qualities}


def choose(groups: list[list[ArrowRow]], ctx: RunContext, cfg: CriticConfig) -> list[list[Verdict]]:
    """Per group: every comparison's verdict, then one pick per quality."""
    asked = questions(cfg)
    plan = [Comparison(g, q, i, j) for g, group in enumerate(groups) for q in asked
            for i, j in combinations(range(len(group)), 2)]
    answers = _ask(plan, groups, asked, ctx, cfg)
    compared: dict[tuple[int, str], list[Verdict]] = defaultdict(list)
    for k, c in enumerate(plan):
        compared[(c.group, c.quality)].append(comparison_verdict(c, groups[c.group], *answers[2 * k:2 * k + 2]))
    seed = getattr(getattr(ctx, "config", None), "seed", 0)
    out = []
    for g, group in enumerate(groups):
        verdicts = [v for q in asked for v in compared[(g, q)]]
        verdicts += [pick(q, group, compared[(g, q)], f"{seed}:{group[0].get('job_id')}:{q}") for q in asked]
        out.append(verdicts)
    return out


def _ask(plan: list[Comparison], groups: list[list[ArrowRow]], asked: dict[str, str], ctx: RunContext,
         cfg: CriticConfig) -> list[Answer]:
    """Two answers per comparison (A/B order, then B/A), from one LLM call for the whole batch."""
    texts: dict[tuple[int, int], str] = {}
    rows = []
    for c in plan:
        for a, b in ((c.first, c.second), (c.second, c.first)):
            for pos in (a, b):
                if (c.group, pos) not in texts:
                    texts[(c.group, pos)] = render_conversation(groups[c.group][pos]["turns"])
            rows.append({"quality": c.quality, "question": asked[c.quality],
                         "first": texts[(c.group, a)], "second": texts[(c.group, b)]})
    params = GenerationParams(max_tokens=cfg.quality_max_tokens, temperature=0.0, top_k=1, n=1)
    return ask(ctx.llm, PairwiseQuality(template=cfg.quality_template), rows, params)


def comparison_verdict(c: Comparison, group: list[ArrowRow], ab_answer: Answer, ba_answer: Answer) -> Verdict:
    """One comparison, both orders: a choice only when both answers name the same candidate."""
    first, second = group[c.first]["candidate_index"], group[c.second]["candidate_index"]
    ab, ba = ab_answer.text, ba_answer.text
    a, b = ab_answer.value, ba_answer.value
    pick_ab = None if a is None else (first, second)[a]
    pick_ba = None if b is None else (second, first)[b]
    consistent = pick_ab is not None and pick_ab == pick_ba
    if a is None or b is None:
        why = "unparsable answer, no vote"
    else:
        why = f"both orders chose candidate {pick_ab}" if consistent else "the orders disagree (position bias), no vote"
    return Verdict(f"quality:{c.quality}", choice=pick_ab if consistent else None, compared=[first, second],
                   consistent=consistent, reason=f"A/B answered {ab.strip()[:20]!r}, B/A answered "
                                                 f"{ba.strip()[:20]!r}: {why}")


def pick(quality: str, group: list[ArrowRow], comparisons: list[Verdict], key: str) -> Verdict:
    """The expert's pick: most consistent wins; a tie is drawn with a seeded RNG; no win -> no vote."""
    expert = f"quality:{quality}"
    if len(group) == 1:
        return Verdict(expert, choice=group[0]["candidate_index"], reason="only surviving candidate")
    wins = Counter(v.choice for v in comparisons if v.choice is not None)
    if not wins:
        return Verdict(expert, reason=f"no position-consistent answer in {len(comparisons)} comparison(s): no vote")
    top = max(wins.values())
    tied = sorted(c for c, n in wins.items() if n == top)
    winner = random.Random(key).choice(tied)
    return Verdict(expert, choice=winner, reason=f"{top} consistent win(s) in {len(comparisons)} comparison(s)"
                   + (f"; tie among {tied}, seeded draw" if len(tied) > 1 else ""))


def majority(verdicts: list[Verdict], candidates: list[int], key: str = "") -> tuple[int, Counter, str]:
    """Most expert picks wins; a tie, or no pick at all, is a draw seeded by `key` among the tied."""
    votes = Counter(v.choice for v in verdicts if v.choice is not None and v.compared is None)
    rng = random.Random(f"{key}:vote")
    if not votes:
        return rng.choice(sorted(candidates)), votes, "no quality expert could pick: seeded draw among survivors"
    top = max(votes.values())
    tied = sorted(c for c, n in votes.items() if n == top)
    picks = sum(votes.values())
    reason = f"{top} of {picks} quality picks" + (f" (tie among {tied}: seeded draw)" if len(tied) > 1 else "")
    return rng.choice(tied), votes, reason


def position_consistency(verdicts: Iterable[Verdict | ArrowRow]) -> dict[str, ConsistencyCounts]:
    """Per quality expert: comparisons asked in both orders, how many agreed, and the rate.

    Give each pair's verdicts once (they are copied onto every candidate of the pair).
    """
    asked, agreed = Counter(), Counter()
    for v in verdicts:
        v = v if isinstance(v, Verdict) else Verdict.from_row(v)
        if v.compared is not None:
            asked[v.expert] += 1
            agreed[v.expert] += bool(v.consistent)
    return {e: ConsistencyCounts(comparisons=asked[e], consistent=agreed[e], rate=round(agreed[e] / asked[e], 4))
            for e in sorted(asked)}
