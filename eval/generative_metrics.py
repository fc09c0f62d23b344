"""ConvAI2's generative metrics for a causal LM, plus a persona-consistency rate.

Every figure is measured on the *same* NUP examples the ranker track uses (`crosstable._examples`: the
responding speaker's persona, the history, 20 candidates with the gold among them), so the two tracks
are comparable example by example. The model sees an example as the `messages` config shows it
(`builder.messages.perspective`): system = the speaker's persona, the history as user/assistant turns,
and answers as the assistant.

- perplexity of the gold reply: exp of the mean negative log-likelihood per gold token (the reply and
  its end-of-turn token), over all tokens of the test set; its 95% interval is exp of the interval of that
  mean (a bootstrap over conversations; exp is monotone, so the interval carries over exactly).
- unigram F1 of the greedy reply against the gold, after ParlAI's `normalize_answer` (lower case, punctuation
  and the articles a/an/the removed, whitespace collapsed): ParlAI's `F1Metric` with one gold answer.
- hits@1/20 by likelihood: the candidates ranked by their mean log-probability per token given the prompt
  (ParlAI's length-normalised candidate ranking); ties count against the gold (`metrics.gold_ranks`).
- persona consistency: the share of greedy replies the contradiction checker flags against the speaker's own
  persona (premise = the persona's attributes joined, as `quality.faithfulness` asks it), with the
  checker's calibration kept beside the rate (the report prints its AUROC/F1 as the quality table does).

Scoring the 20 candidates shares one prefix: the prompt runs once, its key/value cache is repeated for the
candidates, and only the candidates' tokens run in one batch (`shared_prefix=False` runs 20 full sequences
instead; benchmarks/sft_throughput.py compares the two).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence, TypedDict

import numpy as np

from synthetic_persona_chat.builder.messages import perspective
from synthetic_persona_chat.builder.nup import NUPExample
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.records import Conversation, Skip

from . import stats as S
from .metrics import gold_ranks
from .quality import checker_calibration

# ParlAI's parlai/core/metrics.py
RE_ART = re.compile(r"\b(a|an|the)\b")
RE_PUNC = re.compile(r"[!\"#$%&()*+,-./:;<=>?@\[\]\\^`{|}~_\']")


def normalize_answer(text: str) -> str:
    """ParlAI's normalisation: lower case, punctuation -> space, articles -> space, whitespace collapsed."""
    text = RE_PUNC.sub(" ", str(text).lower())
    text = RE_ART.sub(" ", text)
    return " ".join(text.split())


