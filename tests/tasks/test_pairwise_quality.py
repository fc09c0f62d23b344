import pytest

from synthetic_persona_chat.tasks.pairwise_quality import PairwiseQuality, parse_choice

ROW = {"quality": "depth", "question": "Which conversation discusses its topics in more depth?",
       "first": "User 1: a", "second": "User 1: b"}


def test_render_shows_both_conversations_and_the_question():
    [msg] = PairwiseQuality().render(ROW)
    assert msg["content"].startswith("Conversation A:\nUser 1: a\n\nConversation B:\nUser 1: b\n\n")
    assert "Question about depth: Which conversation discusses" in msg["content"]
    assert msg["content"].endswith("A or B, and nothing else.\n")


@pytest.mark.parametrize("answer,expected", [("A", 0), ("**B**", 1), ("Conversation B.", 1), ("(b)", 1),
                                             ("2", 1), ("a lot of depth", None), ("", None), ("C", None)])
def test_parse_names_one_of_two(answer, expected):
    assert PairwiseQuality().parse(answer, ROW) == expected == parse_choice(answer, 2)
