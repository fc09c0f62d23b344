import pytest

from synthetic_persona_chat.readers import SPCFormatError, read_spc_csv, read_spc_dir
from synthetic_persona_chat.readers.spc_csv import parse_spc_lines


def test_real_spc_test_split_967_conversations_and_one_recorded_skip(spc_dir):
    convs, skips = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_test.csv", split="test")
    assert len(convs) == 967 and len(skips) == 1
    assert skips[0].reason == "empty conversation" and skips[0].locator == "row 510"
    first = convs[0]
    assert first.user1_persona[0] == "I just bought a brand new house."
    assert first.turns[0].speaker == "user 1" and not first.turns[0].text.startswith("User 1")
    assert all(t.speaker in ("user 1", "user 2") for c in convs for t in c.turns)
    assert sum(bool(c.meta.get("speakers_inferred")) for c in convs) == 1
    # stage directions are kept, not silently dropped
    assert sum(len(c.meta.get("unparsed_lines", [])) for c in convs) > 0


def test_real_spc_dir_reads_present_splits(spc_dir):
    splits, skips = read_spc_dir(spc_dir)
    assert set(splits) == {"validation", "test"} and len(splits["validation"]) == 1000


def test_speaker_variants_are_parsed():
    turns, unparsed = parse_spc_lines("User 1: hi\n* * User 2: * * hello\n**User 1:** ok\n[Later]\nuser 2 : bye")
    assert [t.speaker for t in turns] == ["user 1", "user 2", "user 1", "user 2"]
    assert turns[1].text == "hello" and unparsed == ["[Later]"]


def test_missing_columns_name_the_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("user 1 personas,conversation\na,b\n")
    with pytest.raises(SPCFormatError, match="bad.csv.*user 2 personas"):
        read_spc_csv(bad)


def test_continuation_lines_join_their_turn_validation_row_18(spc_dir):
    convs, _ = read_spc_csv(spc_dir / "Synthetic-Persona-Chat_valid.csv", split="validation")
    row18 = next(c for c in convs if c.meta["row"] == 18)
    recipe = next(t for t in row18.turns if t.text.startswith("Of course! Here it is:"))
    assert recipe.speaker == "user 2"
    assert "1 pound of boneless, skinless chicken breasts" in recipe.text  # the ingredients
    assert "9. Serve the chicken tacos" in recipe.text  # and the instructions after a blank line
    assert "unparsed_lines" not in row18.meta
    assert row18.turns[-1].text == "No problem! I'm glad you like it."


def test_stage_directions_never_continue_a_turn():
    turns, unparsed = parse_spc_lines(
        "User 1: Here:\nItem one\n\nItem two\nUser 2: ok\n[Later]\nUser 1 and user 2 walk.\n"
        "User 1: hi\nAdam: You too.\n\nAt the gym\nUser 2: Here goes\nsecond line\nUser 1 Profiles: {I sing.\nI run.")
    assert [t.text for t in turns] == ["Here: Item one Item two", "ok", "hi", "Here goes second line"]
    assert unparsed == ["[Later]", "User 1 and user 2 walk.", "Adam: You too.", "At the gym",
                        "User 1 Profiles: {I sing.", "I run."]
