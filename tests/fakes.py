"""Test doubles for unit tests (every capability also has a test on the real models)."""

from __future__ import annotations

from typing import Callable

from synthetic_persona_chat.models.llm import LLM, Chat, Completion, GenerationParams


class ScriptedLLM(LLM):
    """Answers with `respond(chat, sample_index)`; counts calls like a real backend."""

    backend = "scripted"

    def __init__(self, respond: Callable[[Chat, int], str], model: str = "scripted") -> None:
        super().__init__(model)
        self.respond = respond
        self.prompts: list[Chat] = []

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        self.prompts.extend(chats)
        out = []
        for chat in chats:
            texts = [self.respond(chat, i) for i in range(params.n)]
            out.append(Completion(texts=texts, prompt_tokens=sum(len(m["content"].split()) for m in chat),
                                  completion_tokens=sum(len(t.split()) for t in texts)))
        return out


# Which task rendered a chat: `tasks.base.ask` renders every prompt through `tasks.base.render_all`, so a
# recording wrapper there names each chat's task exactly, and a double can answer by task name instead of
# guessing the task from the prompt's words (which break whenever a template is reworded).
_TASK_OF: dict[tuple[str, ...], str] = {}


def _chat_key(chat: Chat) -> tuple[str, ...]:
    return tuple(f"{m['role']}\0{m['content']}" for m in chat)


def record_task_names() -> None:
    """Wrap `render_all` once per session; the wrapper only records, what it returns is unchanged."""
    from synthetic_persona_chat.tasks import base

    if getattr(base.render_all, "records_task_names", False):
        return
    render_all = base.render_all

    def recording(task, rows):
        chats = render_all(task, rows)
        _TASK_OF.update((_chat_key(chat), task.name) for chat in chats)
        return chats

    recording.records_task_names = True
    base.render_all = recording


def forget_task_names() -> None:
    """Called after each test (tests/conftest.py) so the record holds one test's prompts only."""
    _TASK_OF.clear()


def task_of(chat: Chat) -> str | None:
    """The name of the task that rendered `chat` (None: no task rendered it, e.g. a test's own chat)."""
    return _TASK_OF.get(_chat_key(chat))


class TaskLLM(ScriptedLLM):
    """Answers each prompt with `answers[task name](chat, sample_index)`; a prompt of a task it has no
    answer for is a test error that names the task, never a silent default."""

    def __init__(self, answers: dict[str, Callable[[Chat, int], str]], model: str = "scripted") -> None:
        record_task_names()
        super().__init__(self._answer, model)
        self.answers = answers

    def _answer(self, chat: Chat, i: int) -> str:
        name = task_of(chat)
        if name not in self.answers:
            raise AssertionError(f"TaskLLM has no answer for task {name!r} (it answers {sorted(self.answers)}); "
                                 f"prompt starts {chat[-1]['content'][:80]!r}")
        return self.answers[name](chat, i)
