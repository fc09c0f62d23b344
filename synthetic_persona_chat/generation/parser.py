"""Generator output -> speaker-tagged turns, robust to what LLMs actually write.

Accepted speaker tags: `User 1:`, `User1:`, `user 2 :`, `**User 1:**`, `**User 1**:`, `[User 2]:`,
`Person 1:`, `Speaker A:`, `Participant B -`, `U1:`, with numbering (`1.`, `3)`), bullets (`-`, `*`, `•`),
quotes (`>`) or headings in front. Several tags on one line are split. Untagged lines between
turns continue the previous turn; untagged lines before the first or after the last turn are
preamble / commentary and are left out (counted in `notes`). A last turn cut off by the token
limit (no closing punctuation) is dropped as truncated.

What cannot be turned into at least one turn of each speaker is a `ParseResult` with an `error`:
the candidate is rejected with that reason, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypedDict

from ..text import PLACEHOLDER, placeholders, render_conversation  # noqa: F401  (re-exported)

_WHO = r"(?:user|person|speaker|participant|persona|u)"
_ID = r"(1|2|a|b|one|two)"
_TAG_BODY = rf"[\[(]?\s*{_WHO}\s*[-_#]?\s*{_ID}\s*[\])]?"
# Line-initial tag: optional numbering / bullets / emphasis, the tag, then ':' (or a dash) as separator.
_LINE_TAG = re.compile(
    rf"^\s*(?:(?:\d+\s*[.)]|[-*•>#]+|\(\d+\))\s*)*(?:\*\*|__|\*|_)?\s*{_TAG_BODY}\s*(?:\*\*|__|\*|_)?"
    rf"\s*(?::|\s[-–—]\s)\s*(?:\*\*|__)?\s*(?P<text>.*)$", re.IGNORECASE)
# A second tag inside a line ("... nice! User 2: thanks"): only after sentence punctuation or emphasis.
_ID_NC = r"(?:1|2|a|b|one|two)"
_INLINE_TAG = re.compile(
    rf"(?:(?<=[.!?)\"'])\s+|\s*(?:\*\*|__)(?=\s*{_WHO}\s*{_ID_NC}\s*:))\s*"
    rf"(?={_WHO}\s*[-_#]?\s*{_ID_NC}\s*(?:\*\*|__)?\s*:)", re.IGNORECASE)
_SPEAKER_NO = {"1": 1, "a": 1, "one": 1, "2": 2, "b": 2, "two": 2}
_ID_IN_TAG = re.compile(rf"{_WHO}\s*[-_#]?\s*{_ID}", re.IGNORECASE)
_TERMINAL = tuple(".!?\"')]*:;…~") + ("😊", "🙂")


class ParsedRow(TypedDict):
    """A parse as the candidate row's columns name it (`ParseResult.to_dict`)."""

    turns: list[dict[str, str]]
    parse_error: str | None
    parse_notes: list[str]


@dataclass
class ParseResult:
    turns: list[dict[str, str]] = field(default_factory=list)  # [{"speaker": "user 1", "text": ...}]
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> ParsedRow:
        return ParsedRow(turns=self.turns, parse_error=self.error, parse_notes=self.notes)


def parse_conversation(text: str | None, drop_truncated: bool = True) -> ParseResult:
    """Turns in order, plus notes on what was left out; `error` when no usable conversation is there."""
    if text is None or not str(text).strip():
        return ParseResult(error="empty generation")
    lines = _split_inline_tags(str(text).replace("\r\n", "\n").replace("\r", "\n"))
    turns: list[dict[str, str]] = []
    preamble = commentary = 0
    pending: list[str] = []  # untagged lines after the latest turn: continuation or trailing commentary
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        speaker, body = _match_tag(line)
        if speaker is None:
            if turns:
                pending.append(_clean_text(line))
            else:
                preamble += 1
            continue
        if pending and turns:
            turns[-1]["text"] = " ".join([turns[-1]["text"], *[p for p in pending if p]]).strip()
            pending = []
        body = _clean_text(body)
        if body:
            turns.append({"speaker": speaker, "text": body})
    commentary = len(pending)
    notes = []
    if preamble:
        notes.append(f"ignored {preamble} line(s) before the first turn")
    if commentary:
        notes.append(f"ignored {commentary} line(s) after the last turn")
    if drop_truncated and turns and not commentary and not str(text).rstrip().endswith("\n") \
            and _looks_truncated(turns[-1]["text"]):
        turns.pop()
        notes.append("dropped a truncated last turn")
    if not turns:
        return ParseResult(error="no 'User 1:' / 'User 2:' line found", notes=notes)
    speakers = {t["speaker"] for t in turns}
    if len(speakers) < 2:
        return ParseResult(turns=turns, error=f"only {next(iter(speakers))} speaks", notes=notes)
    return ParseResult(turns=turns, notes=notes)


def _split_inline_tags(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        m = _LINE_TAG.match(line)
        if not m:
            out.append(line)
            continue
        first, *rest = _INLINE_TAG.split(m.group("text"))
        out.extend([line[:m.start("text")] + first, *rest])
    return out


def _match_tag(line: str) -> tuple[str | None, str]:
    m = _LINE_TAG.match(line)
    if not m:
        return None, line
    ident = _ID_IN_TAG.search(line[:m.start("text")])
    return f"user {_SPEAKER_NO[ident.group(1).lower()]}", m.group("text")


def _clean_text(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"^(?:\*\*|__)|(?:\*\*|__)\)?$", "", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    if text.startswith("“") and text.endswith("”"):
        text = text[1:-1].strip()
    return text


def _looks_truncated(text: str) -> bool:
    return not text.rstrip().endswith(_TERMINAL) and not re.search(r"[\U0001F300-\U0001FAFF]$", text)


def clean_line(text: str | None) -> str:
    """One turn from a turn-level answer: its first non-empty line, without the speaker tag a model may
    write anyway, cut where it starts the partner's line ("... User 1: ..."), unquoted, and cut back to
    its last full sentence when the token limit stopped it mid-sentence. "" when nothing is left."""
    for raw in str(text or "").replace("\r", "\n").split("\n"):
        _, body = _match_tag(raw.strip())
        body = _clean_text(_INLINE_TAG.split(body)[0]) if body.strip() else ""
        if body:
            return _last_sentence(body)
    return ""


def _last_sentence(text: str) -> str:
    if not _looks_truncated(text):
        return text
    ends = [m.end() for m in re.finditer(r"[.!?](?=\s|$)", text)]
    return text[:ends[-1]].strip() if ends else text
