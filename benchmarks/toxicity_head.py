"""Toxicity head variants side by side (#24 item 5), measured exactly like `spc critic calibrate --expert toxicity`.

Each variant trains the `minilm-toxicity` head (models/toxicity_head.py: train_head) on the labels' training half
and a set of clean negatives, then `calibrate_toxicity` picks its threshold on the calibration half of the SPC
test conversations and reports the held-aside figures. Variants differ in the negatives (the packaged valid
sample or a full SPC valid CSV, without any text that also occurs in the test CSV), C and the calibration budget.
`--compare-head` scores an older head file on the toxic lines that neither it nor the new heads saw, so heads
trained on different labels files are compared on the same lines. `--cv` instead compares feature variants the way
a variant is chosen: 5-fold cross-validated recall over the labels' training half, at the cut that rejects 1% of
the calibration half's conversations (the held-aside half is never read): the shipped features, plus the cosine
to the nearest training-fold offensive lines (leave one out), plus up-weighted hard SPC negatives. `--pooling`
(round 4) compares the sentence vector with MiniLM's pooled token vectors, each with and without the n-gram model.

    python benchmarks/toxicity_head.py --test $SPC/Synthetic-Persona-Chat_test.csv \
        --valid $SPC/Synthetic-Persona-Chat_valid.csv --vector-cache /tmp/minilm.sqlite [--compare-head OLD.json]
    python benchmarks/toxicity_head.py --test $SPC/Synthetic-Persona-Chat_test.csv --valid … --cv [--held-aside]
    python benchmarks/toxicity_head.py --test $SPC/Synthetic-Persona-Chat_test.csv --valid … --pooling

Slow on a loaded 2-core machine (MiniLM embeds ~37k texts once; keep --vector-cache between runs).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from synthetic_persona_chat.generation.critic.toxicity import calibrate_toxicity
from synthetic_persona_chat.label_split import split_labels
from synthetic_persona_chat.models.embedder import Embedder
from synthetic_persona_chat.models.toxicity_features import PooledEncoder
from synthetic_persona_chat.models.toxicity_head import (CLEAN, HEAD_C, HEAD_FRACTION, HEAD_SEED, NGRAM_C, TOXIC,
                                                         features, head_scores, load_head, load_toxicity_labels,
                                                         train_head)
from synthetic_persona_chat.readers import read_spc_csv
from synthetic_persona_chat.sample_data import sample_path


class CachedFeatures:
    """Every text's feature row computed once (MiniLM pooled token vectors + profanity-check), shared by all
    variants. `columns` picks a block: all of it (the shipped head's) or the sentence vector alone (rounds 1-3)."""

    def __init__(self, texts: list[str], embedder: Embedder, columns: "slice | None" = None,
                 _x: "np.ndarray | None" = None) -> None:
        from profanity_check import predict_prob

        self.row = {t: i for i, t in enumerate(texts)}
        self.x = features(texts, PooledEncoder(embedder), predict_prob) if _x is None else _x
        self.sentence_dim = embedder.dim
        self.columns = columns or slice(0, self.x.shape[1] - 1)
        self.dim = len(range(*self.columns.indices(self.x.shape[1] - 1)))
        self._embedder = embedder

    def view(self, block: str) -> "CachedFeatures":
        """The same rows, `pooled` (all vector columns) or `sentence` (the first block)."""
        cols = slice(0, self.sentence_dim) if block == "sentence" else None
        return CachedFeatures(list(self.row), self._embedder, cols, _x=self.x)

    def encode(self, texts: list[str]) -> np.ndarray:  # train_head's embedder: the vector columns
        return self.x[[self.row[t] for t in texts], self.columns]

    def profanity(self, texts: list[str]) -> np.ndarray:  # ... and its profanity-check column
        return self.x[[self.row[t] for t in texts], -1]


class HeadScorer:
    """A head scored on the cached features, in the shape calibrate_toxicity expects of a scorer; a head of
    rounds 1-3 (sentence vector only) reads the sentence block."""

    kind = "minilm-toxicity"

    def __init__(self, head: dict[str, Any], feats: CachedFeatures) -> None:
        self._head = head
        self._feats = feats.view("sentence") if len(head["weights"]) == feats.sentence_dim + 1 else feats

    def scores(self, texts: list[str]) -> np.ndarray:
        return head_scores(self._head, np.hstack([self._feats.encode(texts),
                                                  self._feats.profanity(texts).reshape(-1, 1)]), list(texts))

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
    p.add_argument("--pooling", action="store_true", help="round 4: sentence vector vs pooled token vectors, each "
                   "with and without the n-gram model (held-aside figures and the recall frontier)")
    p.add_argument("--fresh", help="a labels-format file of lines no head was trained on: the shipped head and "
                   "--compare-head scored on them at their own calibrated cuts")
    p.add_argument("--cost", type=int, metavar="N", help="seconds per utterance of the shipped scorer and of "
                   "--compare-head's, uncached, on N SPC test lines, interleaved in one process")
    args = p.parse_args()
    if args.pooling:
        pooling(args)
        return
    if args.fresh or args.cost:
        heads = {"shipped head": load_head(), **({"--compare-head": load_head(args.compare_head)}
                                                  if args.compare_head else {})}
        fresh(args, heads) if args.fresh else cost(args, heads)
        return
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
        head = heads.setdefault((neg, c), train_head(train, negatives[neg], feats, feats.profanity, c=c))  # shipped shape
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


def pooling(args: argparse.Namespace) -> None:
    """Round 4's variants on the current labels, the shipped recipe otherwise (sample negatives, C, a 1% budget):
    the calibrated held-aside row, then the frontier (recall on the unseen lines at the cut that rejects at most
    4 and 9 of the held-aside conversations: 0.8% and 1.9%; a ranking figure, never used to choose the cut)."""
    labelled = load_toxicity_labels()
    train, _ = split_labels(labelled, HEAD_SEED, HEAD_FRACTION, labels=(TOXIC, CLEAN))
    test_convs, _ = read_spc_csv(args.test)
    negatives = utterances(sample_path("valid"))
    feats = CachedFeatures(list(dict.fromkeys([it.text for it in labelled] + utterances(args.test) + negatives)),
                           Embedder("minilm", cache_path=args.vector_cache))
    for name, block, ngram_c in [("sentence vector (rounds 1-3)", "sentence", None),
                                 ("sentence vector + n-grams", "sentence", NGRAM_C),
                                 ("pooled tokens", "pooled", None), ("pooled tokens + n-grams (shipped)", "pooled", NGRAM_C)]:
        view = feats.view(block)
        scorer = HeadScorer(train_head(train, negatives, view, view.profanity, ngram_c=ngram_c), view)
        res = calibrate_toxicity(scorer, test_convs, labelled)
        print(line(name, res), flush=True)
        print("  frontier: " + " | ".join(f"<= {k}/{n}: caught {hits}/{len(unseen)}" for k, n, hits, unseen in
                                         frontier(scorer, test_convs, labelled, res)), flush=True)


def frontier(scorer: HeadScorer, convs: list[Any], labelled: list[Any], res: dict[str, Any]) -> list[Any]:
    """(k, held-aside n, unseen lines caught, unseen lines) at the cut between the k-th and k+1-th worst
    held-aside conversations, as calibrate_toxicity splits them."""
    from synthetic_persona_chat.generation.critic.toxicity import _Clean

    _, held = split_labels([_Clean(i) for i in range(len(convs))], res["split"]["seed"],
                           res["split"]["calibration_fraction"], labels=("clean",))
    texts = sorted({t.text for it in held for t in convs[it.index].turns})
    score = dict(zip(texts, scorer.scores(texts)))
    worst = np.sort([max(score[t.text] for t in convs[it.index].turns) for it in held])[::-1]
    seen = set(scorer._head["trained_on"]["labelled_keys"])
    unseen = [it.text for it in labelled if it.label == TOXIC and it.key not in seen]
    s = scorer.scores(unseen)
    return [(k, len(held), int((s > worst[k]).sum()), unseen) for k in (4, 9)]


def fresh(args: argparse.Namespace, heads: dict[str, Any]) -> None:
    """Each head at the cut it calibrates to (the shipped recipe) on lines written after it was trained."""
    lines = [it for it in load_toxicity_labels(args.fresh) if it.label == TOXIC]
    labelled = load_toxicity_labels()
    test_convs, _ = read_spc_csv(args.test)
    feats = CachedFeatures(list(dict.fromkeys([it.text for it in labelled + lines] + utterances(args.test))),
                           Embedder("minilm", cache_path=args.vector_cache))
    for name, head in heads.items():
        scorer = HeadScorer(head, feats)
        cut = calibrate_toxicity(scorer, test_convs, labelled)["threshold"]
        hit = scorer.scores([it.text for it in lines]) > cut
        kinds = " ".join(f"{k} {sum(h for h, it in zip(hit, lines) if it.kind == k)}/{sum(it.kind == k for it in lines)}"
                         for k in sorted({it.kind for it in lines}))
        print(f"{name:16s} cut {cut:.3f}: fresh lines caught {int(hit.sum())}/{len(lines)} | {kinds}", flush=True)
        print("  missed: " + " | ".join(it.text for h, it in zip(hit, lines) if not h), flush=True)


def cost(args: argparse.Namespace, heads: dict[str, Any], rounds: int = 3) -> None:
    """Scoring cost without any cache (the main job scores new lines), interleaved so load drifts hit both alike."""
    import time

    from profanity_check import predict_prob

    from synthetic_persona_chat.models.toxicity import head_encoder

    texts = utterances(args.test)[:args.cost]
    spent: dict[str, list[float]] = {name: [] for name in heads}
    for r in range(rounds):
        for name, head in heads.items():
            encoder = head_encoder(head, Embedder("minilm"))  # a fresh, cacheless embedder each time
            start = time.perf_counter()
            head_scores(head, features(texts, encoder, predict_prob), texts)
            spent[name].append((time.perf_counter() - start) / len(texts))
    base = min(spent[next(iter(spent))])
    for name, s in spent.items():
        print(f"{name:16s} {min(s) * 1e3:.2f} ms/utterance (best of {rounds}; {min(s) / base:.2f}x the first)")


def nearest_toxic(feats: CachedFeatures, texts: list[str], refs: list[str]) -> np.ndarray:
    """Cosine to the nearest and mean of the 3 nearest offensive reference lines; a line is not its own neighbour."""
    sentence = feats.view("sentence")  # the sentence vectors, as in round 3
    sims = sentence.encode(texts) @ sentence.encode(refs).T
    own = {t: j for j, t in enumerate(refs)}
    for i, t in enumerate(texts):
        if t in own:
            sims[i, own[t]] = -1.0
    sims.sort(axis=1)
    return np.hstack([sims[:, -1:], sims[:, -3:].mean(axis=1, keepdims=True)])


class VariantHead:
    """A logistic head on a feature view (the sentence vector in round 3), optionally + nearest-offensive-line
    cosines and weighted negatives."""

    def __init__(self, feats: CachedFeatures, knn: bool, c: float, hard: tuple[int, float] | None = None) -> None:
        self.feats, self.knn, self.c, self.hard = feats, knn, c, hard

    def rows(self, texts: list[str]) -> np.ndarray:
        x = np.hstack([self.feats.encode(texts), self.feats.profanity(texts).reshape(-1, 1)])
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
    sentence = feats.view("sentence")
    variants = {name: (lambda lab, neg, v=sentence, k=knn, c=c, h=hard: VariantHead(v, k, c, h).fit(lab, neg))
                for name, knn, c, hard in [("sentence vector, C=3", False, HEAD_C, None),
                                           ("sentence vector, C=10", False, 10.0, None),
                                           ("+ nearest offensive lines, C=3", True, HEAD_C, None),
                                           ("+ nearest offensive lines, C=10", True, 10.0, None),
                                           ("hard negatives top 50 x20, C=3", False, HEAD_C, (50, 20.0))]}
    variants["pooled tokens, C=3"] = lambda lab, neg: VariantHead(feats, False, HEAD_C).fit(lab, neg)
    variants["pooled + n-grams (shipped)"] = lambda lab, neg: HeadScorer(
        train_head(lab, neg, feats, feats.profanity), feats)
    for name, make in variants.items():
        caught: dict[str, list[int]] = {}
        for f in range(folds):
            head = make([it for it, g in zip(train, fold) if g != f], negatives)
            score = dict(zip(cal_texts, head.scores(cal_texts)))
            cut = fpr_threshold(np.array([max(score[t.text] for t in conv.turns) for conv in cal_convs]), budget)
            out = [it for it, g in zip(train, fold) if g == f and it.label == TOXIC]
            for it, hit in zip(out, head.scores([it.text for it in out]) > cut):
                caught.setdefault(it.kind, []).append(int(hit))
        hits, n = sum(sum(v) for v in caught.values()), sum(len(v) for v in caught.values())
        kinds = " ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(caught.items()))
        print(f"{name:34s} cv recall {hits}/{n} {hits / n:.3f} | {kinds}", flush=True)
        if args.held_aside:  # once, after choosing: the whole training half, figures on the held-aside half
            head = make(train, negatives)
            print("  held-aside: " + line("", calibrate_toxicity(head, test_convs, labelled, max_fpr=budget)).strip(),
                  flush=True)


if __name__ == "__main__":
    main()
