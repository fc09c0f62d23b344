from synthetic_persona_chat.tasks.attribute_bootstrap import AttributeBootstrap
from synthetic_persona_chat.usergen.seeds import LineRules

ROW = {"query": "What do you do for a living?", "examples": ["I am a baker.", "I teach math."]}


def test_render_asks_for_num_new_answers_to_the_query():
    [msg] = AttributeBootstrap(LineRules(), num_new=7).render(ROW)
    assert msg["content"].startswith("Question: What do you do for a living?\n")
    assert "- I am a baker.\n- I teach math.\n" in msg["content"] and "Write 7 new" in msg["content"]


def test_parse_drops_the_prompt_echoed_back():
    task = AttributeBootstrap(LineRules(2, 30, 300), num_new=3)
    kept, drops = task.parse("1. I am a baker.\n2. I drive a bus.\n3. What do you do for a living?\n"
                             "4. I fix roofs for a living.", ROW)
    assert kept == ["I drive a bus.", "I fix roofs for a living."]
    assert sum(drops.values()) == 2
    assert task.parse("", ROW) == ([], {"empty_output": 1})
