"""`minilm-toxicity`'s weights: a logistic regression over MiniLM vectors (the sentence vector and the mean and max
of the token vectors, toxicity_features.py) and profanity-check's probability, mixed with a logistic model on
hashed word/char n-grams.

Why not profanity-check alone: its TF-IDF SVM knows swear words, not insults or threats ("You are a waste
of oxygen" scores 0.10), and it trips on everyday words ("I hate rainy days" 0.62, "I'm a single mom"
0.63, "when you grow up" 0.60), so no threshold both keeps clean SPC conversations and catches insults.
No offline classifier on PyPI does better (docs/critic.md: detoxify downloads its weights at run time,
the others ship pickles or need TensorFlow). A sentence vector carries the meaning profanity-check
misses; a linear head on it, with profanity-check's probability as one more feature, learns both. Round 4
(#24 item 5): pooled token vectors and the n-gram model caught more unseen lines at the same clean-conversation
false-alarm rate than the sentence vector alone (docs/performance.md has the side-by-side figures).

Training data, all in the package: the toxic and clean lines of `data/toxicity_labels.txt` (a seeded
half of each label: the other half stays unseen, for the calibration's recall) against every utterance
of the packaged SPC valid sample (clean negatives). The result ships as `toxicity_head.json` (plain
numbers, no pickle), with what it was trained on (the labels' digest, the negatives' source); retrain with
`python -m synthetic_persona_chat.models.toxicity_head` after changing the labels or the features.
More negatives did not help: the full SPC valid CSV (18k utterances) instead of the sample (3.5k) raised the
held-aside conversation FPR at the same calibration budget (docs/performance.md, "Toxicity expert calibration").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..jsontypes import JsonObject
from ..label_split import split_labels
from ..sample_data import resolve_path
from ..readers import read_spc_csv
from ..sample_data import sample_path
from .embedder import Embedder
from .toxicity_features import NGRAM_FEATURES, PooledEncoder, ngrams

HEAD_FILE = "toxicity_head.json"
LABELS_FILE = "toxicity_labels.txt"
TOXIC, CLEAN = "toxic", "clean"
HEAD_SEED, HEAD_FRACTION, HEAD_C = 0, 0.5, 3.0
NGRAM_C, HEAD_MIX = 3.0, 0.8  # the n-gram model's C and the dense model's share of the logit


@dataclass(frozen=True)
class LabelledUtterance:
    label: str  # "toxic" or "clean"
    kind: str  # insult, profanity, threat, demeaning, hard-negative, ...
    text: str
    line: int = 0

    @property
    def key(self) -> str:
        """Stable id of the text (the head records which lines it saw by these)."""
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:12]


def labels_path() -> Path:
    return Path(str(resources.files("synthetic_persona_chat.data") / LABELS_FILE))


def load_toxicity_labels(path: str | Path | None = None) -> list[LabelledUtterance]:
    """`LABEL<TAB>KIND<TAB>TEXT` lines (`#` comments); a malformed line is an error naming its number."""
    path = Path(path) if path else labels_path()
    if not path.is_file():
        raise FileNotFoundError(f"toxicity labels not found: {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip():
            raise ValueError(f"{path}:{n}: expected LABEL<TAB>KIND<TAB>TEXT, got {line[:60]!r}")
        if parts[0] not in (TOXIC, CLEAN):
            raise ValueError(f"{path}:{n}: label {parts[0]!r} is not {TOXIC!r} or {CLEAN!r}")
        items.append(LabelledUtterance(parts[0], parts[1].strip(), parts[2].strip(), n))
    if not any(it.label == TOXIC for it in items):
        raise ValueError(f"{path}: no toxic lines")
    return items


def features(texts: list[str], embedder: Any, profanity: Any) -> np.ndarray:
    """One row per text: `embedder.encode`'s vector (a PooledEncoder's three blocks for the shipped head), then
    profanity-check's probability."""
    vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    prob = np.asarray(profanity(list(texts)), dtype=np.float32).reshape(-1, 1)
    return np.hstack([vectors, prob])


def head_scores(head: JsonObject, x: np.ndarray, texts: "list[str] | None" = None) -> np.ndarray:
    """The head's probability of "toxic" for each feature row: its logistic model on `x`, mixed (on the logit
    scale, weight `mix`) with its hashed n-gram model on `texts` when the head has one."""
    w = np.asarray(head["weights"], dtype=np.float64)
    if x.shape[1] != len(w):
        raise ValueError(f"toxicity head has {len(w)} weights, features have {x.shape[1]} columns: "
                         f"retrain it with `python -m synthetic_persona_chat.models.toxicity_head`")
    z = x.astype(np.float64) @ w + float(head["bias"])
    if "ngram" in head:
        if texts is None:
            raise ValueError("this toxicity head has an n-gram model: pass the texts to head_scores")
        z = head["mix"] * z + (1 - head["mix"]) * ngram_logits(head["ngram"], texts)
    return (1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))).astype(np.float32)


