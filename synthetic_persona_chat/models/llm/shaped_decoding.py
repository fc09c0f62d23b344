"""A `ConversationShape` enforced on transformers' decoding: a logits processor, one state per sequence.

Why at decoding time: the bundled 135M model, asked for a whole conversation, writes turns that do not
alternate, copies `[name]` slots from its examples and loops; the Critic then rejects nearly all of it
(one-call structural pass about 1 in 3). Masking the logits makes those texts impossible to write, and it
costs one pass over a token list per step, not a second model call. Where the shape decides (a speaker tag,
the end), the token is forced; elsewhere the model chooses among the allowed tokens, and sampling
(temperature, top-k) runs after this processor, on what is left.

Each sequence is a small state machine over its own new tokens: writing a line (`TEXT`), at a line start
(`START`: the next speaker's tag or, once `min_turns` lines exist, the end), inside a forced tag (`TAG`),
or finished (`DONE`). The processor is built per `generate()` call: its first step sees the prompts (the
persona bias reads them) and starts one state per sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .shape import ConversationShape

TEXT, START, TAG, DONE = "text", "start", "tag", "done"
SENTENCE_END = (".", "!", "?")
GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "greetings"})


@dataclass
class Vocabulary:
    """What the processor needs to know of a tokenizer, computed once per tokenizer and shape."""

    newline: int
    eos: int
    tags: list[list[int]]  # token ids of each speaker's tag ("User 1:")
    banned: list[int]  # never inside a line
    sentence_end: set[int]
    greetings: list[int] = field(default_factory=list)  # first tokens of a greeting ("Hi", " Hello", ...)

    @classmethod
    def build(cls, tokenizer: Any, shape: ConversationShape) -> "Vocabulary":
        newline = tokenizer.encode("\n", add_special_tokens=False)
        if len(newline) != 1:
            raise ValueError(f"constrained decoding needs a single newline token; this tokenizer has {newline}")
        tags = [tokenizer.encode(shape.tag(i), add_special_tokens=False) for i in range(len(shape.speakers))]
        texts = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        decoded = [tokenizer.convert_tokens_to_string([t]) if t is not None else "" for t in texts]
        special = set(tokenizer.all_special_ids)
        # the tag's first word in any case ("User", " user"): the parser reads "user 2:" inside a line as a turn
        tag_words = {tokenizer.decode(tag[:1]).strip().lower() for tag in tags}
        banned = [i for i, text in enumerate(decoded)
                  if i in special or _is_banned(text, shape) or text.strip().lower() in tag_words]
        return cls(newline=newline[0], eos=tokenizer.eos_token_id, tags=tags, banned=banned,
                   sentence_end={i for i, t in enumerate(decoded) if t.rstrip().endswith(SENTENCE_END)},
                   greetings=sorted({i for i, t in enumerate(decoded) if t.strip().lower() in GREETINGS}))


def _is_banned(text: str, shape: ConversationShape) -> bool:
    """A token no line may hold: a line break (lines end only with the newline token), a banned character,
    a non-ASCII one (emoji, mojibake) when the shape asks for ASCII."""
    if "\n" in text or "\r" in text or any(c in shape.banned for c in text):
        return True
    return shape.ascii_only and any(ord(c) > 126 or (ord(c) < 32 and c != "\t") for c in text)


@dataclass
class SequenceState:
    phase: str = TEXT  # the first tag is the answer prefix: decoding starts inside line 1
    turns: int = 0  # finished lines
    tag_pos: int = 0
    line: list[int] = field(default_factory=list)
    seen: dict[tuple[int, ...], set[int]] = field(default_factory=dict)  # n-gram prefix -> next tokens said
    boost: list[set[int]] = field(default_factory=list)  # per speaker: its persona's word-initial tokens
    used: set[int] = field(default_factory=set)  # tokens the conversation has written
    openers: dict[int, int] = field(default_factory=dict)  # speaker -> first token of its latest line

    def write(self, token: int, n: int, speakers: int = 2) -> None:
        """One more token of the current line; its n-gram is remembered for the no-repeat rule, a line's
        first token as its speaker's opener."""
        if not self.line:
            self.openers[self.turns % speakers] = token
        self.line.append(token)
        self.used.add(token)
        if n and len(self.line) >= n:
            self.seen.setdefault(tuple(self.line[-n:-1]), set()).add(token)


# Words of a persona that carry no topic: boosting them would only make every line start the same way.
FUNCTION_WORDS = frozenset("""a about after all also am an and any are as at be been being but by can could did do
does doing for from get got had has have having he her him his how i i'm im in into is it its just like love loves
me more most my myself no not now of on one only or other our out over really she so some than that the their them
then there they this to too two up very was we were what when where which who will with would you your""".split())


def persona_tokens(prompt: str, header: str, tokenizer: Any) -> set[int]:
    """The first token of each content word in the persona listed under `header` (its last occurrence in
    the prompt: few-shot examples come first): the tokens that start a mention of the persona."""
    at = prompt.rfind(header)
    if at < 0:
        return set()
    words = set()
    for line in prompt[at + len(header):].lstrip("\n").split("\n"):
        if not line.strip().startswith("-"):
            break
        words.update(w for w in re.findall(r"[a-z]+", line.lower()) if len(w) >= 3 and w not in FUNCTION_WORDS)
    ids = set()
    for word in words:
        for form in (f" {word}", f" {word.capitalize()}"):
            first = tokenizer.encode(form, add_special_tokens=False)[:1]
            if first and len(tokenizer.decode(first).strip()) >= 3:
                ids.add(first[0])
    return ids


