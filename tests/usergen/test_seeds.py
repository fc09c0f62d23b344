"""Seed files: every bad line a counted skip, a wrong-shaped file a clear error."""

import json

import pytest

from synthetic_persona_chat.usergen.seeds import LineRules, SeedFormatError, read_seed_file


def test_txt_lines_with_bad_ones(tmp_path):
    f = tmp_path / "seeds.txt"
    f.write_text("I have two dogs.\n\nI have two  dogs\n%%%% ### 12\n" + "word " * 40 + "\nI am a nurse.\nHello\n")
    texts, skips = read_seed_file(f)
    assert texts == ["I have two dogs.", "I am a nurse."]
    reasons = [s.reason for s in skips]
    assert reasons == ["empty", "duplicate of line 1", "garbage", "overlong", "too_short"]
    assert [s.locator for s in skips][:2] == ["line 2", "line 3"]


def test_spc_csv_persona_columns(spc_dir):
    texts, skips = read_seed_file(spc_dir / "Synthetic-Persona-Chat_test.csv")
    assert len(texts) > 400  # ~490 distinct attributes in the test split
    assert all(s.reason.startswith("duplicate") or s.reason in ("garbage", "too_short", "overlong") for s in skips)
    assert len(texts) == len({t.lower() for t in texts})


def test_csv_named_column_and_wrong_column(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("id,fact\n1,I like tea.\n2,\n3,I like tea\n")
    texts, skips = read_seed_file(f, column="fact")
    assert texts == ["I like tea."] and [s.reason for s in skips] == ["empty", "duplicate of row 0 fact line 0"]
    with pytest.raises(SeedFormatError, match="no column 'persona'"):
        read_seed_file(f, column="persona")
    g = tmp_path / "q.csv"
    g.write_text("a,b\n1,2\n")
    with pytest.raises(SeedFormatError, match="seed_column"):
        read_seed_file(g)


def test_jsonl(tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join([json.dumps({"text": "I play chess."}), "not json", json.dumps({"x": 1}),
                            json.dumps("I swim every day.")]) + "\n")
    texts, skips = read_seed_file(f)
    assert texts == ["I play chess.", "I swim every day."]
    assert sorted(s.reason for s in skips) == ["no string field text/attribute/persona/sentence", "not JSON"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n{}\n")
    with pytest.raises(SeedFormatError, match="no line holds an attribute"):
        read_seed_file(bad)


def test_wrong_files(tmp_path):
    with pytest.raises(SeedFormatError, match="not found"):
        read_seed_file(tmp_path / "missing.txt")
    x = tmp_path / "s.xlsx"
    x.write_bytes(b"PK\x03\x04")
    with pytest.raises(SeedFormatError, match="unsupported"):
        read_seed_file(x)
    b = tmp_path / "bin.txt"
    b.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(SeedFormatError, match="UTF-8"):
        read_seed_file(b)


def test_rules_are_configurable(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("I have a very long story to tell you all.\n")
    texts, skips = read_seed_file(f, rules=LineRules(max_words=5))
    assert texts == [] and skips[0].reason == "overlong"


def test_malformed_csv_rows_are_recorded_skips(tmp_path):
    """Issue 14: rows of the wrong shape used to become persona attributes with no skip recorded."""
    f = tmp_path / "seeds.csv"
    f.write_text('user 1 personas,user 2 personas,Best Generated Conversation\n'
                 '"I have two dogs.\nI like tea.","I am a nurse.","User 1: hi\nUser 2: hello"\n'
                 'unterminated persona,User 1: hi\n'
                 'only one col\n'
                 '"I swim daily.","I play chess.","User 1: hi"\n'
                 '"I bake bread,never closed\n')
    texts, skips = read_seed_file(f)
    assert texts == ["I have two dogs.", "I like tea.", "I am a nurse.", "I swim daily.", "I play chess."]
    malformed = [(s.locator, s.reason) for s in skips if s.reason.startswith("malformed row")]
    assert malformed[:2] == [("row 1 (line 5)", "malformed row: 2 field(s), the header has 3"),
                             ("row 2 (line 6)", "malformed row: 1 field(s), the header has 3")]
    assert len(malformed) == 3 and "unexpected end of data" in malformed[2][1]


def test_non_utf8_seed_files_name_the_file(tmp_path):
    for name in ("s.csv", "s.jsonl"):
        f = tmp_path / name
        f.write_bytes("text\ncaf\xe9 au lait is my drink\n".encode("latin-1"))
        with pytest.raises(SeedFormatError, match=rf"{name} is not UTF-8 text"):
            read_seed_file(f)
