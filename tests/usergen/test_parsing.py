"""Parsers for LLM output: attribute lists and questions."""

from synthetic_persona_chat.usergen.parsing import parse_attributes, parse_query, strip_decoration
from synthetic_persona_chat.usergen.seeds import LineRules

RULES = LineRules(min_words=2, max_words=12, max_chars=120)


def test_numbering_bullets_quotes_and_preamble():
    text = ("Sure! Here are five new answers:\n"
            "1. I have three cats.\n"
            "2) \"I volunteer at the animal shelter.\"\n"
            "- my dog is named rex\n"
            "* **I have a parrot.**\n"
            "\n"
            "Answer 5: I breed hamsters.")
    kept, drops = parse_attributes(text, RULES)
    assert kept == ["I have three cats.", "I volunteer at the animal shelter.", "My dog is named rex.",
                    "I have a parrot.", "I breed hamsters."]
    assert drops == {"preamble": 1}


def test_json_list_and_bad_lines_counted():
    kept, drops = parse_attributes('["I love jazz.", "I love jazz!", "???", "Why?", "Jazz"]', RULES)
    assert kept == ["I love jazz."]
    assert drops == {"repeat_in_answer": 1, "garbage": 1, "question": 1, "too_short": 1}


def test_overlong_echo_and_empty():
    long_line = "I " + "really " * 20 + "like tea."
    kept, drops = parse_attributes(f"{long_line}\nI have two dogs.\n- What is your pet?\nI ride horses.",
                                   RULES, echoes=["What is your pet?", "I have two dogs."])
    assert kept == ["I ride horses."]
    assert drops == {"overlong": 1, "prompt_echo": 1, "question": 1}
    assert parse_attributes("", RULES)[1] == {"empty_output": 1}
    assert parse_attributes("   \n  ", RULES)[1] == {"empty_output": 1}


def test_not_a_list_of_sentences():
    kept, drops = parse_attributes("12345 67890\n#### ----", RULES)
    assert kept == [] and sum(drops.values()) == 2


def test_strip_decoration():
    assert strip_decoration('  3. "I sing."  ') == "I sing."
    assert strip_decoration("• Fact 2: I sing") == "I sing"


def test_parse_query():
    assert parse_query("What do you do for fun?") == ("What do you do for fun?", None)
    assert parse_query("Question: \"do you have pets?\" I think this fits.") == ("Do you have pets?", None)
    assert parse_query("**Query:** Where do you live? And more")[0] == "Where do you live?"
    assert parse_query("") == (None, "empty output")
    assert parse_query("These are all about jobs.") == (None, "no question in the output")
    assert parse_query("What do you do for a living?", echoes=("What do you do for a living?",))[0] is None


def test_remarks_about_the_answer_and_fragments_are_dropped_with_their_reason():
    """Seen in a tiny run's expansion: the model's note on its own answer and a bare fragment were kept as
    persona attributes."""
    text = ("I have three dogs.\n"
            "Note: Sentence structure and grammar are improved for clarity.\n"
            "3 dogs.\n"
            "These attributes describe a dog lover.\n"
            "My dog’s name is Rex.\n"
            "We adopted a cat last year.")
    kept, drops = parse_attributes(text, LineRules(min_words=1, max_words=30, max_chars=300))
    assert kept == ["I have three dogs.", "My dog’s name is Rex.", "We adopted a cat last year."]
    assert drops == {"meta_commentary": 2, "not_first_person": 1}


def test_real_persona_attributes_pass_the_content_rules(sample_test, sample_valid):
    """SPC's own attributes are what a good answer looks like: almost all of them must be kept (the few that
    are not are typos such as "L graduated from usc.")."""
    attributes = sorted({a for c in sample_test + sample_valid for a in c.user1_persona + c.user2_persona})
    kept, drops = parse_attributes("\n".join(attributes), LineRules(min_words=1, max_words=40, max_chars=400))
    assert len(attributes) > 500
    assert drops.get("meta_commentary", 0) == 0
    assert drops.get("not_first_person", 0) <= 0.01 * len(attributes), drops