class ShapeProcessor:
    """transformers `LogitsProcessor` (duck-typed: generate() only calls it) that keeps every sequence of a
    batch inside `shape`."""

    def __init__(self, shape: ConversationShape, vocab: Vocabulary, tokenizer: Any = None) -> None:
        self.shape, self.vocab, self.tokenizer = shape, vocab, tokenizer
        self.states: list[SequenceState] | None = None
        self._banned: Any = None  # the banned ids as a tensor on the scores' device (built on first use)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.states is None:
            starts: dict[tuple[int, ...], list[set[int]]] = {}  # a prompt's n samples share its persona tokens
            self.states = [self._start(tuple(row), starts) for row in input_ids.tolist()]
        else:
            for state, token in zip(self.states, input_ids[:, -1].tolist()):
                self._advance(state, token)
        self._mask(scores)
        return scores

    def _start(self, prompt_ids: tuple[int, ...], starts: dict[tuple[int, ...], list[set[int]]]) -> SequenceState:
        """A sequence's state before its first token; with a persona bias, its speakers' persona tokens."""
        state = SequenceState()
        if self.shape.persona_bias and self.shape.persona_headers and self.tokenizer is not None:
            if prompt_ids not in starts:
                prompt = self.tokenizer.decode(prompt_ids, skip_special_tokens=True)
                starts[prompt_ids] = [persona_tokens(prompt, h, self.tokenizer) for h in self.shape.persona_headers]
            state.boost = starts[prompt_ids]
        return state

    def _advance(self, s: SequenceState, token: int) -> None:
        v, n = self.vocab, self.shape.no_repeat_ngram
        if s.phase == TEXT:
            if token == v.newline:
                s.turns, s.line, s.phase = s.turns + 1, [], START
            else:
                s.write(token, n, len(v.tags))
        elif s.phase == START:
            s.phase, s.tag_pos = (DONE, 0) if token == v.eos else (TAG, 1)
            self._tag_done(s)
        elif s.phase == TAG:
            s.tag_pos += 1
            self._tag_done(s)

    def _tag(self, s: SequenceState) -> list[int]:
        """The token ids of the tag that opens the sequence's next line."""
        return self.vocab.tags[s.turns % len(self.vocab.tags)]

    def _tag_done(self, s: SequenceState) -> None:
        if s.phase == TAG and s.tag_pos >= len(self._tag(s)):
            s.phase = TEXT

    def _mask(self, scores: Any) -> None:
        import torch

        v, shape, n = self.vocab, self.shape, self.shape.no_repeat_ngram
        neg = torch.finfo(scores.dtype).min
        writing = []
        for row, s in enumerate(self.states or []):
            forced = self._forced(s)
            if forced is not None:
                scores[row, :] = neg
                scores[row, forced] = 0.0
            elif s.phase == START:  # the next speaker's tag or the end: nothing else
                allowed = [self._tag(s)[0], v.eos]
                keep = scores[row, allowed].clone()
                scores[row, :] = neg
                scores[row, allowed] = keep
            else:
                writing.append(row)
                if s.boost:  # lean towards the speaker's persona words the conversation has not used yet
                    fresh = list(s.boost[s.turns % len(s.boost)] - s.used)
                    if fresh:
                        scores[row, fresh] += shape.persona_bias
                extra = [v.newline] if len(s.line) < shape.min_line_tokens else []
                if n and len(s.line) >= n - 1:
                    extra.extend(s.seen.get(tuple(s.line[len(s.line) - n + 1:]), ()))
                extra.extend(self._tics(s))
                if extra:
                    scores[row, extra] = neg
        if writing:  # inside a line: never a banned token, never the end
            if self._banned is None or self._banned.device != scores.device:
                self._banned = torch.tensor([*v.banned, v.eos], device=scores.device)
            scores[torch.tensor(writing, device=scores.device).unsqueeze(1), self._banned.unsqueeze(0)] = neg

    def _tics(self, s: SequenceState) -> list[int]:
        """Tokens that would make a verbal tic: at a line's start, a late greeting or the speaker's previous
        opener; inside it, the end of an n-gram the line already holds. Why here: the 135M model opens
        every turn with "Hi," and echoes its own phrases, which the conversation-wide 4-gram rule misses
        when the echo is shorter or varies in one token."""
        shape, line = self.shape, s.line
        if not line:
            out = list(self.vocab.greetings) if shape.greeting_turns and s.turns >= shape.greeting_turns else []
            opener = s.openers.get(s.turns % len(self.vocab.tags)) if shape.fresh_openers else None
            return out + ([opener] if opener is not None else [])
        k = shape.line_ngram
        if not k or len(line) < k - 1:
            return []
        tail = line[len(line) - k + 1:]
        return [line[i + k - 1] for i in range(len(line) - k + 1) if line[i:i + k - 1] == tail]

    def _forced(self, s: SequenceState) -> int | None:
        """The one token the shape allows next, if it allows only one."""
        v, shape = self.vocab, self.shape
        if s.phase == DONE:
            return v.eos
        if s.phase == TAG:
            return self._tag(s)[s.tag_pos]
        if s.phase == START:
            return v.eos if s.turns >= shape.max_turns else (None if s.turns >= shape.min_turns else
                                                                self._tag(s)[0])
        if len(s.line) >= shape.max_line_tokens or (
                len(s.line) >= shape.soft_line_tokens and s.line[-1] in v.sentence_end):
            return v.newline
        return None
