"""Tolerant parsers for LLM output: a list of attribute sentences, or one question.

Small models wrap answers in numbering, bullets, quotes, JSON lists and chatter
("Sure! Here are five new facts:"). Every line the parser does not keep comes back
with a reason, so the caller can count it.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from .seeds import LineRules, dedupe_key, line_problem, normalise

_BULLET = re.compile(r"^\s*(?:[-*•·>]+|\(?\d{1,3}\s*[.):\]-]|\(?[a-zA-Z][.)]\s)\s*")
_LABEL = re.compile(r"^\s*(?:answer|attribute|fact|persona|new attribute|new fact|a|response)\s*\d*\s*[:=-]\s*",
                    re.IGNORECASE)
_QUOTES = "\"'`“”‘’«»*_"
_PREAMBLE = re.compile(r"^(?:sure|okay|ok|here (?:are|is)|certainly|of course|these are|below)\b", re.IGNORECASE)
# A model's remarks about its own answer ("Note: Sentence structure and grammar are improved."): words about the
# task, never about the person. None of the 972 distinct SPC persona attributes (test + valid) matches.
_META = re.compile(r"^(?:note|n\.b\.|p\.s\.)\b|\b(?:sentences?|grammar|grammatical|attributes?|personas?|rephrased|"
                   r"rewritten|paraphrased?|as an ai|language model)\b", re.IGNORECASE)
# A persona attribute speaks of its person: 967 of SPC's 972 distinct attributes hold a first-person word (the 5
# others are typos: "L graduated from usc."). A line without one is a fragment ("3 dogs.") or a remark.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|im|my|me|mine|myself|we|we're|our|ours|us)\b", re.IGNORECASE)


def strip_decoration(line: str) -> str:
    """'  2. "I have a cat." ' -> 'I have a cat.'"""
    text = line.strip()
    for _ in range(3):
        before = text
        text = _BULLET.sub("", text)
        text = _LABEL.sub("", text)
        text = text.strip().strip(_QUOTES).strip().rstrip(",").strip()
        if text == before:
            break
    return normalise(text)


def _json_list(text: str) -> list[str] | None:
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        value = json.loads(text[start:end + 1])
    except json.JSONDecodeError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def parse_attributes(text: str, rules: LineRules, echoes: list[str] = ()) -> tuple[list[str], Counter]:
    """Attribute sentences in `text` and a Counter of dropped lines by reason.

    Drops: empty output, preamble/heading lines, questions, prompt echoes (a line equal to
    the query or to an example shown), lines failing `line_problem` (garbage, overlong,
    too short), remarks about the answer and lines with no person in them (`_content_problem`)
    and repeats within the same answer.
    """
    drops: Counter = Counter()
    if not text or not text.strip():
        drops["empty_output"] += 1
        return [], drops
    raw = _json_list(text)
    lines = raw if raw is not None else text.splitlines()
    echo_keys = {dedupe_key(e) for e in echoes if e}
    kept, seen = [], set()
    for line in lines:
        if not line.strip():
            continue
        s = strip_decoration(line)
        if not s:
            drops["empty"] += 1
            continue
        if s.endswith(":") or _PREAMBLE.match(s):
            drops["preamble"] += 1
            continue
        problem = line_problem(s, rules)
        if problem != "garbage" and s.endswith("?"):
            problem = "question"
        problem = problem or _content_problem(s)
        if problem:
            drops[problem] += 1
            continue
        key = dedupe_key(s)
        if key in echo_keys or any(key.endswith(k) and len(k) > 10 for k in echo_keys):
            drops["prompt_echo"] += 1
            continue
        if key in seen:
            drops["repeat_in_answer"] += 1
            continue
        seen.add(key)
        kept.append(as_sentence(s))
    return kept, drops


def _content_problem(line: str) -> str | None:
    """Why a well-formed line is still no attribute: a remark about the answer, or a fragment with no person in
    it. Only for model output: a user's own seed file may phrase attributes its own way."""
    if _META.search(line):
        return "meta_commentary"
    if not _FIRST_PERSON.search(line.replace("\u2019", "'")):
        return "not_first_person"
    return None


def as_sentence(text: str) -> str:
    """Capital first letter, closing punctuation: 'i like tea' -> 'I like tea.'"""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!" else text + "."


def parse_query(text: str, max_words: int = 25, echoes: tuple[str, ...] = ()) -> tuple[str | None, str | None]:
    """(question, None) when `text` holds a usable question, else (None, why it is unusable).

    `echoes`: questions quoted in the prompt; a small model that copies one back has not
    looked at the cluster, so a copy is unusable.
    """
    if not text or not text.strip():
        return None, "empty output"
    for line in text.splitlines():
        s = strip_decoration(re.sub(r"^\s*(?:\*\*)?(?:query|question)\s*:?\s*(?:\*\*)?\s*", "", line,
                                    flags=re.IGNORECASE))
        if "?" not in s:
            continue
        s = s[: s.index("?") + 1].strip().strip(_QUOTES).strip()
        words = s.split()
        if 2 <= len(words) <= max_words and re.search(r"[A-Za-z]{2}", s):
            if dedupe_key(s) in {dedupe_key(e) for e in echoes}:
                return None, "copied the prompt's example question"
            return s[0].upper() + s[1:], None
    return None, "no question in the output"
