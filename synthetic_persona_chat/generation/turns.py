"""Turn-level generation (`generator.mode: turns`): one batched LLM call per turn over every live conversation.

Well-formed by construction, whatever the model's size:
- the loop decides who speaks (User 1 on even turns, User 2 on odd ones), so turns alternate;
- each candidate's length is drawn (seeded per candidate) in [min_turns, max_turns], so lengths stay in bounds;
- each turn is one line (its first non-empty line; decoding stops where the model starts the partner's
  line; speaker tag forced where the backend allows);
- a turn that comes back empty, repeats a line of the conversation (or mostly: half its word bigrams were
  said before) or leaves a template slot is asked
  again with another seed (`generator.turn_retries`), so loops and slots are repaired where they appear
  instead of rejecting the whole candidate afterwards.

Each turn's prompt holds the speaker's persona, one of its attributes to bring up (each attribute once,
rotated per candidate so a pair's m candidates open differently; then a question to the partner) and the
last `turn_history` lines. Every call goes through the run's LLM, so answers are cached on their exact
prompt: a resumed batch replays its turns from the cache, and the same seed gives the same conversations.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..models.llm import GenerationParams
from ..records import stable_id
from ..tasks import ask
from ..tasks.turn import Turn
from ..text import placeholders, render_conversation, speaker_label, tokens
from .modes import PREFIX_BACKENDS
from .stage_rows import JobRow, TurnPromptRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.config import GenerationConfig
    from synthetic_persona_chat.generation.modes import GeneratorConfig

SPEAKERS = ("user 1", "user 2")
# Decoding stops when the model starts the partner's line. Not at the first newline: after the forced
# "User 1:" the bundled model often opens with a line break, and stopping there leaves an empty turn.
TURN_STOP = ("\nUser",)
RETRY_TEMPERATURE = 0.7
# A line whose word bigrams were mostly said before is a loop in other words: the Critic rejects a
# conversation under distinct-2 0.4, and the bundled model drifts into such loops by turn 4 or so.
NEAR_REPEAT = 0.5  # a greedy turn that must be asked again is sampled, or it would come back the same


@dataclass
class Draft:
    """One candidate conversation being written, turn by turn."""

    job: JobRow
    index: int  # candidate index within its job
    target: int  # turns to write
    min_turns: int
    turns: list[dict[str, str]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    done: bool = False

    @property
    def speaker(self) -> str:
        return SPEAKERS[len(self.turns) % 2]

    def persona(self, speaker: str) -> list[str]:
        return list(self.job["user1_persona" if speaker == SPEAKERS[0] else "user2_persona"])

    def focus(self) -> str:
        """The attribute this turn brings up: each of the speaker's once, rotated by candidate; then none."""
        own, said = self.persona(self.speaker), len(self.turns) // 2
        return own[(said + self.index) % len(own)] if own and said < len(own) else ""

    def accept(self, text: str, problem: str | None, tries: int) -> None:
        """Add the turn (or end the conversation on an empty one) and note what could not be repaired."""
        if not text:
            if len(self.turns) < self.min_turns:
                self.error = f"turn {len(self.turns) + 1} came back empty after {tries} tries"
            else:
                self.notes.append(f"ended after {len(self.turns)} turns: the next came back empty")
            self.done = True
            return
        if problem:
            self.notes.append(f"turn {len(self.turns) + 1} kept after {tries} tries: {problem}")
        self.turns.append({"speaker": self.speaker, "text": text})
        self.done = len(self.turns) >= self.target


def target_length(job_id: str, index: int, low: int, high: int, seed: int) -> int:
    """Seeded per candidate, so a resume or another engine draws the same length."""
    low = max(low, 2)
    return random.Random(stable_id("turns", str(seed), job_id, str(index))).randint(low, max(low, high))


def turn_problem(text: str, turns: list[dict[str, str]]) -> str | None:
    """Why a line should be asked again: nothing written, a template slot, or a line already said."""
    if not text:
        return "empty"
    slots = placeholders(text)
    if slots:
        return f"template slot {slots[0]}"
    line = " ".join(tokens(text))
    if not line or any(line == " ".join(tokens(t["text"])) for t in turns):
        return "repeats an earlier line"
    grams = _bigrams(text)
    said = set().union(*(_bigrams(t["text"]) for t in turns))
    if grams and len(grams & said) / len(grams) >= NEAR_REPEAT:
        return "mostly repeats earlier lines"
    return None


def _bigrams(text: str) -> set[tuple[str, str]]:
    toks = tokens(text)
    return set(zip(toks, toks[1:]))


def turn_params(gen: GenerationConfig, cfg: GeneratorConfig, seed: int, attempt: int) -> GenerationParams:
    temperature = gen.temperature if attempt == 0 else (gen.temperature or RETRY_TEMPERATURE)
    return GenerationParams(n=1, max_tokens=cfg.turn_max_tokens, temperature=temperature, top_k=gen.top_k,
                            top_p=gen.top_p, seed=seed + attempt, stop=TURN_STOP)


def turn_row(d: Draft, cfg: GeneratorConfig) -> TurnPromptRow:
    speaker = d.speaker
    partner = SPEAKERS[1 - SPEAKERS.index(speaker)]
    history = d.turns[-cfg.turn_history:] if cfg.turn_history else []
    return TurnPromptRow(speaker=speaker_label(speaker), partner=speaker_label(partner), persona=d.persona(speaker),
                         focus=d.focus(), history=render_conversation(history),
                         fewshot_texts=list(d.job["fewshot_texts"])[:cfg.turn_fewshot])


def write_drafts(jobs: list[JobRow], ctx: RunContext, gen: GenerationConfig, cfg: GeneratorConfig
                 ) -> list[Draft]:
    """Every job's `gen.candidates` conversations, written one turn at a time for all of them at once."""
    seed = ctx.config.seed
    drafts = [Draft(job, i, target_length(job["job_id"], i, gen.min_turns, gen.max_turns, seed), gen.min_turns)
              for job in jobs for i in range(gen.candidates)]
    task = turn_task(ctx, cfg)
    while live := [d for d in drafts if not d.done]:
        next_turn(live, ctx, task, gen, cfg)
    return drafts


def turn_task(ctx: RunContext, cfg: GeneratorConfig) -> Turn:
    return Turn(cfg.turn_template, cfg.turn_system_template,
                force_tag=cfg.force_tag and ctx.llm.backend in PREFIX_BACKENDS)


def next_turn(live: list[Draft], ctx: RunContext, task: Turn, gen: GenerationConfig, cfg: GeneratorConfig) -> None:
    """One turn for every live draft: one call, then one call per retry round for the turns to ask again."""
    pending = live
    for attempt in range(cfg.turn_retries + 1):
        answers = ask(ctx.llm, task, [turn_row(d, cfg) for d in pending],
                      turn_params(gen, cfg, ctx.config.seed, attempt))
        again = []
        for d, answer in zip(pending, answers):
            d.prompt_tokens += answer.prompt_tokens
            d.completion_tokens += answer.completion_tokens
            problem = turn_problem(answer.value, d.turns)
            if problem and attempt < cfg.turn_retries:
                again.append(d)
            else:
                d.accept(answer.value, problem, attempt + 1)
        if not (pending := again):
            return
