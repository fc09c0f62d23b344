"""The toxicity head's training path (models/toxicity_head.py): what a trained head records, and the retraining
command end to end on a small real SPC CSV with the real MiniLM and profanity-check."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from synthetic_persona_chat.models.toxicity_features import NGRAM_FEATURES, ngrams, pool
from synthetic_persona_chat.models.toxicity_head import (HEAD_MIX, LabelledUtterance, features, head_scores,
                                                         labels_digest, load_head, load_toxicity_labels, main,
                                                         train_head)
from synthetic_persona_chat.sample_data import sample_path

TOXIC = [LabelledUtterance("toxic", "insult", t) for t in ("you idiot loser", "stupid idiot you", "loser idiot")]
CLEAN = [LabelledUtterance("clean", "hard-negative", "I could kill for a pizza")]
NEGATIVES = ["I love my dog", "we bake cookies", "my dog loves the park", "cookies and tea"]


class WordsEmbedder:
    """A double: one dimension per vocabulary word, L2-normalised (enough for a linear head to separate)."""

    vocab = sorted({w for t in [it.text for it in TOXIC + CLEAN] + NEGATIVES for w in t.lower().split()})
    dim = len(vocab)

    def encode(self, texts: list[str]) -> np.ndarray:
        x = np.array([[float(w in t.lower().split()) for w in self.vocab] for t in texts], dtype=np.float32)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def no_profanity(texts: list[str]) -> np.ndarray:
    return np.zeros(len(texts))


def test_a_trained_head_records_its_data_and_separates_it():
    everything = TOXIC + CLEAN + [LabelledUtterance("toxic", "threat", "held aside line")]
    head = train_head(TOXIC + CLEAN, NEGATIVES, WordsEmbedder(), no_profanity, source="unit", all_labels=everything)
    trained = head["trained_on"]
    assert len(head["weights"]) == WordsEmbedder.dim + 1  # vector dims + profanity-check's probability
    assert trained["labels_sha1"] == labels_digest(everything) != labels_digest(TOXIC + CLEAN)
    assert (trained["toxic"], trained["clean"], trained["negatives"], trained["negatives_source"]) == (3, 1, 4, "unit")
    assert trained["labelled_keys"] == sorted(it.key for it in TOXIC + CLEAN)
    texts = [it.text for it in TOXIC] + NEGATIVES
    s = head_scores(head, features(texts, WordsEmbedder(), no_profanity), texts)
    assert s[:3].min() > s[3:].max(), s
    assert head["mix"] == HEAD_MIX and len(head["ngram"]["indices"]) == len(head["ngram"]["weights"]) > 0
    with pytest.raises(ValueError, match="pass the texts"):  # the n-gram half cannot be scored without them
        head_scores(head, features(texts, WordsEmbedder(), no_profanity))
    dense_only = train_head(TOXIC + CLEAN, NEGATIVES, WordsEmbedder(), no_profanity, ngram_c=None)
    assert "ngram" not in dense_only and "mix" not in dense_only


def test_pooling_keeps_a_strong_word_the_sentence_mean_dilutes():
    """The pooled block: the sentence vector (mean of every token, [CLS] and [SEP] too) and the inner tokens'
    mean and max, each unit length; a single large token stays at full size in the max."""
    tokens = np.zeros((6, 2), dtype=np.float32)
    tokens[:, 0] = 1.0
    tokens[3, 1] = 6.0  # one strong word among five plain tokens
    v = pool(tokens)
    assert v.shape == (6,) and np.allclose([np.linalg.norm(v[:2]), np.linalg.norm(v[2:])], 1.0)
    sentence, inner_max = v[:2], v[4:] / np.linalg.norm(v[2:])
    assert inner_max[1] > sentence[1] * np.linalg.norm(v[2:])
    assert np.allclose(sentence, np.array([1.0, 1.0]) / np.sqrt(2))  # mean (1, 1) of six tokens, normalised


def test_ngram_columns_are_stable():
    """The shipped n-gram weights are indexed by sklearn's hashing: a changed hash would silently mis-score."""
    x = ngrams(["You idiot", "you idiot"])
    assert x.shape == (2, 2 * NGRAM_FEATURES) and (x[0] != x[1]).nnz == 0  # lowercased
    assert sorted(x[0].indices.tolist())[:3] == [38193, 46250, 90610]


def test_labels_digest_changes_with_any_field():
    a = LabelledUtterance("toxic", "insult", "You idiot.")
    assert labels_digest([a]) != labels_digest([LabelledUtterance("toxic", "threat", "You idiot.")])
    assert labels_digest([a]) != labels_digest([LabelledUtterance("clean", "insult", "You idiot.")])


def test_retraining_command_on_a_small_real_csv(tmp_path, capsys):
    """`python -m synthetic_persona_chat.models.toxicity_head --negatives CSV --out FILE` with the real models;
    the shipped head names the labels file it was trained from (a labels edit without retraining shows here)."""
    with open(sample_path("valid"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[:4]  # header + 3 conversations
    small = tmp_path / "small.csv"
    with open(small, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "head.json"
    main(["--negatives", str(small), "--out", str(out)])
    head = load_head(out)
    trained = head["trained_on"]
    assert trained["negatives_source"] == str(small) and 0 < trained["negatives"] <= 3 * 40
    assert str(out) in capsys.readouterr().out
    assert trained["labels_sha1"] == labels_digest(load_toxicity_labels())
    assert load_head()["trained_on"]["labels_sha1"] == trained["labels_sha1"]  # the shipped head is current
