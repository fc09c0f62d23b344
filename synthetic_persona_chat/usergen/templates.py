"""The Jinja2 prompt templates shipped in `usergen/prompts/`, rendered and recorded per run."""

from __future__ import annotations

from pathlib import Path

from ..prompt_templates import render_template, template_path

PROMPT_DIR = Path(__file__).with_name("prompts")


def template_source(name: str) -> str:
    return template_path(name, PROMPT_DIR).read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    return render_template(name, PROMPT_DIR, **values)
