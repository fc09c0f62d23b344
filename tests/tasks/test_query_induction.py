from synthetic_persona_chat.tasks.query_induction import EXAMPLE_QUESTION, QueryInduction

ROW = {"examples": ["I work as a baker.", "I am a teacher."]}


def test_render_shows_every_example_and_the_example_question():
    [msg] = QueryInduction().render(ROW)
    assert msg["role"] == "user"
    assert "- I work as a baker.\n- I am a teacher.\n" in msg["content"] and f'"{EXAMPLE_QUESTION}"' in msg["content"]


def test_parse_reads_the_question_and_rejects_the_echoed_example():
    task = QueryInduction()
    assert task.parse("**Query:** What is your job? And more", ROW) == ("What is your job?", None)
    assert task.parse(EXAMPLE_QUESTION, ROW)[0] is None
    assert task.parse("", ROW) == (None, "empty output")
    other = QueryInduction(example_question="Where do you live?")
    assert other.parse(EXAMPLE_QUESTION, ROW) == (EXAMPLE_QUESTION, None)
    assert "Where do you live?" in other.render(ROW)[0]["content"]
