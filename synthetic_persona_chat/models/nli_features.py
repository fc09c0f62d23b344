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
    (r"\bnever miss(es|ed)?\b", "always"))]
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


def pair_features(premises: list[str], hypotheses: list[str], embed) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float32 features; `embed(texts)` returns L2-normalised vectors.

    All embeddings (premises, hypotheses, negated premises) go through `embed` in one call.
    """
    n = len(premises)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    vecs = embed(list(premises) + list(hypotheses) + [negate(p) for p in premises])
    p_vec, h_vec, neg_vec = vecs[:n], vecs[n:2 * n], vecs[2 * n:]
    cos = np.einsum("ij,ij->i", p_vec, h_vec)
    neg_cos = np.einsum("ij,ij->i", neg_vec, h_vec)
    rows = []
    for i, (p, h) in enumerate(zip(premises, hypotheses)):
        mismatch = float(is_negative(p) != is_negative(h))
        np_, nh = numbers(p), numbers(h)
        num = float(bool(np_) and bool(nh) and not (np_ & nh))
        cp, ch = _content(p), _content(h)
        rel = max(float(cos[i]), 0.0)
        rows.append([cos[i], mismatch, mismatch * rel, num, num * rel, float(is_negative(p)),
                     float(is_negative(h)), float(h.rstrip().endswith("?")),
                     float(any(w in EXCLUSIVE_WORDS for w in words(h))) * rel,
                     float(neg_cos[i] - cos[i]), len(cp & ch) / (len(cp | ch) or 1)])
    return np.asarray(rows, dtype=np.float32)
