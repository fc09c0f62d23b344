"""Hypothesis strategies shared by the property tests, and the two profiles they run under.

Why: the readers and parsers were tested on hand-written cases only, and the inputs that break them are the
ones nobody writes by hand (a BOM, a lone CR, U+2028 inside a JSON string, a 5000-digit number, a cell
bigger than the csv module's default limit). The strategies below mix such fragments into otherwise
plausible files and model answers, so a property test reaches them in a few dozen examples.

Profiles: `ci` (the default: 25 examples a test, derandomized so CI is repeatable, no deadline and no example
database, so the suite stays bounded on a loaded 2-core machine) and `long` (2000 random examples a test, failures
kept in `.hypothesis/` to replay, on demand): `SPC_HYPOTHESIS_PROFILE=long python -m pytest tests/...`.
"""

from __future__ import annotations

import csv
import io
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("SPC_HYPOTHESIS_PROFILE", "ci"))

BOM = "\ufeff"
# What real files and model answers hold that hand-written cases do not.
AWKWARD = ("\ufeff", "\r\n", "\r", "\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x00", "\t", '"',
           "'", '""', ",", ";", "|", "\\", "**", "__", "#", "- ", "1. ", "(2) ", "> ", "•", "…", "😊", "\u200b",
           "é", "ß", "İ", "ﬁ", "٣", "²", "ⅷ", "User 1:", "User 2:", "**User 1:**", "user2 :", "[User 2]:",
           "Person A:", "Speaker B -", "U1:", "User 1 and user 2 ", "[Later]", "* * *", "your persona: ",
           "partner's persona: ", "__SILENCE__", "A", "B", "(b)", "Option 2", "yes", "No,", "true", "[", "]",
           '["I like tea."]', "{", "}", "?", ":", "Here are five:", "9" * 5000)


def messy_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Unicode text (no surrogates: they cannot be stored as UTF-8) interleaved with the fragments above."""
    piece = st.one_of(st.text(max_size=12), st.sampled_from(AWKWARD))
    return st.lists(piece, max_size=max_size).map("".join)


def huge_text() -> st.SearchStrategy[str]:
    """A field far bigger than the csv module's default 128 KiB field limit."""
    return st.tuples(st.sampled_from(["User 1: ", "", "x"]), st.integers(140_000, 300_000)).map(
        lambda t: t[0] + "word " * (t[1] // 5))


def field_text() -> st.SearchStrategy[str]:
    return st.one_of(messy_text(), messy_text(max_size=4), huge_text())


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """UTF-8 of `text`, sometimes with a BOM, with CRLF line ends, or with a byte that is not UTF-8 spliced in."""
    def build(t: str, bom: bool, crlf: bool, bad: int | None) -> bytes:
        t = t.replace("\r\n", "\n").replace("\n", "\r\n") if crlf else t
        data = (BOM if bom else "").encode() + t.encode("utf-8")
        return data if bad is None else data[:bad % (len(data) + 1)] + b"\xff" + data[bad % (len(data) + 1):]
    return st.builds(build, text, st.booleans(), st.booleans(), st.one_of(st.none(), st.none(), st.integers(0, 10**6)))


def any_bytes() -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, or the encoding of messy text (arbitrary bytes alone are rarely valid UTF-8)."""
    return st.one_of(st.binary(max_size=300), encoded(messy_text()))


SPC_HEADER = ["user 1 personas", "user 2 personas", "Best Generated Conversation"]


@st.composite
def spc_csv_text(draw) -> str:
    """An SPC release CSV: the header (sometimes a column missing or one more), rows of messy cells (sometimes
    a huge one, sometimes too few or too many), written with a random quoting and line terminator."""
    header = list(SPC_HEADER)
    if draw(st.integers(0, 9)) == 0:
        header.pop(draw(st.integers(0, 2)))
    if draw(st.booleans()):
        header.append(draw(st.sampled_from(["extra", "", "user 1 personas"])))
    rows = draw(st.lists(st.lists(field_text() if draw(st.integers(0, 9)) == 0 else messy_text(),
                                  min_size=len(header) - 1, max_size=len(header) + 1), max_size=5))
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
                        lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    if draw(st.integers(0, 4)) == 0:  # a hand-edited file: an unbalanced quote, a cut-off last line
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(['"', '\n"', "\r", '""x"'])) + text[cut:]
    return text


def spc_csv_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(encoded(spc_csv_text()), any_bytes())


@st.composite
def parlai_text(draw) -> str:
    """Persona-Chat in ParlAI text: numbered lines (persona lines, tab-separated dialogue with candidates),
    mixed with broken ones."""
    lines = []
    for n in range(1, draw(st.integers(1, 8)) + 1):
        kind = draw(st.integers(0, 5))
        if kind == 0:
            lines.append(f"{n} your persona: {draw(messy_text(6))}")
        elif kind == 1:
            lines.append(f"{n} partner's persona: {draw(messy_text(6))}")
        elif kind == 5:
            lines.append(draw(messy_text(6)))
        else:
            fields = draw(st.lists(messy_text(5), min_size=1, max_size=4))
            lines.append(f"{draw(st.sampled_from([str(n), '1', '0' * 3 + '7', '٣']))} " + "\t".join(fields))
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines) + draw(st.sampled_from(["", "\n"]))


def parlai_bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(encoded(parlai_text()), any_bytes())


def json_values() -> st.SearchStrategy:
    return st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | messy_text(6),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(messy_text(3), inner, max_size=3),
                        max_leaves=10)


def sentences() -> st.SearchStrategy[str]:
    """Text that survives a record's whitespace cleaning (something besides whitespace)."""
    return messy_text(8).filter(lambda s: bool(s.split()))


@st.composite
def conversations(draw):
    """Valid `Conversation` records with messy text everywhere a string goes, and JSON-able meta."""
    from synthetic_persona_chat.records import Conversation, Turn

    turns = [Turn(draw(st.sampled_from(["user 1", "user 2"])), draw(sentences()))
             for _ in range(draw(st.integers(1, 5)))]
    return Conversation(draw(st.lists(sentences(), max_size=3)), draw(st.lists(sentences(), max_size=3)), turns,
                        source=draw(messy_text(4)), split=draw(st.one_of(st.none(), messy_text(3))),
                        iteration=draw(st.one_of(st.none(), st.integers(0, 2**31 - 1))),
                        meta=draw(st.dictionaries(messy_text(3), json_values(), max_size=4)))


@st.composite
def records_file(draw) -> bytes:
    """A JSONL file of our records: valid rows, rows of the wrong JSON type, damaged lines."""
    import json

    lines = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 4))
        if kind <= 1:
            lines.append(json.dumps(draw(conversations()).to_dict(), ensure_ascii=draw(st.booleans())))
        elif kind == 2:
            lines.append(json.dumps(draw(json_values()), ensure_ascii=False))
        elif kind == 3:
            lines.append("[" * draw(st.sampled_from([1, 5, 100_000])))
        else:
            lines.append(draw(messy_text(6)))
    return draw(encoded(st.just("\n".join(lines))))


