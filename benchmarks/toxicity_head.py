"""Toxicity head variants side by side (#24 item 5), measured exactly like `spc critic calibrate --expert toxicity`.

Each variant trains the `minilm-toxicity` head (models/toxicity_head.py: train_head) on the labels' training half
and a set of clean negatives, then `calibrate_toxicity` picks its threshold on the calibration half of the SPC
test conversations and reports the held-aside figures. Variants differ in the negatives (the packaged valid
sample or a full SPC valid CSV, without any text that also occurs in the test CSV), C and the calibration budget.
`--compare-head` scores an older head file on the toxic lines that neither it nor the new heads saw, so heads
trained on different labels files are compared on the same lines. `--cv` instead compares feature variants the way
a variant is chosen: 5-fold cross-validated recall over the labels' training half, at the cut that rejects 1% of
the calibration half's conversations (the held-aside half is never read): the shipped features, plus the cosine
to the nearest training-fold offensive lines (leave one out), plus up-weighted hard SPC negatives.

    python benchmarks/toxicity_head.py --test $SPC/Synthetic-Persona-Chat_test.csv \
        --valid $SPC/Synthetic-Persona-Chat_valid.csv --vector-cache /tmp/minilm.sqlite [--compare-head OLD.json]
    python benchmarks/toxicity_head.py --test $SPC/Synthetic-Persona-Chat_test.csv --valid … --cv [--held-aside]

Slow on a loaded 2-core machine (MiniLM embeds ~37k texts once; keep --vector-cache between runs).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from synthetic_persona_chat.generation.critic.toxicity import calibrate_toxicity
from synthetic_persona_chat.label_split import split_labels
from synthetic_persona_chat.models.embedder import Embedder
from synthetic_persona_chat.models.toxicity_head import (CLEAN, HEAD_C, HEAD_FRACTION, HEAD_SEED, TOXIC, features,
                                                         head_scores, load_head, load_toxicity_labels, train_head)
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import sample_path


class CachedFeatures:
    """Every text's feature row computed once (MiniLM + profanity-check), shared by all variants."""

    def __init__(self, texts: list[str], embedder: Embedder) -> None:
        from profanity_check import predict_prob

        self.row = {t: i for i, t in enumerate(texts)}
        self.x = features(texts, embedder, predict_prob)
        self.dim = embedder.dim

    def encode(self, texts: list[str]) -> np.ndarray:  # train_head's embedder: the vector columns
        return self.x[[self.row[t] for t in texts], :-1]

    def profanity(self, texts: list[str]) -> np.ndarray:  # ... and its profanity-check column
        return self.x[[self.row[t] for t in texts], -1]


class HeadScorer:
    """A head scored on the cached features, in the shape calibrate_toxicity expects of a scorer."""

    kind = "minilm-toxicity"

    def __init__(self, head: dict[str, Any], feats: CachedFeatures) -> None:
        self._head, self._feats = head, feats

    def scores(self, texts: list[str]) -> np.ndarray:
        return head_scores(self._head, np.hstack([self._feats.encode(texts),
                                                  self._feats.profanity(texts).reshape(-1, 1)]))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}


def utterances(path: Any) -> list[str]:
    convs, _ = read_spc_csv(path)
    return sorted({t.text for c in convs for t in c.turns})


