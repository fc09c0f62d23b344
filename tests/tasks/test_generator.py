from synthetic_persona_chat.generation.config import GenerationConfig
from synthetic_persona_chat.tasks.generator import Generator

JOB = {"fewshot_texts": ["User 1: Hi!\nUser 2: Hello."], "user1_persona": ["I have a cat."],
       "user2_persona": ["I like jazz."]}


def test_from_config_takes_templates_and_lengths():
    gen = GenerationConfig(min_turns=3, max_turns=5, system_template=None)
    task = Generator.from_config(gen)
    assert (task.template, task.system_template, task.min_turns, task.max_turns) == ("generator.j2", None, 3, 5)
    [msg] = task.render(JOB)
    assert msg["role"] == "user" and "of 3 to 5 lines" in msg["content"] and msg["content"].endswith("\n")


def test_system_message_carries_the_rules_without_trailing_newline():
    system, user = Generator().render(JOB)
    assert system["role"] == "system" and "never says anything that contradicts" in system["content"]
    assert not system["content"].endswith("\n")
    assert user["content"].startswith("Example conversation:\nUser 1: Hi!")


def test_a_users_own_template(tmp_path):
    own = tmp_path / "gen.j2"
    own.write_text("{{ user1_persona | join(' ') }} / {{ user2_persona | join(' ') }} "
                   "{{ examples | length }} {{ min_turns }}-{{ max_turns }}")
    assert Generator(template=str(own), system_template=None).render(JOB) == [
        {"role": "user", "content": "I have a cat. / I like jazz. 1 8-16\n"}]


def test_parse_reads_the_conversation():
    parsed = Generator().parse("User 1: Hi, I have a cat.\nUser 2: I like jazz.\nUser 1: Nice!", JOB)
    assert [t["speaker"] for t in parsed.turns] == ["user 1", "user 2", "user 1"]
    assert Generator().parse("", JOB).to_dict()["parse_error"]
