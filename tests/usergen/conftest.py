"""Helpers for user-generation tests: a run context with a scripted LLM and the real MiniLM."""

from __future__ import annotations

import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.models import CachedLLM
from synthetic_persona_chat.rundir import RunDir


def scripted_context(path, llm, embedder, overrides=()):
    """RunContext whose LLM is `llm` behind the run's real answer cache, and whose embedder is given."""
    cfg = load_config(overrides=list(overrides))
    ctx = RunContext(cfg, RunDir(path).init(cfg))
    ctx.__dict__["llm"] = CachedLLM(llm, ctx.run.llm_cache_path)
    ctx.__dict__["embedder"] = embedder
    return ctx


@pytest.fixture
def make_context():
    made = []

    def make(path, llm, embedder, overrides=()):
        ctx = scripted_context(path, llm, embedder, overrides)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.__dict__["llm"].close_cache()
