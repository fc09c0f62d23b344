"""The Generator: k few-shot conversations and two profiles in, one `User 1: ... / User 2: ...` conversation out.

Row (a job): {fewshot_texts, user1_persona, user2_persona}. Value: `ParseResult` (turns, notes or
a parse error). The rules on format and faithfulness go in an optional system message.

The user message ends with a newline and the system message does not: that is how every run so
far asked, and the answer cache is keyed on the exact prompt, so changing a byte would make a
resumed run pay for its LLM calls again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from ..generation.parser import ParseResult, parse_conversation
from .templates import render

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.generation.config import GenerationConfig


@dataclass(frozen=True)
class Generator:
    template: str = "generator.j2"
    system_template: str | None = "generator_system.j2"
    min_turns: int = 8
    max_turns: int = 16
    # the answer's forced opening ("User 1:") in the constrained mode: the chat ends with it as an assistant
    # message the backend continues, and the parser reads it back in front of the answer; "": none
    prefix: str = ""
    # a last line without closing punctuation was cut by the token limit: dropped. Not in the constrained
    # mode, where the shape ends every line and the conversation (a line there ends mid-sentence only at
    # the shape's hard line length, and it is still the speaker's whole turn)
    drop_truncated: bool = True
    name: str = "generator"
    inputs: tuple[str, ...] = ("fewshot_texts", "user1_persona", "user2_persona")

    @classmethod
    def from_config(cls, gen: GenerationConfig) -> "Generator":
        """The task as a `GenerationConfig` sets it up (templates and the asked length)."""
        return cls(template=gen.template, system_template=gen.system_template, min_turns=gen.min_turns,
                   max_turns=gen.max_turns)

    def prompt(self, row: Mapping[str, Any]) -> str:
        return render(self.template, examples=list(row["fewshot_texts"]), user1_persona=list(row["user1_persona"]),
                      user2_persona=list(row["user2_persona"]), min_turns=self.min_turns,
                      max_turns=self.max_turns) + "\n"

    def render(self, row: Mapping[str, Any]) -> list[dict[str, str]]:
        system = [{"role": "system", "content": render(self.system_template)}] if self.system_template else []
        opening = [{"role": "assistant", "content": self.prefix}] if self.prefix else []
        return system + [{"role": "user", "content": self.prompt(row)}] + opening

    def parse(self, text: str, row: Mapping[str, Any]) -> ParseResult:
        opened = not self.prefix or text.lstrip().startswith(self.prefix)  # a server's guided answer holds it
        return parse_conversation(text if opened else f"{self.prefix} {text}", drop_truncated=self.drop_truncated)