def unigram_f1(guess: str, gold: str) -> float:
    """ParlAI's unigram F1 (token multiset overlap) of one guess against one gold answer."""
    g, a = normalize_answer(guess).split(), normalize_answer(gold).split()
    same = sum((Counter(g) & Counter(a)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(g), same / len(a)
    return 2 * precision * recall / (precision + recall)


class PerplexityJson(S.EstimateJson, total=False):
    """The perplexity block: exp of the mean NLL per token and of its interval, and the mean NLL itself."""

    mean_nll: float


class ConsistencyJson(TypedDict, total=False):
    """The persona-consistency block: the share of replies the checker flags, or why it was not measured."""

    estimate: S.EstimateJson
    threshold: float
    checker: JsonObject  # the checker's describe() and its calibration record
    per_example: dict[str, list[float]]  # "flags": 1.0 per flagged reply (moved to the block's `per_example`)
    not_run: str


def perplexity(token_logprobs: Sequence[Sequence[float]], groups: Sequence[Any], seed: int = 0) -> PerplexityJson:
    """exp(mean NLL per token) over every gold token, with the exp of the mean's 95% interval over conversations.

    `token_logprobs[i]` are the natural-log probabilities of example i's gold tokens; `groups[i]` its conversation.
    """
    nll = [-float(x) for row in token_logprobs for x in row]
    token_groups = [g for row, g in zip(token_logprobs, groups) for _ in row]
    if not nll:
        return PerplexityJson(value=math.nan, ci=[math.nan, math.nan], n=0, flags=["no gold tokens"])
    est = S.estimate(nll, token_groups, "tokens", seed=seed, max_width=None)
    est.pop("per_conversation")
    out: PerplexityJson = {**est, "value": math.exp(est["value"]), "ci": [math.exp(x) for x in est["ci"]],
                           "mean_nll": est["value"], "method": "exp of the mean NLL per token; " + est["method"]}
    return out


@dataclass
class GenExample:
    """One NUP example as the LM sees it: a chat prompt, the gold reply, the ranker track's 20 candidates."""

    id: str
    conversation_id: str
    persona: list[str]
    prompt: list[dict[str, str]]
    gold: str
    candidates: list[str]
    label: int


def to_generative(rows: list[NUPExample], conversations: list[Conversation], source: str = ""
                  ) -> tuple[list[GenExample], list[Skip]]:
    """NUP rows -> chat prompts through the `messages` converter; a row whose prompt cannot end on the gold
    reply alone (its speaker also said the previous turn, which the converter merges) is skipped, with why."""
    by_id = {c.id: c for c in conversations}
    out, skips = [], []
    for r in rows:
        conv = by_id[r["conversation_id"]]
        messages = perspective(replace(conv, turns=conv.turns[:r["turn"] + 1]), r["speaker"])
        gold = r["candidates"][r["label"]]
        if len(messages) < 2 or messages[-1] != {"role": "assistant", "content": gold}:
            skips.append(Skip(source, r["id"], "the gold reply follows a turn of the same speaker (merged into one "
                                                 "message), so it has no prompt of its own"))
            continue
        out.append(GenExample(r["id"], r["conversation_id"], list(r["persona"]), messages[:-1], gold,
                              list(r["candidates"]), int(r["label"])))
    return out, skips


@dataclass
class ExampleScores:
    """What the LM did on one example: per-token log-probs of every candidate, and its greedy reply."""

    candidate_logprobs: list[np.ndarray]
    reply: str


def hits_key(metrics: Iterable[str]) -> str:
    """The "hits@1/N" key of a metrics block (N = candidates per example: 20 in both test sets)."""
    return next((k for k in metrics if k.startswith("hits@1/")), "hits@1/20")


def candidate_scores(scored: ExampleScores) -> np.ndarray:
    """Mean log-probability per token of each candidate (ParlAI's length-normalised ranking score)."""
    return np.array([float(lp.mean()) if lp.size else -math.inf for lp in scored.candidate_logprobs])


def generative_metrics(examples: list[GenExample], scored: list[ExampleScores], checker: Any = None,
                       threshold: float = 0.5, seed: int = 0) -> JsonObject:
    """Perplexity, F1, hits@1/N and persona consistency with intervals; per-example values for paired tests.
    A JSON object, not a typed row: its hits key follows the candidate count, and `generative.json` stores it
    verbatim (`GenerativeCell.estimate` reads its figures by name)."""
    if len(examples) != len(scored) or not examples:
        raise ValueError(f"need one score per example (>0), got {len(examples)} examples, {len(scored)} scores")
    groups = [e.conversation_id for e in examples]
    n_cand = len(examples[0].candidates)
    gold_lp = [s.candidate_logprobs[e.label] for e, s in zip(examples, scored)]
    ranks = gold_ranks(np.stack([candidate_scores(s) for s in scored]), [e.label for e in examples])
    f1 = [unigram_f1(s.reply, e.gold) for e, s in zip(examples, scored)]
    per_example = {f"hits@1/{n_cand}": (ranks <= 1).astype(np.float64).tolist(), "f1": f1,
                   "gold_nll": [float(-lp.mean()) for lp in gold_lp]}
    out: JsonObject = {"examples": len(examples), "conversations": len(set(groups)),
                           "perplexity": perplexity(gold_lp, groups, seed)}
    for key in (f"hits@1/{n_cand}", "f1"):
        est = S.estimate(per_example[key], groups, "examples", seed=seed)
        est.pop("per_conversation")
        out[key] = est
    out["persona_consistency"] = consistency([e.persona for e in examples], [s.reply for s in scored], groups,
                                             checker, threshold, seed)
    if "flags" in out["persona_consistency"].get("per_example", {}):
        per_example["contradiction"] = out["persona_consistency"]["per_example"].pop("flags")
    out["per_example"] = {"ids": [e.id for e in examples], "groups": groups, **per_example}
    out["samples"] = [{"id": e.id, "gold": e.gold, "reply": s.reply} for e, s in list(zip(examples, scored))[:5]]
    return out


def consistency(personas: list[list[str]], replies: list[str], groups: list[str], checker: Any,
                threshold: float = 0.5, seed: int = 0) -> ConsistencyJson:
    """Share of replies the checker flags against their speaker's persona, with the checker's calibration."""
    if checker is None:
        return ConsistencyJson(not_run="no contradiction checker")
    scores = np.asarray(checker.scores([" ".join(p) for p in personas], replies), dtype=np.float64)
    flagged = (scores > threshold).astype(np.float64)
    est = S.estimate(flagged, groups, "replies", seed=seed)
    est.pop("per_conversation")
    info = checker.describe() if hasattr(checker, "describe") else {"kind": str(checker)}
    return ConsistencyJson(estimate=est, threshold=threshold,
                           checker={**info, "calibration": checker_calibration(checker)},
                           per_example={"flags": flagged.tolist()})
