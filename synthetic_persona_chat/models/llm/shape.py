"""What a whole-conversation answer must look like, declared once and enforced while it is decoded.

The Generator's `constrained` mode (`generation/modes.py`) asks for the whole conversation in one call, as
the paper does, but does not trust a small model to keep its form: the backend enforces a
`ConversationShape` token by token. The transformers backend does it with a logits processor
(`shaped_decoding.py`); an OpenAI-compatible server that supports guided decoding gets `regex()` (vLLM's
`guided_regex`, SGLang's `regex`). Either way the answer is, by construction:

- lines that alternate between the speakers, starting with the first (its tag is the forced answer
  prefix, so the answer's text starts inside the first line);
- between `min_turns` and `max_turns` lines: the conversation may end only at a line start, once
  `min_turns` lines are written, and must end at `max_turns`;
- lines of plain words: no template slot (`[name]`), markup, hashtag, emoji or stage direction can be
  written, because no token that holds one of `banned` (or, with `ascii_only`, a non-ASCII character)
  is ever allowed;
- no loops: within the conversation, no `no_repeat_ngram` consecutive tokens of a line repeat ones
  already written (speaker tags excluded), so a line cannot come back word for word.
- no tics: inside a line no `line_ngram` tokens come twice ("How about you? How about you."); after the
  first `greeting_turns` lines no line opens with a greeting, and no line opens with the same first token
  as its speaker's previous line (`fresh_openers`): a small model otherwise opens every turn with "Hi,".

And it leans towards the personas: with `persona_bias` > 0, while a speaker writes, the first tokens of the
content words of that speaker's persona (read from the prompt, under `persona_headers`) get that much
more logit until the conversation has used them. A 135M model shown two profiles otherwise talks about
anything but them (persona coverage 0.01 against SPC's 0.39, benchmarks/generator_modes.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

# Characters no line of chat needs: template slots, markup, hashtags, stage directions, code.
BANNED_CHARS = "[]{}<>#*_|\\~`@()=^$%/"


@dataclass(frozen=True)
class ConversationShape:
    """Alternating speaker lines, bounded in number and length, in plain words, without loops."""

    speakers: tuple[str, ...] = ("User 1", "User 2")
    min_turns: int = 8
    max_turns: int = 12
    min_line_tokens: int = 3  # a line of fewer tokens cannot end (no empty or one-word turns)
    # a line ends at its first sentence end after `soft_line_tokens` tokens, and at `max_line_tokens` at the latest
    soft_line_tokens: int = 18
    max_line_tokens: int = 40
    no_repeat_ngram: int = 4  # 0: off
    # tic rules, off by default (the generator section's settings say why): e.g. 3, 2, True
    line_ngram: int = 0  # no n consecutive tokens twice inside one line ("How about you? How about you."); 0: off
    greeting_turns: int = 0  # a greeting ("Hi", "Hello", "Hey") may open only the first this many lines; 0: off
    fresh_openers: bool = False  # a line may not open with the first token of that speaker's previous line
    banned: str = BANNED_CHARS
    ascii_only: bool = True
    # per speaker, the prompt line that opens its persona list ("- attribute" lines follow, up to a blank line)
    persona_headers: tuple[str, ...] = ()
    persona_bias: float = 0.0

    def __post_init__(self) -> None:
        if len(self.speakers) < 2:
            raise ValueError("a conversation shape needs at least two speakers")
        if not 1 <= self.min_turns <= self.max_turns:
            raise ValueError(f"need 1 <= min_turns <= max_turns, got {self.min_turns}, {self.max_turns}")
        if self.persona_headers and len(self.persona_headers) != len(self.speakers):
            raise ValueError("persona_headers needs one header per speaker")
        if not 1 <= self.min_line_tokens <= self.soft_line_tokens <= self.max_line_tokens:
            raise ValueError("need 1 <= min_line_tokens <= soft_line_tokens <= max_line_tokens")

    def tag(self, turn: int) -> str:
        """The speaker tag that opens line `turn` (0-based): speakers take turns in order."""
        return f"{self.speakers[turn % len(self.speakers)]}:"

    def max_new_tokens(self, tag_tokens: int = 4) -> int:
        """A token budget that never cuts the longest allowed conversation."""
        return self.max_turns * (self.max_line_tokens + tag_tokens + 1)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def regex(self, line_chars: int = 200) -> str:
        """The same shape as a regular expression over the answer *with* its first tag, for servers with
        guided decoding (loops are not expressible: the Critic's structural expert still checks them)."""
        allowed = "".join(sorted(set(" ,.!?;:'\"-&+0123456789") - set(self.banned)))
        line = f" [A-Za-z{re.escape(allowed)}]{{2,{line_chars}}}"
        pattern = ""
        for turn in range(self.max_turns - 1, -1, -1):  # built from the end: each optional line wraps the rest
            step = f"{'' if turn == 0 else chr(10)}{re.escape(self.tag(turn))}{line}"
            pattern = step + (f"(?:{pattern})?" if pattern and turn + 1 >= self.min_turns else pattern)
        return pattern
