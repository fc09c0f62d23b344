import pytest

from synthetic_persona_chat.records import Conversation, PersonaAttribute, Profile, RecordError, Turn


def test_conversation_round_trips_through_a_flat_row():
    conv = Conversation(["I have a dog."], ["I am a nurse."],
                        [Turn("User 1", " hi  there "), Turn("user 2", "hello")], source="t", meta={"k": [1]})
    row = conv.to_dict()
    assert isinstance(row["meta"], str)
    back = Conversation.from_dict(row)
    assert back == conv
    assert back.turns[0].text == "hi there" and back.turns[0].speaker == "user 1"


def test_ids_are_content_hashes():
    a = PersonaAttribute("I have two dogs.")
    assert a.id == PersonaAttribute("I  have two dogs. ").id
    assert a.id != PersonaAttribute("I have three dogs.").id


@pytest.mark.parametrize("make", [
    lambda: PersonaAttribute("   "),
    lambda: Profile(["", " "]),
    lambda: Turn("user 3", "hi"),
    lambda: Turn("user 1", ""),
    lambda: Conversation(["a"], ["b"], []),
    lambda: Profile(["a", "b"], categories=[1]),
])
def test_invalid_records_raise_record_error(make):
    with pytest.raises(RecordError):
        make()
