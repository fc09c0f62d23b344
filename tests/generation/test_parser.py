"""The Generator output parser on the messy variants LLMs really write."""

import pytest

from synthetic_persona_chat.generation.parser import parse_conversation, placeholders, render_conversation


def speakers(text):
    r = parse_conversation(text)
    return [t["speaker"][-1] for t in r.turns], [t["text"] for t in r.turns], r


@pytest.mark.parametrize("text", [
    "User 1: Hi there!\nUser 2: Hello.",
    "user 1 : Hi there!\nUSER 2:Hello.",
    "User1: Hi there!\nUser2: Hello.",
    "**User 1:** Hi there!\n**User 2:** Hello.",
    "**User 1**: Hi there!\n**User 2**: Hello.",
    "1. User 1: Hi there!\n2. User 2: Hello.",
    "1) User 1: Hi there!\n2) User 2: Hello.",
    "- User 1: Hi there!\n- User 2: Hello.",
    "* **User 1:** Hi there!\n* **User 2:** Hello.",
    "• User 1: Hi there!\n• User 2: Hello.",
    "> User 1: Hi there!\n> User 2: Hello.",
    "[User 1]: Hi there!\n[User 2]: Hello.",
    "Person 1: Hi there!\nPerson 2: Hello.",
    "Speaker A: Hi there!\nSpeaker B: Hello.",
    "Participant 1 - Hi there!\nParticipant 2 - Hello.",
    "User 1: \"Hi there!\"\nUser 2: \"Hello.\"",
    "   User 1:    Hi   there!   \n\n\n   User 2:   Hello.   ",
    "User 1: Hi there! User 2: Hello.",
    "User 1: Hi there! **User 2:** Hello.",
    "User 1: Hi there!\r\nUser 2: Hello.",
])
def test_speaker_tag_variants(text):
    who, said, r = speakers(text)
    assert r.error is None, r
    assert who == ["1", "2"] and said == ["Hi there!", "Hello."]


def test_preamble_and_trailing_commentary_are_left_out_and_noted():
    text = ("Sure! Here is the conversation:\n\nUser 1: Hi.\nUser 2: Hey.\n\n"
            "I hope this conversation meets your needs!\nLet me know.")
    who, said, r = speakers(text)
    assert said == ["Hi.", "Hey."]
    assert any("before the first" in n for n in r.notes) and any("after the last" in n for n in r.notes)


def test_untagged_lines_between_turns_continue_the_turn():
    who, said, _ = speakers("User 1: I have a dog.\nHe is called Rex.\nUser 2: Cute!")
    assert said == ["I have a dog. He is called Rex.", "Cute!"]


def test_truncated_last_turn_is_dropped():
    who, said, r = speakers("User 1: Hi.\nUser 2: Hello!\nUser 1: So what do you think about the")
    assert said == ["Hi.", "Hello!"] and "dropped a truncated last turn" in r.notes


def test_complete_last_turn_is_kept():
    assert len(parse_conversation("User 1: Hi.\nUser 2: Hello!\nUser 1: Bye 😊").turns) == 3


def test_colon_inside_an_utterance_is_not_a_tag():
    _, said, _ = speakers("User 1: My list: eggs, milk.\nUser 2: Time: 5pm. OK?")
    assert said == ["My list: eggs, milk.", "Time: 5pm. OK?"]


def test_same_speaker_repeats_are_kept_for_the_critic():
    who, _, r = speakers("User 1: a.\nUser 1: b.\nUser 2: c.")
    assert who == ["1", "1", "2"] and r.error is None


@pytest.mark.parametrize("text,reason", [
    ("", "empty generation"), ("   \n ", "empty generation"), (None, "empty generation"),
    ("I'm a helpful assistant. I cannot do that.", "no 'User 1:'"),
    ("User 1: Hi.\nUser 1: Anyone there?", "only user 1 speaks"),
])
def test_unparsable_is_an_error_with_reason(text, reason):
    r = parse_conversation(text)
    assert r.error and reason in r.error


def test_smollm_style_output():
    text = ("(User 1: Hi, I'm here to help you out. My name is **User 2: Hello!**)\n"
            "You're a helpful AI.\n\nUser 1: Hi! How are you?\nUser 2: I'm doing okay.\nUser 1: What do you mean?")
    r = parse_conversation(text)
    assert r.error is None and r.turns[-1]["text"] == "What do you mean?"
    assert [t["speaker"] for t in r.turns] == ["user 1", "user 2", "user 1", "user 2", "user 1"]


def test_render_round_trip():
    turns = [{"speaker": "user 1", "text": "Hi."}, {"speaker": "user 2", "text": "Hello."}]
    assert parse_conversation(render_conversation(turns)).turns == turns


def test_placeholders_like_the_released_spc():
    assert placeholders("Nice to meet you, [User 2's name]! I live in [city].") == ["[User 2's name]", "[city]"]
    assert placeholders("Hi {name}, see <link>") == ["{name}", "<link>"]
    assert placeholders("No template here :)") == []
