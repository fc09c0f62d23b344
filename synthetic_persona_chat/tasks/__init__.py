"""LLM tasks: one small module per prompt the package sends, all run by one runner (`base.run_task`).

Each task pairs a packaged Jinja2 template (`synthetic_persona_chat/prompts/`) with the parser of
its answer: query induction, attribute bootstrapping, the Generator, the pairwise quality expert,
the contradiction judge and the AI-detection judge.

Stages import a task *module* (`from ..tasks import generator`), not its class: a task module imports
its stage's parser, whose package imports the stage, so a class import would be an import cycle.
"""

from .base import Answer, LLMTask, ask, render_all, run_task, user_chat

__all__ = ["Answer", "LLMTask", "ask", "render_all", "run_task", "user_chat"]