def line(name: str, res: dict[str, Any]) -> str:
    f, r = res["conversation_fpr"], res["inserted_recall"]
    kinds = " ".join(f"{k} {v['hits']}/{v['n']}" for k, v in r["by_kind"].items())
    return (f"{name:34s} cut {res['threshold']:.3f} | clean rejected {f['hits']}/{f['n']} {f['rate']:.2%} "
            f"{f['ci95']} | caught {r['hits']}/{r['n']} {r['rate']:.1%} {r['ci95']} | {kinds} | AUROC {res['auroc']}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--test", required=True, help="SPC test CSV: the calibration (threshold + held-aside figures)")
    p.add_argument("--valid", required=True, help="full SPC valid CSV: the 'full' negatives variant")
    p.add_argument("--vector-cache", help="MiniLM vector cache file")
    p.add_argument("--compare-head", help="an older head JSON, scored on the lines no head here saw")
    p.add_argument("--cv", action="store_true", help="cross-validated recall of feature variants (training half)")
    p.add_argument("--held-aside", action="store_true", help="with --cv: each variant's held-aside figures too")
    args = p.parse_args()
    if args.cv:
        cross_validate(args)
        return
    labelled = load_toxicity_labels()
    train, _ = split_labels(labelled, HEAD_SEED, HEAD_FRACTION, labels=(TOXIC, CLEAN))
    test_convs, _ = read_spc_csv(args.test)
    test_texts = set(utterances(args.test))
    negatives = {"sample": utterances(sample_path("valid")),
                 "full": [t for t in utterances(args.valid) if t not in test_texts]}
    texts = list(dict.fromkeys([it.text for it in labelled] + sorted(test_texts) + negatives["sample"]
                               + negatives["full"]))
    feats = CachedFeatures(texts, Embedder("minilm", cache_path=args.vector_cache))
    print(f"negatives: sample {len(negatives['sample'])}, full valid {len(negatives['full'])} "
          f"(texts also in the test CSV left out); {len(test_convs)} test conversations")
    heads = {}
    for neg, c, budget in [("sample", HEAD_C, 0.01), ("full", HEAD_C, 0.01), ("full", 10.0, 0.01),
                           ("sample", HEAD_C, 0.015), ("full", HEAD_C, 0.015)]:
        head = heads.setdefault((neg, c), train_head(train, negatives[neg], feats, feats.profanity, c=c))
        print(line(f"{neg} C={c} budget {budget:.1%}", calibrate_toxicity(HeadScorer(head, feats), test_convs,
                                                                         labelled, max_fpr=budget)), flush=True)
    if args.compare_head:
        compare(load_head(args.compare_head), heads[("sample", HEAD_C)], feats, test_convs, labelled)


def compare(old: dict[str, Any], new: dict[str, Any], feats: CachedFeatures, convs: list[Any],
            labelled: list[Any]) -> None:
    """Both heads at their own calibrated cut, on the toxic lines neither saw in training."""
    seen = set(old["trained_on"]["labelled_keys"]) | set(new["trained_on"]["labelled_keys"])
    common = [it for it in labelled if it.label == TOXIC and it.key not in seen]
    for name, head in (("older head", old), ("new head (sample, C=3)", new)):
        scorer = HeadScorer(head, feats)
        res = calibrate_toxicity(scorer, convs, labelled, max_fpr=0.01)
        caught = scorer.scores([it.text for it in common]) > res["threshold"]
        kinds = " ".join(f"{k} {sum(c for c, it in zip(caught, common) if it.kind == k)}/"
                         f"{sum(it.kind == k for it in common)}" for k in sorted({it.kind for it in common}))
        print(line(name + " (own unseen)", res))
        print(f"  on the {len(common)} lines neither head saw: caught {int(caught.sum())} ({kinds})")


def nearest_toxic(feats: CachedFeatures, texts: list[str], refs: list[str]) -> np.ndarray:
    """Cosine to the nearest and mean of the 3 nearest offensive reference lines; a line is not its own neighbour."""
    sims = feats.encode(texts) @ feats.encode(refs).T
    own = {t: j for j, t in enumerate(refs)}
    for i, t in enumerate(texts):
        if t in own:
            sims[i, own[t]] = -1.0
    sims.sort(axis=1)
    return np.hstack([sims[:, -1:], sims[:, -3:].mean(axis=1, keepdims=True)])


