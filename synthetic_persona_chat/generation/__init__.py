"""Conversation generation: the Generator–Critic stage and the end-to-end `spc generate`.

Stage functions are pure batch maps over dict rows (`stages.py`), run by the local engine
(`engine.py`) or, later, a distributed one; `iterate.run_conversations(ctx)` is the stage and
`pipeline.run_generate(ctx)` the whole run (user generation: expand, profiles, pairs -> conversations).
"""

from .config import CriticConfig, GenerationConfig, critic_config, generation_config
from .iterate import run_conversations, stage_steps
from .parser import ParseResult, parse_conversation, placeholders, render_conversation
from .stages import critic_batch, generate_batch, select_batch, to_conversation

__all__ = ["CriticConfig", "GenerationConfig", "critic_config", "generation_config", "run_conversations",
           "stage_steps", "ParseResult", "parse_conversation", "placeholders", "render_conversation",
           "critic_batch", "generate_batch", "select_batch", "to_conversation"]
