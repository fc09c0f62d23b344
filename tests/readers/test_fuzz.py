"""Every reader, on arbitrary input: records (and recorded skips), or one error of its own class naming the file.

The properties hold for any bytes, so they are checked on generated files (tests/strategies.py); the named
examples are the inputs that broke a reader before, kept as regressions.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from synthetic_persona_chat.readers.native import RecordsFormatError, read_records, write_records
from synthetic_persona_chat.readers.parlai import ParlAIFormatError, read_parlai
from synthetic_persona_chat.readers.spc_csv import SPCFormatError, read_spc_csv
from synthetic_persona_chat.records import Conversation, Skip
from tests import strategies as S

CRLF_BOM_CSV = ("\ufeffuser 1 personas,user 2 personas,Best Generated Conversation\r\n"
                'I like tea.,I ski.,"User 1: hi\r\nUser 2: hello"\r\n').encode()


def _file(data: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="spc-fuzz-"))
    path = folder / name
    path.write_bytes(data)
    return path


def _check(read, path: Path, error: type[Exception]) -> tuple[list, list]:
    """The property: (records, skips), or `error` whose message names the file (and a line where it has one)."""
    try:
        records, skips = read(path)
    except error as exc:
        assert str(path) in str(exc), f"the error does not name the file: {exc}"
        return [], []
    assert all(isinstance(s, Skip) and s.reason for s in skips)
    return records, skips


def _line_named(exc: Exception, path: Path) -> bool:
    return re.search(re.escape(str(path)) + r":\d+:", str(exc)) is not None


@given(S.spc_csv_bytes())
@example(CRLF_BOM_CSV)
@example(b"\xff\xfe" + "user 1 personas".encode("utf-16-le"))
@example(b'user 1 personas,user 2 personas,Best Generated Conversation\n"a,b,"User 1: x\n')
def test_spc_csv_reader_returns_rows_or_one_error(data):
    records, _ = _check(lambda p: read_spc_csv(p, split="test"), _file(data, "spc.csv"), SPCFormatError)
    assert all(isinstance(c, Conversation) and c.turns for c in records)


def test_spc_csv_with_a_bom_and_crlf_reads():
    """Regression: a BOM (Excel, Notepad) made the first column `\\ufeffuser 1 personas`: 'lacks column'."""
    convs, skips = read_spc_csv(_file(CRLF_BOM_CSV, "bom.csv"))
    assert [t.text for t in convs[0].turns] == ["hi", "hello"] and not skips
    assert convs[0].user1_persona == ["I like tea."]


def test_undecodable_bytes_name_file_and_line():
    """Regression: a byte that is not UTF-8 raised a bare UnicodeDecodeError naming no file."""
    good = "user 1 personas,user 2 personas,Best Generated Conversation\na,b,c\n".encode()
    path = _file(good + b"x,y,\xe9t\xe9\n", "latin1.csv")
    with pytest.raises(SPCFormatError) as info:
        read_spc_csv(path)
    assert _line_named(info.value, path) and ":3:" in str(info.value) and "UTF-8" in str(info.value)


@given(S.parlai_bytes())
@example("\ufeff1 your persona: i ski.\n2 hi\thello\n".encode())
@example(("9" * 5000 + " hi\tyo\n").encode())
@example("١ hi\tyo\n".encode())
def test_parlai_reader_returns_rows_or_one_error(data):
    _check(read_parlai, _file(data, "persona.txt"), ParlAIFormatError)


def test_parlai_regressions():
    """A BOM before line 1 was 'expected <number> <text>'; a 5000-digit line number raised int()'s ValueError
    with no file named; U+2028 inside an utterance split the line in two."""
    convs, _ = read_parlai(_file("\ufeff1 your persona: i ski.\n2 hi\u2028there\tyo\n".encode(), "bom.txt"))
    assert convs[0].user2_persona == ["i ski."] and convs[0].turns[0].text == "hi there"
    path = _file(("9" * 5000 + " hi\tyo\n").encode(), "digits.txt")
    with pytest.raises(ParlAIFormatError) as info:
        read_parlai(path)
    assert _line_named(info.value, path)


@given(st.one_of(S.records_file(), S.any_bytes()))
@example(b"[1, 2]\n\"x\"\n")
@example("\ufeff{}\n".encode())
@example(b"[" * 100_000)
def test_jsonl_records_reader_returns_rows_or_one_error(data):
    path = _file(data, "records.jsonl")
    try:
        read_records(path, Conversation.from_dict)
    except RecordsFormatError as exc:
        assert _line_named(exc, path), exc


@given(S.any_bytes())
@example(b"PAR1" + b"\x00" * 20 + b"PAR1")
def test_parquet_records_reader_returns_rows_or_one_error(data):
    _check(lambda p: read_records(p, Conversation.from_dict), _file(data, "records.parquet"), RecordsFormatError)


def test_jsonl_rows_that_are_not_objects_are_skips():
    """Regression: a JSON list or string on a line crashed with AttributeError ('list' has no 'items')."""
    convs, skips = read_records(_file(b'[1, 2]\n"x"\n', "rows.jsonl"), Conversation.from_dict)
    assert not convs and [s.locator for s in skips] == ["row 0", "row 1"]
    assert "not an object" in skips[0].reason


@given(S.conversations(), st.sampled_from([".jsonl", ".parquet"]))
@example(Conversation(["a"], ["b"], [{"speaker": "user 1", "text": "hi"}], source="s\u2028q",
                      meta={"x": "a\u2028b\x85c\x0c"}), ".jsonl")
def test_records_round_trip(conv, suffix):
    """Regression in the example: U+2028 / U+0085 written raw by json.dumps(ensure_ascii=False) split the line
    on reading (`str.splitlines`), so our own JSONL did not read back."""
    path = write_records(_file(b"", "x" + suffix), [conv])
    (back,), skips = read_records(path, Conversation.from_dict)
    assert not skips and back == conv


def test_parquet_of_rows_in_another_schema_is_skips_not_a_crash():
    path = _file(b"", "other.parquet")
    pq.write_table(pa.table({"turns": [1, 2], "meta": ["{", None]}), path)
    convs, skips = read_records(path, Conversation.from_dict)
    assert not convs and len(skips) == 2


RUN_FILES = ("conversations/conversations.parquet", "conversations/_done.json", "config.yaml", "skips.jsonl",
             "manifest.json")


@given(st.sampled_from(RUN_FILES), S.any_bytes(), st.booleans())
def test_run_directory_reader_returns_rows_or_one_error(name, data, vouched):
    """A finished run with one of its files replaced by arbitrary bytes: the conversations (a damaged file the
    marker does not vouch for may still read), or one error naming the damaged file."""
    from synthetic_persona_chat.readers.sources import read_run
    from synthetic_persona_chat.rundir import RunDir, RunDirError

    run = RunDir(Path(tempfile.mkdtemp(prefix="spc-run-")))
    (run.path / "config.yaml").write_text("seed: 0\n", encoding="utf-8")
    conv = Conversation(["I ski."], ["I bake."], [{"speaker": "user 1", "text": "hi"}])
    run.write_records("conversations", "conversations", [conv.to_dict()])
    run.mark_done("conversations", {})
    if not vouched:  # a marker written before markers vouched for files
        (run.path / "conversations" / "_done.json").write_text("{}", encoding="utf-8")
    (run.path / name).write_bytes(data)
    try:
        convs, _ = read_run(run.path)
    except (RunDirError, RecordsFormatError) as exc:
        assert str(run.path) in str(exc), exc
        return
    assert all(isinstance(c, Conversation) for c in convs)