class VariantHead:
    """A logistic head on the shipped features, optionally + nearest-offensive-line cosines and weighted negatives."""

    def __init__(self, feats: CachedFeatures, knn: bool, c: float, hard: tuple[int, float] | None = None) -> None:
        self.feats, self.knn, self.c, self.hard = feats, knn, c, hard

    def rows(self, texts: list[str]) -> np.ndarray:
        x = self.feats.x[[self.feats.row[t] for t in texts]]
        return np.hstack([x, nearest_toxic(self.feats, texts, self.refs)]) if self.knn else x

    def fit(self, lab: list[Any], negatives: list[str]) -> "VariantHead":
        from sklearn.linear_model import LogisticRegression

        self.refs = [it.text for it in lab if it.label == TOXIC]
        texts = [it.text for it in lab] + negatives
        y = np.array([it.label == TOXIC for it in lab] + [False] * len(negatives))
        weight = np.ones(len(texts))
        if self.hard:  # the negatives a first fit scores highest, weighted up: the clean tail that sets the cut
            top, w = self.hard
            first = VariantHead(self.feats, self.knn, self.c).fit(lab, negatives).scores(negatives)
            weight[len(lab) + np.argsort(-first)[:top]] = w
        self.model = LogisticRegression(C=self.c, class_weight="balanced", max_iter=5000).fit(
            self.rows(texts), y, sample_weight=weight)
        self._head = {"trained_on": {"labelled_keys": [it.key for it in lab]}}  # calibrate_toxicity: seen lines
        return self

    def describe(self) -> dict[str, Any]:
        return {"kind": "minilm-toxicity variant"}

    def scores(self, texts: list[str]) -> np.ndarray:
        return self.model.predict_proba(self.rows(texts))[:, 1]


def cross_validate(args: argparse.Namespace, folds: int = 5, budget: float = 0.01) -> None:
    """Each variant's recall on held-out folds of the training half's offensive lines, per kind."""
    from synthetic_persona_chat.generation.critic.toxicity import _Clean, fpr_threshold

    labelled = load_toxicity_labels()
    train, _ = split_labels(labelled, HEAD_SEED, HEAD_FRACTION, labels=(TOXIC, CLEAN))
    test_convs, _ = read_spc_csv(args.test)
    cal, _ = split_labels([_Clean(i) for i in range(len(test_convs))], 0, 0.5, labels=("clean",))
    cal_convs = [test_convs[it.index] for it in cal]
    cal_texts = sorted({t.text for c in cal_convs for t in c.turns})
    negatives = utterances(sample_path("valid"))
    all_test = utterances(args.test)
    feats = CachedFeatures(list(dict.fromkeys([it.text for it in labelled] + all_test + negatives)),
                           Embedder("minilm", cache_path=args.vector_cache))
    fold = np.random.default_rng(0).integers(0, folds, len(train))
    for name, knn, c, hard in [("shipped features, C=3", False, HEAD_C, None), ("shipped features, C=10", False, 10.0, None),
                               ("+ nearest offensive lines, C=3", True, HEAD_C, None),
                               ("+ nearest offensive lines, C=10", True, 10.0, None),
                               ("hard negatives top 50 x20, C=3", False, HEAD_C, (50, 20.0))]:
        caught: dict[str, list[int]] = {}
        for f in range(folds):
            head = VariantHead(feats, knn, c, hard).fit([it for it, g in zip(train, fold) if g != f], negatives)
            score = dict(zip(cal_texts, head.scores(cal_texts)))
            cut = fpr_threshold(np.array([max(score[t.text] for t in conv.turns) for conv in cal_convs]), budget)
            out = [it for it, g in zip(train, fold) if g == f and it.label == TOXIC]
            for it, hit in zip(out, head.scores([it.text for it in out]) > cut):
                caught.setdefault(it.kind, []).append(int(hit))
        hits, n = sum(sum(v) for v in caught.values()), sum(len(v) for v in caught.values())
        kinds = " ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(caught.items()))
        print(f"{name:34s} cv recall {hits}/{n} {hits / n:.3f} | {kinds}", flush=True)
        if args.held_aside:  # once, after choosing: the whole training half, figures on the held-aside half
            head = VariantHead(feats, knn, c, hard).fit(train, negatives)
            print("  held-aside: " + line("", calibrate_toxicity(head, test_convs, labelled, max_fpr=budget)).strip(),
                  flush=True)


if __name__ == "__main__":
    main()
