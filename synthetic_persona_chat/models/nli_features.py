"""A handful of explainable features of a (persona attribute, utterance) pair for contradiction scoring.

No NLI model ships offline, and the bundled 135M LLM judges pairs at chance. What separates a
contradiction from a restatement of the persona is mostly *polarity*: both sentences are about the
same thing (high MiniLM cosine) but one says it is so and the other says it is not ("I have two dogs."
/ "I don't have any pets."), swaps a number ("fifty" / "thirty") or flips liking ("I hate hiking").
Unrelated small talk is neutral whatever its polarity, so each rule is also crossed with relatedness.
The rules are lexical, the weights come from a logistic regression trained on synthetic pairs
(`nli_training.py`), never on labelled evaluation data.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

FEATURE_NAMES = ("cosine", "polarity_mismatch", "mismatch_x_cosine", "number_mismatch", "number_x_cosine",
                 "negative_premise", "negative_hypothesis", "question", "exclusive_words", "negated_closer",
                 "word_overlap")

NEGATORS = frozenset("not no never none nobody nothing neither nor without cannot".split())
# Words that say "the opposite of liking/having": they flip polarity like a negator does.
NEGATIVE_WORDS = frozenset(
    "hate hates hated hating dislike dislikes disliked detest despise loathe boring bored worst awful "
    "terrible horrible gross disgusting allergic afraid scared fear unemployed single alone lonely quit "
    "stopped gave miss avoid refuse".split())
# Words that single out one option, so a related sentence with them tends to exclude the persona's.
EXCLUSIVE_WORDS = frozenset("only just alone single instead rather except anymore unemployed perfect "
                            "completely entirely".split())
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100, "twins": 2, "both": 2, "pair": 2, "couple": 2, "dozen": 12})
_PHRASES = [(re.compile(p), r) for p, r in (
    (r"\bcan'?t stand\b", "hate"), (r"\bcannot stand\b", "hate"), (r"\bnot a fan\b", "dislike"),
    (r"\bdon'?t care (about|for)\b", "dislike"), (r"\bno longer\b", "not"), (r"\bgave up\b", "quit"),
    (r"\bnever miss(es|ed)?\b", "always"),
    # Idioms whose negator or "negative" word says nothing negative (#28: on SPC test they were most of the
    # faithfulness false alarms left): "I can't wait to start as a nurse" is eager, a single mom has kids.
    (r"\bcan(?:'?t|not) wait\b", "eager"), (r"\bsingle (mom|mother|dad|father|parent)(s?)\b", r"\1\2"),
    # A leading "No," answers the partner's question; counted, it flipped "No, I don't like animals." to positive.
    (r"(^|[.!?]\s+)\s*(?:no|nope|nah)\s*[,.!]+\s*", r"\1"),
    # A wish is counterfactual: "I wish I wasn't afraid of dogs." says the speaker IS afraid of dogs (#28).
    (r"\bwish (i|we) (was|were|did|could|had|would)(?:n'?t| not)\b", r"\1 \2"))]
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")


def words(text: str) -> list[str]:
    """Lower-cased words with multi-word idioms folded ("can't stand" -> "hate") and n't split off."""
    t = text.lower().replace("’", "'")
    for pattern, repl in _PHRASES:
        t = pattern.sub(repl, t)
    out = []
    for w in _WORD.findall(t):
        if w.endswith("n't"):
            out.extend([w[:-3], "not"])
        else:
            out.append(w)
    return out


def is_negative(text: str) -> bool:
    """Odd number of negators + negative words: "I don't hate it" is positive, "I never eat meat" negative."""
    ws = words(text)
    return (sum(w in NEGATORS for w in ws) + sum(w in NEGATIVE_WORDS for w in ws)) % 2 == 1


def numbers(text: str) -> set[int]:
    """Counts and ages said in digits or words ("2", "two", "both", "twins")."""
    out = set()
    for w in words(text):
        if w.isdigit():
            out.add(int(w))
        elif w in NUMBER_WORDS:
            out.add(NUMBER_WORDS[w])
    return out


_STOP = frozenset("i me my mine we our you your a an the and or but to of in on at for with is am are was were be "
                  "been do does did have has had so that this it its just really very i'm i've i'd".split())


def _content(text: str) -> set[str]:
    return {w for w in words(text) if w not in _STOP and w not in NEGATORS and len(w) > 2}


