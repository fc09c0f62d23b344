"""Dataset quality: faithfulness, persona coverage, diversity, lengths, toxicity, template leftovers.

Each metric is a plain function of a list of `Conversation`s (and the model it needs), so
they compose; `dataset_quality` runs them all for one dataset.

- faithfulness: share of utterances that contradict the *speaker's own* persona, judged by the
  contradiction checker with premise = the persona's attributes joined, hypothesis = the
  utterance. The default checker is an LLM judge, so a seeded `sample` of utterances is checked
  (all when `sample` is None); the judge's undecided answers are counted and reported.
- persona coverage: an attribute counts as expressed when some utterance of its speaker has
  embedding cosine >= `coverage_threshold` with it. Default 0.5 with all-MiniLM-L6-v2: on 20
  SPC test conversations 39% of a speaker's own attributes pass it vs 9% of a *mismatched*
  persona's attributes (measured while choosing it); the figure is a relative one, compare
  datasets with the same embedder and threshold.
- distinct-1/2, vocabulary: over all utterances (lower-cased word tokens, `metrics.tokens`).
- lengths: words per utterance and turns per conversation, summarised and as histograms.
- toxicity: share of utterances scoring >= `toxicity_threshold` (and conversations with one).
- template leftovers: placeholders such as `[User 1's name]`, `{name}`, `<insert city>` left in
  utterances; every occurrence counted, a few examples kept.
- uncertainty: every rate (contradiction, coverage, toxicity) carries `estimate`, its 95% interval
  from a bootstrap over conversations with sample-size flags (`stats.estimate`). Raw distinct-n and
  vocabulary depend on corpus size; compare datasets with `diversity.size_matched` instead.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from synthetic_persona_chat.coverage import attribute_similarities
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models.contradiction import calibration_of
from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.text import PLACEHOLDER

from .metrics import describe, distinct_n, tokens, vocabulary_size
from .quality_result import (DatasetQuality, Diversity, Faithfulness, IterationQuality, Lengths, PersonaCoverage,
                             TemplateLeftovers, Toxicity)
from .stats import estimate

LENGTH_BINS = [0, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 10_000]
TURN_BINS = [0, 4, 8, 10, 12, 14, 16, 18, 20, 25, 30, 10_000]
TEMPLATE_LEFTOVER = PLACEHOLDER  # the Critic's structural expert rejects what this counts


@dataclass
class QualityConfig:
    """`[eval_quality]` config section (documented defaults, see the module docstring)."""

    seed: int = 0
    faithfulness_sample: int | None = 200  # utterances per dataset sent to the checker; None = all
    contradiction_threshold: float = 0.5
    coverage_threshold: float = 0.5
    toxicity_threshold: float = 0.5
    batch_size: int = 64  # pairs per checker call
    detection_judge: str = "classifier"  # "classifier" (TF-IDF + logistic regression) or "llm"
    detection_pairs: int | None = 200  # judged pairs for the LLM judge; None = all
    # size-matched diversity (`diversity.DiversityConfig`): seeded draws of the same token budget per dataset
    diversity_draws: int = 10
    diversity_max_tokens: int = 20_000
    diversity_fraction: float = 0.5  # budget = min(max_tokens, fraction x the smallest dataset's tokens)
    diversity_conversations: int = 200  # conversations per draw for embedding diversity

    def to_dict(self) -> JsonObject:  # every field a number, a string or None
        return asdict(self)


def utterances(convs: list[Conversation]) -> list[str]:
    return [t.text for c in convs for t in c.turns]


def diversity(convs: list[Conversation]) -> Diversity:
    texts = utterances(convs)
    return Diversity.from_json({"distinct-1": distinct_n(texts, 1), "distinct-2": distinct_n(texts, 2),
                                "vocabulary": vocabulary_size(texts), "utterances": len(texts),
                                "conversations": len(convs)})


def lengths(convs: list[Conversation], seed: int = 0) -> Lengths:
    words = [len(tokens(t)) for t in utterances(convs)]
    turns = [len(c.turns) for c in convs]
    return Lengths.from_json({
        "utterance_words": describe(words), "turns": describe(turns),
        "utterance_words_histogram": _hist(words, LENGTH_BINS), "turns_histogram": _hist(turns, TURN_BINS),
        "estimates": {"words_per_utterance": estimate(words, [c.id for c in convs for _ in c.turns], "utterances",
                                                      seed=seed, max_width=None),
                      "turns": estimate(turns, [c.id for c in convs], "conversations", seed=seed, max_width=None)}})


def _hist(values: list[int], bins: list[int]) -> dict[str, list]:
    counts, _ = np.histogram(values, bins=bins)
    return {"bins": list(bins), "counts": [int(c) for c in counts]}


def template_leftovers(convs: list[Conversation], examples: int = 5, seed: int = 0) -> TemplateLeftovers:
    found = [(c.id, m.group(0)) for c in convs for t in c.turns for m in TEMPLATE_LEFTOVER.finditer(t.text)]
    with_leftover = {cid for cid, _ in found}
    rate = estimate([float(c.id in with_leftover) for c in convs], [c.id for c in convs], "conversations", seed=seed)
    return TemplateLeftovers.from_json({"count": len(found), "conversations": len(with_leftover),
                                        "conversation_rate": rate,
                                        "examples": [f"{cid}: {text}" for cid, text in found[:examples]]})


def toxicity(convs: list[Conversation], scorer: Any, threshold: float = 0.5, seed: int = 0) -> Toxicity:
    texts = utterances(convs)
    scores = np.asarray(scorer.scores(texts), dtype=np.float64) if texts else np.zeros(0)
    toxic = scores >= threshold
    per_conv, i = [], 0
    for c in convs:
        per_conv.append(bool(toxic[i:i + len(c.turns)].any()))
        i += len(c.turns)
    groups = [c.id for c in convs for _ in c.turns]
    return Toxicity.from_json({
        "rate": float(toxic.mean()) if texts else 0.0, "toxic_utterances": int(toxic.sum()),
        "conversations_with_toxic": int(sum(per_conv)), "threshold": threshold,
        "estimate": estimate(toxic.astype(np.float64), groups, "utterances", seed=seed),
        "scorer": scorer.describe() if hasattr(scorer, "describe") else str(scorer)})


def faithfulness(convs: list[Conversation], checker: Any, sample: int | None = 200, seed: int = 0,
                 threshold: float = 0.5, batch_size: int = 64) -> Faithfulness:
    """Contradiction rate of utterances against their speaker's own persona (seeded sample)."""
    pairs = [(" ".join(c.persona_of(t.speaker)), t.text, c.id) for c in sorted(convs, key=lambda c: c.id)
             for t in c.turns if c.persona_of(t.speaker)]
    total = len(pairs)
    if sample is not None and total > sample:
        pairs = random.Random(f"faithfulness:{seed}").sample(pairs, sample)
    scores: list[float] = []
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        scores.extend(float(s) for s in checker.scores([p for p, _, _ in chunk], [h for _, h, _ in chunk]))
    s = np.asarray(scores)
    undecided = int(np.isclose(s, 0.5).sum()) if getattr(checker, "kind", "") == "llm-judge" else 0
    info = checker.describe() if hasattr(checker, "describe") else {"kind": str(checker)}
    return Faithfulness.from_json({
        "contradiction_rate": float((s > threshold).mean()) if s.size else float("nan"),
        "checked": int(s.size), "of": total, "undecided": undecided, "threshold": threshold,
        "estimate": estimate((s > threshold).astype(np.float64), [cid for _, _, cid in pairs], "utterances", seed=seed),
        "checker": {**info, "calibration": checker_calibration(checker)}})


