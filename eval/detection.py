"""AI-detection test: a judge sees one real and one synthetic conversation and says which is synthetic.

The judge *loses* a pair when it names the real conversation as the synthetic one; its losing
rate per generation iteration says how human-like each iteration's conversations are (the
paper's human judges lost 17.2% of pairs at iteration 1 and 8.8% at iteration 3; a perfect
forgery drives the rate to 50%, chance).

Judges:
- `ClassifierJudge`: TF-IDF + logistic regression trained on half of the real and half of the
  synthetic conversations (seeded split); judged on pairs drawn from the other halves. It picks
  the conversation with the higher P(synthetic).
- `LLMJudge`: the LLM is shown both (order randomised with the seed) and answers "A" or "B";
  an answer with neither counts as half a loss (a coin flip) and is reported as `undecided`.

Pairs: each synthetic conversation is shown beside the real conversation of the *same two users* where the real
data has one (the paper's design; `same_users.py`), else beside a seeded random one, and the result counts how
each pair was made and why (`pairing`). Under a pair limit, synthetic conversations with a same-users partner
are drawn first. The classifier judge is fitted on halves that keep a same-users group together, so a matched
pair is never half in the fitting data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models import GenerationParams
from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.tasks import run_task
from synthetic_persona_chat.tasks.detection_judge import DetectionJudge
from synthetic_persona_chat.text import render_conversation

from .quality_result import DetectionJson, IterationLosses
from .same_users import SAME_USERS, RealIndex, pair_key, pairing_summary
from .stats import wilson

# The paper's human Turing test (arXiv:2312.10007v1 Table 3, "Lose" column): 200 pairs per iteration, each judged
# by 3 annotators, majority vote. Kept with its pair count so that the reference carries its own interval.
PAPER_HUMAN_LOSING = {"1": 0.172, "2": 0.185, "3": 0.088}
PAPER_HUMAN_PAIRS = 200


def paper_reference() -> str:
    """"paper (human judges, ...): 17.2% [12.6, 23.0] -> ..." with Wilson 95% intervals over its 200 pairs."""
    parts = []
    for it, rate in PAPER_HUMAN_LOSING.items():
        lo, hi = wilson(rate * PAPER_HUMAN_PAIRS, PAPER_HUMAN_PAIRS)
        parts.append(f"iteration {it} {100 * rate:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}]")
    return (f"paper (human judges, SPC vs Persona-Chat, {PAPER_HUMAN_PAIRS} pairs per iteration, majority of 3 "
            f"annotators; arXiv:2312.10007v1 Table 3; Wilson 95%): " + ", ".join(parts))


def conversation_text(conv: Conversation) -> str:
    """What a judge reads: the dialogue only (no persona, no provenance)."""
    return render_conversation(conv.turns)


@dataclass
class Pair:
    real: Conversation
    synthetic: Conversation
    reason: str = ""  # same_users.SAME_USERS, or "random: <why>"


def split_half(convs: list[Conversation], seed: int, tag: str) -> tuple[list[Conversation], list[Conversation]]:
    ordered = sorted(convs, key=lambda c: c.id)
    random.Random(f"detect:{seed}:{tag}").shuffle(ordered)
    half = len(ordered) // 2
    return ordered[:half], ordered[half:]


Halves = tuple[list[Conversation], list[Conversation]]


def paired_halves(real: list[Conversation], synthetic: list[Conversation], seed: int) -> tuple[Halves, Halves]:
    """((real fit, real test), (synthetic fit, synthetic test)): user pairs present on both sides are split
    once, as groups, so a same-users match stays on one side; the rest is halved as before (`split_half`).
    Where the groups cannot be split so that every half holds a conversation (one pair behind everything),
    the plain halves are used; matches are then made within the test halves."""
    shared = {pair_key(c) for c in real} & {pair_key(c) for c in synthetic} - {None}
    order = sorted(shared, key=lambda k: sorted(sorted(p) for p in k))
    random.Random(f"detect:{seed}:shared").shuffle(order)
    fit_keys = set(order[: len(order) // 2])

    def halves(convs: list[Conversation], tag: str) -> Halves:
        fit, test = split_half([c for c in convs if pair_key(c) not in shared], seed, tag)
        grouped = [c for c in convs if pair_key(c) in shared]
        return (fit + [c for c in grouped if pair_key(c) in fit_keys],
                test + [c for c in grouped if pair_key(c) not in fit_keys])

    grouped = halves(real, "real"), halves(synthetic, "synthetic")
    if all(half for side in grouped for half in side):
        return grouped
    return split_half(real, seed, "real"), split_half(synthetic, seed, "synthetic")


def make_pairs(real: list[Conversation], synthetic: list[Conversation], seed: int,
               limit: int | None = None) -> list[Pair]:
    """Each synthetic conversation with the same users' real one, else a seeded random one (real ones reused
    when fewer); under `limit`, synthetic conversations with a same-users partner first."""
    if not real or not synthetic:
        raise ValueError("the detection test needs real and synthetic conversations")
    rng = random.Random(f"pairs:{seed}")
    index = RealIndex(real)
    synth = sorted(synthetic, key=lambda c: c.id)
    if limit is not None and len(synth) > limit:
        matched = [s for s in synth if index.has_pair(s)]
        rest = [s for s in synth if not index.has_pair(s)]
        synth = (rng.sample(matched, limit) if len(matched) >= limit
                 else matched + rng.sample(rest, limit - len(matched)))
    return [Pair(m.real, m.synthetic, m.reason) for m in (index.match(s, rng) for s in synth)]


class ClassifierJudge:
    kind = "classifier"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._model = None

    def fit(self, real: list[Conversation], synthetic: list[Conversation]) -> "ClassifierJudge":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        texts = [conversation_text(c) for c in real + synthetic]
        labels = [0] * len(real) + [1] * len(synthetic)
        self._model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                                    LogisticRegression(max_iter=1000, class_weight="balanced",
                                                       random_state=self.seed))
        self._model.fit(texts, labels)
        return self

    def judge(self, pairs: list[Pair]) -> list[float]:
        """Loss per pair: 1.0 when the real one looks more synthetic, 0.5 on a tie, else 0.0."""
        if self._model is None:
            raise RuntimeError("fit the classifier judge before judging")
        p_real = self._model.predict_proba([conversation_text(p.real) for p in pairs])[:, 1]
        p_syn = self._model.predict_proba([conversation_text(p.synthetic) for p in pairs])[:, 1]
        return [1.0 if r > s else 0.5 if r == s else 0.0 for r, s in zip(p_real, p_syn)]

    def describe(self) -> JsonObject:
        return {"kind": self.kind, "model": "tf-idf(1-2 grams) + logistic regression", "seed": self.seed}


class LLMJudge:
    kind = "llm"

    def __init__(self, llm: Any, seed: int = 0, max_tokens: int = 4) -> None:
        self.llm, self.seed = llm, seed
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0, top_k=1, n=1)
        self.undecided = 0

    def judge(self, pairs: list[Pair]) -> list[float]:
        rng = random.Random(f"llm-judge:{self.seed}")
        synth_is_a = [rng.random() < 0.5 for _ in pairs]
        rows = []
        for p, a_syn in zip(pairs, synth_is_a):
            a, b = (p.synthetic, p.real) if a_syn else (p.real, p.synthetic)
            rows.append({"a": conversation_text(a), "b": conversation_text(b)})
        losses = []
        for named, a_syn in zip(run_task(self.llm, DetectionJudge(), rows, self.params), synth_is_a):
            if named is None:
                self.undecided += 1
                losses.append(0.5)
            else:
                losses.append(0.0 if (named == "A") == a_syn else 1.0)
        return losses

    def describe(self) -> JsonObject:
        return {"kind": self.kind, "judge": self.llm.describe() if hasattr(self.llm, "describe") else str(self.llm)}


def detection_test(real: list[Conversation], synthetic: list[Conversation], judge: str | Any = "classifier",
                   seed: int = 0, pairs_limit: int | None = None) -> DetectionJson:
    """Losing rate overall and per iteration of the synthetic conversation (`iteration`, or "none")."""
    if judge == "classifier" or isinstance(judge, ClassifierJudge):
        j = judge if isinstance(judge, ClassifierJudge) else ClassifierJudge(seed)
        (real_fit, real_test), (syn_fit, syn_test) = paired_halves(real, synthetic, seed)
        if not real_fit or not syn_fit:
            raise ValueError("the classifier judge needs at least 2 real and 2 synthetic conversations")
        j.fit(real_fit, syn_fit)
        pairs = make_pairs(real_test, syn_test, seed, pairs_limit)
    else:
        j = judge
        pairs = make_pairs(real, synthetic, seed, pairs_limit)
    losses = np.asarray(j.judge(pairs), dtype=np.float64)
    per_iter: dict[str, list[Pair]] = {}
    loss_of = {id(p): float(loss) for p, loss in zip(pairs, losses)}
    for p in pairs:
        per_iter.setdefault(str(p.synthetic.iteration) if p.synthetic.iteration is not None else "none", []).append(p)
    return DetectionJson(judge=j.describe(), pairs=len(pairs),
                         losing_rate=float(losses.mean()) if losses.size else None,
                         by_iteration={k: IterationLosses(pairs=len(v),
                                                          losing_rate=float(np.mean([loss_of[id(p)] for p in v])),
                                                          same_users=sum(p.reason == SAME_USERS for p in v))
                                       for k, v in sorted(per_iter.items())},
                         pairing=pairing_summary(pairs), undecided=getattr(j, "undecided", 0),
                         reference=paper_reference())
