import pytest

from synthetic_persona_chat.tasks.detection_judge import DetectionJudge

ROW = {"a": "User 1: hi\nUser 2: hello", "b": "User 1: yo\nUser 2: hey"}


def test_render_shows_a_then_b():
    [msg] = DetectionJudge().render(ROW)
    assert "Conversation A:\nUser 1: hi\nUser 2: hello\n\nConversation B:\nUser 1: yo\nUser 2: hey\n\n" in msg["content"]


@pytest.mark.parametrize("answer,expected", [("B", "B"), ("Conversation A.", "A"), ("b", "B"),
                                             ("neither", None), ("", None), ("AB", None)])
def test_parse_takes_the_first_standalone_letter(answer, expected):
    assert DetectionJudge().parse(answer, ROW) == expected
