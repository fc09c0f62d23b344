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