def ngram_logits(model: JsonObject, texts: list[str]) -> np.ndarray:
    """The sparse n-gram model's logit: its (index, weight) pairs over `toxicity_features.ngrams`."""
    w = np.zeros(2 * NGRAM_FEATURES)
    w[np.asarray(model["indices"], dtype=np.int64)] = model["weights"]
    return np.asarray(ngrams(texts) @ w).ravel() + float(model["bias"])


def load_head(path: str | Path | None = None) -> JsonObject:
    """A head file as `train_head` writes it (weights, bias, features, C, trained_on), checked for what
    scoring needs."""
    text = Path(path).read_text(encoding="utf-8") if path else \
        (resources.files("synthetic_persona_chat.models") / HEAD_FILE).read_text(encoding="utf-8")
    head = json.loads(text)
    missing = [k for k in ("weights", "bias", "trained_on") if k not in head]
    if missing:
        raise ValueError(f"{path or HEAD_FILE} is not a toxicity head (missing {', '.join(missing)})")
    return head


def labels_digest(labelled: list[LabelledUtterance]) -> str:
    """A hash of the labelled lines a head was trained from, so a head names the exact labels file it fits."""
    return hashlib.sha1("\n".join(f"{it.label}\t{it.kind}\t{it.text}" for it in labelled).encode("utf-8")).hexdigest()[:12]


def train_head(labelled: list[LabelledUtterance], negatives: list[str], embedder: Any, profanity: Any,
               c: float = HEAD_C, source: str = "", all_labels: "list[LabelledUtterance] | None" = None,
               ngram_c: "float | None" = NGRAM_C, mix: float = HEAD_MIX) -> JsonObject:
    """Fit the head on `labelled` (both labels) plus `negatives` (clean utterances), classes balanced: a logistic
    model on `features` and, unless `ngram_c` is None, one on hashed n-grams, mixed with weight `mix`.

    `all_labels`: the whole labels file the training half came from; its digest goes into `trained_on`."""
    texts = [it.text for it in labelled] + list(negatives)
    y = np.array([it.label == TOXIC for it in labelled] + [False] * len(negatives))
    dense = _logistic(features(texts, embedder, profanity), y, c)
    head = {"weights": [round(float(v), 6) for v in dense.coef_[0]], "bias": round(float(dense.intercept_[0]), 6),
            "features": f"{embedder.dim} MiniLM dims (sentence, token mean, token max) + profanity-check probability",
            "C": c}
    if ngram_c is not None:
        sparse = _logistic(ngrams(texts), y, ngram_c)
        used = np.flatnonzero(np.abs(sparse.coef_[0]) >= 1e-5)
        head["ngram"] = {"indices": used.tolist(), "weights": [round(float(v), 5) for v in sparse.coef_[0][used]],
                         "bias": round(float(sparse.intercept_[0]), 6), "C": ngram_c,
                         "features": "hashed char_wb 2-5 and word 1-2 grams (toxicity_features.ngrams)"}
        head["mix"] = mix
    head["trained_on"] = {"labelled_keys": sorted(it.key for it in labelled),
                          "labels_sha1": labels_digest(all_labels if all_labels is not None else labelled),
                          "toxic": sum(it.label == TOXIC for it in labelled),
                          "clean": sum(it.label == CLEAN for it in labelled),
                          "negatives": len(negatives), "negatives_source": source}
    return head


def _logistic(x: Any, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(x, y)


def main(argv: "list[str] | None" = None) -> None:
    """Retrain the shipped head: the seeded half of the packaged labels + clean SPC utterances (by default the
    packaged valid sample, so a user retrains without the full dataset). `--negatives` takes another SPC CSV;
    never the test CSV, which the calibration's threshold and figures come from."""
    import argparse

    from profanity_check import predict_prob


    p = argparse.ArgumentParser(prog="python -m synthetic_persona_chat.models.toxicity_head")
    p.add_argument("--negatives", default="spc-sample:valid", help="SPC CSV of clean conversations (default: "
                   "spc-sample:valid)")
    p.add_argument("--vector-cache", help="MiniLM vector cache file (reused across retrainings)")
    p.add_argument("--out", help=f"where to write the head (default: the package's {HEAD_FILE})")
    args = p.parse_args(argv)
    labelled = load_toxicity_labels()
    train, _unseen = split_labels(labelled, HEAD_SEED, HEAD_FRACTION, labels=(TOXIC, CLEAN))
    convs, _ = read_spc_csv(resolve_path(args.negatives))
    negatives = sorted({t.text for c in convs for t in c.turns})
    head = train_head(train, negatives, PooledEncoder(Embedder("minilm", cache_path=args.vector_cache)), predict_prob,
                      source=str(args.negatives), all_labels=labelled)
    out = Path(args.out) if args.out else Path(__file__).with_name(HEAD_FILE)
    out.write_text(json.dumps(head) + "\n", encoding="utf-8")
    print(f"wrote {out}: {head['trained_on']['toxic']} toxic, {head['trained_on']['clean']} clean labelled lines, "
          f"{len(negatives)} SPC utterances")


if __name__ == "__main__":
    main()