def checker_calibration(checker: Any) -> JsonObject | None:
    """The checker's measured AUROC/F1 on labelled pairs (the Critic's calibration), or None.

    A contradiction rate means little without it, so the report prints it beside the rate."""
    cal = calibration_of(checker)
    if not cal and hasattr(checker, "describe"):
        cal = (checker.describe() or {}).get("calibration")
    return cal or None


def persona_coverage(convs: list[Conversation], embedder: Any, threshold: float = 0.5, seed: int = 0
                     ) -> PersonaCoverage:
    """Share of persona attributes expressed by their speaker (`coverage.attribute_similarities`, the
    measure the Critic's persona-expression gate uses)."""
    groups: list[tuple[list[str], list[str]]] = []
    owners: list[str] = []
    for c in convs:
        for sp in ("user 1", "user 2"):
            if c.persona_of(sp):
                groups.append((list(c.persona_of(sp)), [t.text for t in c.turns if t.speaker == sp]))
                owners.append(c.id)
    if not groups:
        return PersonaCoverage(coverage=float("nan"), attributes=0, threshold=threshold)
    sims = attribute_similarities(groups, embedder)
    hits = [float(x >= threshold) for s in sims for x in s]  # one per attribute: expressed (1) or not (0)
    group_ids = [owner for owner, s in zip(owners, sims) for _ in s]
    total = len(hits)
    return PersonaCoverage.from_json({"coverage": sum(hits) / total if total else float("nan"), "attributes": total,
                                      "threshold": threshold, "embedder": getattr(embedder, "model", str(embedder)),
                                      "estimate": estimate(hits, group_ids, "attributes", seed=seed)})


def by_iteration(convs: list[Conversation]) -> dict[str, list[Conversation]]:
    groups: dict[str, list[Conversation]] = {}
    for c in convs:
        groups.setdefault(str(c.iteration) if c.iteration is not None else "none", []).append(c)
    return dict(sorted(groups.items()))


def dataset_quality(convs: list[Conversation], *, checker: Any = None, embedder: Any = None, toxicity_scorer: Any = None,
                    config: QualityConfig = QualityConfig()) -> DatasetQuality:
    """Every metric for one dataset; a metric whose model is not given says so instead of a number."""
    out = DatasetQuality(diversity=diversity(convs), lengths=lengths(convs, config.seed),
                         template_leftovers=template_leftovers(convs, seed=config.seed))
    out.toxicity = (toxicity(convs, toxicity_scorer, config.toxicity_threshold, config.seed)
                    if toxicity_scorer is not None else Toxicity(not_run="no toxicity scorer"))
    out.faithfulness = (faithfulness(convs, checker, config.faithfulness_sample, config.seed,
                                     config.contradiction_threshold, config.batch_size)
                        if checker is not None else Faithfulness(not_run="no contradiction checker"))
    out.persona_coverage = (persona_coverage(convs, embedder, config.coverage_threshold, config.seed)
                            if embedder is not None else PersonaCoverage(not_run="no embedder"))
    iters = by_iteration(convs)
    if len(iters) > 1 or "none" not in iters:
        out.by_iteration = {k: IterationQuality(diversity=diversity(v), template_leftovers=template_leftovers(v).count,
                                                mean_utterance_words=lengths(v).utterance_words.get("mean"))
                            for k, v in iters.items()}
    return out
