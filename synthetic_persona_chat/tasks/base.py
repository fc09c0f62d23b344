"""The shape every LLM task has, and the one runner that asks an LLM to do a task on many rows.

A task is a small frozen dataclass (one module each in this package) that declares the row columns
it reads (`inputs`), turns a row into a chat (`render`, from a packaged Jinja2 template) and reads
one answer back (`parse`). `parse` also receives the row, because several parsers must recognise
the prompt echoed back at them (the examples a bootstrapping prompt showed, the example question).

The runner renders every row, then makes *one* `llm.generate` call for all of them: the
transformers backend sorts the prompts by length and batches them, HTTP backends send them
concurrently, and the answer cache sees the whole batch at once. Asking one prompt at a time would
throw all of that away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # the model layer imports tasks (the contradiction judge): no import cycle at run time
    from ..models.llm import Chat, GenerationParams


class LLMTask(Protocol):
    name: str
    inputs: tuple[str, ...]

    def render(self, row: Mapping[str, Any]) -> Chat:
        """The chat the LLM is shown for this row."""
        ...

    def parse(self, text: str, row: Mapping[str, Any]) -> Any:
        """One answer's value; a parser never raises on odd text, it says why the text is unusable."""
        ...


@dataclass(frozen=True)
class Answer:
    """One row's answer: the backend's texts, their parsed values, and what they cost.

    `values` has one value per text; when the backend returned no text at all it holds the value
    of the empty text, so every row has a `value` and its parser has said why it is unusable.
    """

    texts: tuple[str, ...]
    values: tuple[Any, ...]
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""

    @property
    def value(self) -> Any:
        return self.values[0]


def user_chat(content: str) -> Chat:
    """A single user message: what every task but the Generator sends."""
    return [{"role": "user", "content": content}]


def render_all(task: LLMTask, rows: Sequence[Mapping[str, Any]]) -> list[Chat]:
    """Every row's chat; a row without a column the task declares is a clear error, not a KeyError deep in Jinja."""
    for i, row in enumerate(rows):
        missing = [c for c in task.inputs if c not in row]
        if missing:
            raise ValueError(f"task {task.name!r} reads columns {list(task.inputs)}; row {i} lacks {missing} "
                             f"(it has {sorted(row)})")
    return [task.render(row) for row in rows]


def ask(llm: Any, task: LLMTask, rows: Sequence[Mapping[str, Any]], params: GenerationParams) -> list[Answer]:
    """The task done on every row with one batched LLM call; answers in the order of `rows`."""
    if not rows:
        return []
    completions = llm.generate(render_all(task, rows), params)
    if len(completions) != len(rows):
        raise RuntimeError(f"{llm!r} answered {len(completions)} of {len(rows)} prompts of task {task.name!r}")
    out = []
    for row, comp in zip(rows, completions):
        texts = tuple(comp.texts)
        values = tuple(task.parse(t, row) for t in texts) or (task.parse("", row),)
        out.append(Answer(texts, values, comp.prompt_tokens, comp.completion_tokens))
    return out


def run_task(llm: Any, task: LLMTask, rows: Sequence[Mapping[str, Any]], params: GenerationParams) -> list[Any]:
    """Parsed values in the order of `rows`: one per row, or a list of `params.n` per row when n > 1."""
    return [a.value if params.n == 1 else list(a.values) for a in ask(llm, task, rows, params)]
