"""The one runner: one batched LLM call, answers in row order, n samples, declared columns checked."""

from dataclasses import dataclass

import pytest

from synthetic_persona_chat.models.llm import LLM, Completion, GenerationParams
from synthetic_persona_chat.tasks import Answer, ask, render_all, run_task, user_chat
from tests.fakes import ScriptedLLM


@dataclass(frozen=True)
class Echo:
    """A task whose answer says which row it came from, so order is checkable."""

    name: str = "echo"
    inputs: tuple[str, ...] = ("word",)

    def render(self, row):
        return user_chat(f"say {row['word']}")

    def parse(self, text, row):
        return (row["word"], text.upper())


def echo_llm():
    return ScriptedLLM(lambda chat, i: f"{chat[-1]['content'][4:]}-{i}")


def test_one_generate_call_for_all_rows_and_values_in_row_order():
    llm = echo_llm()
    calls = []
    real = llm.generate
    llm.generate = lambda chats, params: calls.append(len(chats)) or real(chats, params)
    rows = [{"word": w} for w in ["c", "a", "bbbbbbbbbbbb", "d"]]
    values = run_task(llm, Echo(), rows, GenerationParams(n=1))
    assert calls == [4]
    assert values == [("c", "C-0"), ("a", "A-0"), ("bbbbbbbbbbbb", "BBBBBBBBBBBB-0"), ("d", "D-0")]


def test_n_samples_give_a_list_per_row():
    values = run_task(echo_llm(), Echo(), [{"word": "x"}, {"word": "y"}], GenerationParams(n=3))
    assert values == [[("x", "X-0"), ("x", "X-1"), ("x", "X-2")], [("y", "Y-0"), ("y", "Y-1"), ("y", "Y-2")]]


def test_no_rows_no_call():
    llm = echo_llm()
    assert run_task(llm, Echo(), [], GenerationParams()) == [] and ask(llm, Echo(), [], GenerationParams()) == []
    assert llm.prompts == [] and llm.usage.calls == 0


def test_answers_keep_texts_and_tokens():
    [answer] = ask(echo_llm(), Echo(), [{"word": "hello world"}], GenerationParams(n=2))
    assert answer.texts == ("hello world-0", "hello world-1") and answer.text == "hello world-0"
    assert answer.values[1] == ("hello world", "HELLO WORLD-1") and answer.value == answer.values[0]
    assert answer.prompt_tokens == 3 and answer.completion_tokens == 4


class Silent(LLM):
    """A backend that answers a prompt with no text at all, or answers too few prompts."""

    backend = "silent"

    def __init__(self, drop: bool = False):
        super().__init__("silent")
        self.drop = drop

    def _generate(self, chats, params):
        return [Completion(texts=[]) for _ in chats[: len(chats) - self.drop]]


def test_a_completion_without_text_is_parsed_as_the_empty_text():
    [answer] = ask(Silent(), Echo(), [{"word": "w"}], GenerationParams())
    assert answer.texts == () and answer.text == "" and answer.value == ("w", "")


def test_a_backend_that_answers_too_few_prompts_is_an_error():
    with pytest.raises(RuntimeError, match="answered 1 of 2 prompts of task 'echo'"):
        ask(Silent(drop=True), Echo(), [{"word": "a"}, {"word": "b"}], GenerationParams())


def test_a_row_without_a_declared_column_is_a_clear_error():
    with pytest.raises(ValueError, match=r"task 'echo' reads columns \['word'\]; row 1 lacks \['word'\]"):
        render_all(Echo(), [{"word": "a"}, {"words": "b"}])


def test_answer_is_frozen():
    with pytest.raises(AttributeError):
        Answer(("a",), (1,)).texts = ()
