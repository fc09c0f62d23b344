"""`spc generate` as a function: user generation (expand, profiles, pairs) -> conversations, in one run directory.

Each stage is a no-op returning its stored summary once done, so rerunning the same command after a
crash or a kill continues where it stopped. With `generation.pairs_file` set the user-generation
stages are skipped and the given pairs are used.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypedDict

from ..jsontypes import JsonObject
from ..usergen.stages import run_expand, run_pairs, run_profiles
from .config import generation_config
from .iterate import run_conversations

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext


class GenerateResult(TypedDict):
    """`run_generate`'s answer: each stage's summary (its `_done.json`; typed for the conversations stage by
    `ConversationsSummary`, free-form before it), and this invocation's seconds per stage and LLM usage."""

    stages: dict[str, JsonObject]
    seconds: dict[str, float]
    usage: dict[str, int]


def run_generate(ctx: RunContext, seeds_path: str | None = None, engine: Any = None) -> GenerateResult:
    """Every stage's summary, plus `seconds` (per stage, this invocation) and `usage` (this invocation).

    `engine` runs the conversation stage's batches (None: the local loop; see `ray_engine`). User
    generation runs in this process either way: it is cheap next to the conversations.
    """
    gen = generation_config(ctx.config)
    stages: dict[str, JsonObject] = {}
    seconds: dict[str, float] = {}
    if not gen.pairs_file:
        for name, fn in _usergen(seeds_path or gen.seed_personas):
            start = time.perf_counter()
            stages[name] = fn(ctx)
            seconds[name] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    stages["conversations"] = run_conversations(ctx, **({"engine": engine} if engine else {}))
    seconds["conversations"] = round(time.perf_counter() - start, 2)
    return GenerateResult(stages=stages, seconds=seconds, usage=ctx.usage())


def _usergen(seeds_path: str | None) -> list[tuple[str, Any]]:
    return [("expand", lambda ctx: run_expand(ctx, seeds_path=seeds_path)), ("profiles", run_profiles),
            ("pairs", run_pairs)]
