"""A NUL or another control character in a seed file is a recorded skip, never part of an attribute (#27, 10)."""

from synthetic_persona_chat.usergen.seeds import read_seed_file


def test_control_characters_in_a_seed_csv_are_recorded_skips(tmp_path):
    path = tmp_path / "seeds.csv"
    path.write_text("text\nI like to hike\x00 in the hills.\nI have two cats.\nMy bell rings\x07 loudly.\n"
                    "I play the\x1b[31m red guitar.\n", encoding="utf-8")
    texts, skips = read_seed_file(path)
    assert texts == ["I have two cats."]
    assert [(s.locator, s.reason) for s in skips] == [("row 0 text line 0", "control_characters"),
                                                      ("row 2 text line 0", "control_characters"),
                                                      ("row 3 text line 0", "control_characters")]
    assert not any("\x00" in t for t in texts)


def test_tabs_and_odd_spacing_are_still_just_spacing(tmp_path):
    path = tmp_path / "seeds.txt"
    path.write_text("I like\tto  swim.\nI\u00a0own a boat.\n", encoding="utf-8")
    texts, skips = read_seed_file(path)
    assert texts == ["I like to swim.", "I own a boat."] and skips == []


def test_json_nested_deeper_than_the_parser_is_a_skipped_line(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + '\n"I like to hike in the hills."\n', encoding="utf-8")
    texts, skips = read_seed_file(path)
    assert texts == ["I like to hike in the hills."]
    assert [(s.locator, s.reason) for s in skips] == [("line 1", "not JSON")]
