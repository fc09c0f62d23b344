"""User profiles: attributes of distinct categories that are neither redundant nor contradictory.

Users are built side by side, one candidate attribute per user per step, so the
contradiction checks of a whole step go to the checker as one batch (an NLI
cross-encoder or the LLM judge). Each user draws from its own RNG seeded by
(seed, user number): a profile does not depend on batch or chunk size, and a rerun
builds the same users. Every rejected candidate is kept with its reason.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from ..records import Profile

ScoreFn = Callable[[list[str], list[str]], np.ndarray]  # (premises, hypotheses) -> contradiction scores


@dataclass(frozen=True)
class Rejection:
    """A candidate attribute a user did not take: why ("redundant", "contradiction", "implied"), against which
    held attribute, and the score that decided it (profiles/rejections.parquet, with the profile's id)."""

    attribute: str
    reason: str
    against: str
    score: float


@dataclass
class _User:
    number: int
    rng: random.Random
    chosen: list[int] = field(default_factory=list)
    cats: set = field(default_factory=set)
    tries: int = 0
    exhausted: bool = False
    rejections: list[Rejection] = field(default_factory=list)


def build_profiles(texts: list[str], categories: list[int], vectors: np.ndarray, user_numbers: list[int],
                   contradiction_scores: ScoreFn, seed: int = 0, profile_size: int = 5, min_size: int = 3,
                   max_tries: int = 25, redundancy_threshold: float = 0.9,
                   contradiction_threshold: float = 0.5, implied: ScoreFn | None = None) -> dict[str, list]:
    """{"profiles": [Profile rows], "rejections": [rows], "skipped": [(user number, reason)]}.

    `implied` (the paper's negation check, `negation.implied_scores`): a candidate that a held attribute
    already implies is rejected as "implied"; it is asked only for candidates that passed the contradiction check.
    """
    if len(set(categories)) < min_size:
        raise ValueError(f"the pool has {len(set(categories))} categories; profiles need at least "
                         f"profiles.min_size={min_size} distinct categories")
    users = [_User(u, random.Random(f"{seed}:user:{u}")) for u in user_numbers]
    while True:
        active = [u for u in users if len(u.chosen) < profile_size and u.tries < max_tries and not u.exhausted]
        if not active:
            break
        proposals = [(u, _draw(u, categories)) for u in active]
        pending = []
        for user, cand in proposals:
            if cand is None:
                user.exhausted = True
                continue
            if user.chosen:
                sims = vectors[user.chosen] @ vectors[cand]
                worst = int(np.argmax(sims))
                if sims[worst] > redundancy_threshold:
                    user.rejections.append(Rejection(texts[cand], "redundant", texts[user.chosen[worst]],
                                                     round(float(sims[worst]), 4)))
                    continue
            pending.append((user, cand))
        verdicts = _worst(pending, texts, contradiction_scores, contradiction_threshold, "contradiction")
        if implied is not None:
            rest = [(k, pc) for k, pc in enumerate(pending) if k not in verdicts]
            more = _worst([pc for _, pc in rest], texts, implied, contradiction_threshold, "implied")
            verdicts.update({rest[j][0]: v for j, v in more.items()})
        for k, (user, cand) in enumerate(pending):
            if k in verdicts:
                reason, score, against = verdicts[k]
                user.rejections.append(Rejection(texts[cand], reason, against, round(score, 4)))
            else:
                user.chosen.append(cand)
                user.cats.add(categories[cand])
    return _collect(users, texts, categories, min_size)


def _worst(pending: list[tuple[_User, int]], texts: list[str], score: ScoreFn, threshold: float, reason: str
           ) -> dict[int, tuple[str, float, str]]:
    """{index in pending: (reason, worst score, held attribute)} for candidates scoring > threshold against
    any attribute their user holds; one batched call for the whole step."""
    premises, hyps, owner = [], [], []
    for k, (user, cand) in enumerate(pending):
        for have in user.chosen:
            premises.append(texts[have])
            hyps.append(texts[cand])
            owner.append(k)
    scores = np.asarray(score(premises, hyps)) if premises else np.zeros(0)
    worst: dict[int, tuple[str, float, str]] = {}
    for k, p, s in zip(owner, premises, scores):
        if s > threshold and s > worst.get(k, (reason, -1.0, ""))[1]:
            worst[k] = (reason, float(s), p)
    return worst


def _draw(user: _User, categories: list[int], attempts: int = 64) -> int | None:
    """A random pool attribute from a category the user does not hold yet (None: none found)."""
    user.tries += 1
    n = len(categories)
    for _ in range(attempts):
        i = user.rng.randrange(n)
        if categories[i] not in user.cats:
            return i
    free = [i for i in range(n) if categories[i] not in user.cats]
    return user.rng.choice(free) if free else None


def _collect(users: list[_User], texts: list[str], categories: list[int], min_size: int) -> dict[str, list]:
    profiles, rejections, skipped = [], [], []
    for user in users:
        if len(user.chosen) < min_size:
            skipped.append((user.number, f"only {len(user.chosen)} consistent attributes after "
                                         f"{user.tries} tries (profiles.min_size={min_size})"))
            continue
        profile = Profile(attributes=[texts[i] for i in user.chosen],
                          categories=[int(categories[i]) for i in user.chosen])
        profiles.append({**profile.to_dict(), "user": user.number})
        rejections.extend({"profile_id": profile.id, **asdict(r)} for r in user.rejections)
    return {"profiles": profiles, "rejections": rejections, "skipped": skipped}
