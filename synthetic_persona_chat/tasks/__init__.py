"""LLM tasks: one small module per prompt the package sends, all run by one runner (`base.run_task`).

Each task pairs a packaged Jinja2 template (`synthetic_persona_chat/prompts/`) with the parser of
its answer: query induction, attribute bootstrapping, the Generator, the pairwise quality expert,
the contradiction judge and the AI-detection judge.
"""

from .base import Answer, LLMTask, ask, render_all, run_task, user_chat

__all__ = ["Answer", "LLMTask", "ask", "render_all", "run_task", "user_chat"]