def negate(sentence: str) -> str:
    """A rule-based negation of a first-person sentence ("I have two dogs." -> "I do not have two dogs.").

    Crude on purpose: it feeds the embedding contrast feature and the synthetic training pairs, where
    only polarity matters, not fluency.
    """
    s = sentence.strip()
    rules = ((r"\b(I am|I'm|I was|I will|I can|I have been|I've been|I would)\b", r"\1 not"),
             (r"\b(is|are|was|were)\b", r"\1 not"),
             (r"\bI (have|had|like|love|live|work|play|go|enjoy|own|eat|drink|read|watch|speak|listen|"
              r"grew|went|did|do|know|want|need|make|take|use|get|wear|ride|drive|smoke|collect|"
              r"[a-z]+(?<!s))\b", r"I do not \1"))
    for pattern, repl in rules:
        new, n = re.subn(pattern, repl, s, count=1)
        if n:
            return new
    return "It is not true that " + s[:1].lower() + s[1:]


class _Lexical:
    """What the rules say about one sentence, computed once however many pairs it is in."""

    __slots__ = ("negative", "numbers", "content", "exclusive", "question")

    def __init__(self, text: str) -> None:
        self.negative = is_negative(text)
        self.numbers = numbers(text)
        self.content = _content(text)
        self.exclusive = any(w in EXCLUSIVE_WORDS for w in words(text))
        self.question = text.rstrip().endswith("?")


def pair_features(premises: list[str], hypotheses: list[str],
                  embed: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32 features; `embed(texts)` returns L2-normalised vectors.

    The faithfulness expert checks every utterance against every attribute of its speaker, so in a batch one
    attribute is in dozens of pairs: the rules run once per distinct sentence, one `embed` call gets each
    distinct sentence and each distinct premise's negation once, and the per-pair arithmetic is numpy over
    index arrays. tests/fixtures/nli_features_golden.json holds hand-computed values.
    """
    n = len(premises)
    if n != len(hypotheses):
        raise ValueError(f"{n} premises but {len(hypotheses)} hypotheses")
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    index: dict[str, int] = {}
    for text in (*premises, *hypotheses):
        index.setdefault(text, len(index))
    texts = list(index)
    p_idx = np.fromiter((index[p] for p in premises), dtype=np.int64, count=n)
    h_idx = np.fromiter((index[h] for h in hypotheses), dtype=np.int64, count=n)
    own = list(dict.fromkeys(premises))  # distinct premises, each negated once
    neg_of = {p: k for k, p in enumerate(own)}
    vecs = embed(texts + [negate(p) for p in own])
    sent, negs = vecs[:len(texts)], vecs[len(texts):]
    cos = np.einsum("ij,ij->i", sent[p_idx], sent[h_idx])
    neg_idx = np.fromiter((neg_of[p] for p in premises), dtype=np.int64, count=n)
    neg_cos = np.einsum("ij,ij->i", negs[neg_idx], sent[h_idx])
    return _assemble(texts, p_idx, h_idx, cos, neg_cos)


def _assemble(texts: list[str], p_idx: np.ndarray, h_idx: np.ndarray, cos: np.ndarray,
              neg_cos: np.ndarray) -> np.ndarray:
    """The features column by column (order: FEATURE_NAMES): products in float64, then one cast to float32."""
    lex = [_Lexical(t) for t in texts]
    negative = np.array([x.negative for x in lex], dtype=np.float64)
    question = np.array([x.question for x in lex], dtype=np.float64)
    exclusive = np.array([x.exclusive for x in lex], dtype=np.float64)
    pairs = list(zip(p_idx.tolist(), h_idx.tolist()))
    number = np.array([float(bool(lex[p].numbers) and bool(lex[h].numbers) and not (lex[p].numbers & lex[h].numbers))
                       for p, h in pairs], dtype=np.float64)
    overlap = np.array([len(lex[p].content & lex[h].content) / (len(lex[p].content | lex[h].content) or 1)
                        for p, h in pairs], dtype=np.float64)
    mismatch = (negative[p_idx] != negative[h_idx]).astype(np.float64)
    rel = np.maximum(cos.astype(np.float64), 0.0)  # unrelated small talk is neutral whatever its polarity
    columns = [cos.astype(np.float64), mismatch, mismatch * rel, number, number * rel, negative[p_idx],
               negative[h_idx], question[h_idx], exclusive[h_idx] * rel, (neg_cos - cos).astype(np.float64),
               overlap]
    return np.stack(columns, axis=1).astype(np.float32)