def model_answers() -> st.SearchStrategy[str]:
    """What an LLM may answer: arbitrary text, or text built from the shapes our parsers look for."""
    line = st.one_of(
        st.tuples(st.sampled_from(["User 1:", "User 2:", "**User 1:**", "User1 -", "Person B:", "1. User 2:", ""]),
                  messy_text(6)).map(" ".join),
        messy_text(6))
    return st.one_of(st.text(), messy_text(),
                     st.lists(line, max_size=12).map("\n".join),
                     st.sampled_from(["", " ", "A", "B", "(b)", "Option 2", "yes", "No.", "9" * 5000, "[]",
                                      '["a", 1]', "[" * 10_000, "?" * 3]))


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


@st.composite
def hub_rows(draw) -> tuple[str, list[dict]]:
    """(layout, rows) in one of the Hub layouts `readers.hub_layouts` detects, every value messy or missing;
    each column keeps one Arrow type, as a loaded Hub split has."""
    layout = draw(st.sampled_from(["spc-release", "personachat-rows", "personachat-dialogs", "parlai-text"]))
    text, texts = _maybe(messy_text(6)), _maybe(st.lists(_maybe(messy_text(4)), max_size=4))
    if layout == "spc-release":
        row = st.fixed_dictionaries({c: text for c in SPC_HEADER})
    elif layout == "personachat-rows":
        row = st.fixed_dictionaries({"personality": texts, "candidates": texts, "history": texts,
                                     "utterance_idx": _maybe(st.integers(-3, 30)),
                                     "conv_id": _maybe(st.sampled_from(["a", "b", ""]))})
    elif layout == "personachat-dialogs":
        entry = st.fixed_dictionaries({"candidates": texts, "history": texts})
        row = st.fixed_dictionaries({"personality": texts, "utterances": _maybe(st.lists(entry, max_size=3))})
    else:
        row = st.fixed_dictionaries({"text": st.one_of(text, parlai_text())})
    return layout, draw(st.lists(row, min_size=1, max_size=6))


def _int64() -> st.SearchStrategy[int]:
    return st.integers(-(2**63), 2**63 - 1)


@st.composite
def verdicts(draw):
    from synthetic_persona_chat.row_contracts import Verdict

    return Verdict(expert=draw(messy_text(3)), passed=draw(_maybe(st.booleans())), choice=draw(_maybe(_int64())),
                   reason=draw(messy_text(4)), score=draw(_maybe(st.floats(allow_nan=False))),
                   compared=draw(_maybe(st.lists(_int64(), max_size=2))), consistent=draw(_maybe(st.booleans())))


@st.composite
def candidates(draw):
    """`Candidate` contracts with messy strings and extreme numbers in every field."""
    from synthetic_persona_chat.row_contracts import Candidate, TurnRow

    text, ident = messy_text(4), _maybe(messy_text(2))
    return Candidate(
        candidate_id=draw(text), job_id=draw(text), pair_id=draw(text), iteration=draw(_int64()),
        candidate_index=draw(_int64()), user1_id=draw(ident), user2_id=draw(ident),
        user1_persona=draw(st.lists(text, max_size=3)), user2_persona=draw(st.lists(text, max_size=3)),
        similarity=draw(_maybe(st.floats(allow_nan=False))), fewshot_ids=draw(st.lists(text, max_size=2)),
        generator=draw(text), raw_text=draw(_maybe(field_text())),
        turns=[TurnRow(draw(st.sampled_from(["user 1", "user 2"])), draw(text)) for _ in range(draw(st.integers(0, 3)))],
        parse_error=draw(_maybe(text)), parse_notes=draw(st.lists(text, max_size=2)),
        prompt_tokens=draw(_int64()), completion_tokens=draw(_int64()),
        verdicts=draw(st.lists(verdicts(), max_size=3)), passed=draw(_maybe(st.booleans())),
        votes=draw(_maybe(_int64())), selected=draw(_maybe(st.booleans())))
