"""Prompt templates are Jinja2 files shipped in the package (`generation/prompts/`), not strings in code.

A config may name a packaged template ("generator.j2") or a path to the user's own file; the
rendered text of every template a run used is kept in the run directory's `prompts/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..prompt_templates import render_template

PROMPTS = Path(__file__).resolve().parent / "prompts"


def render(name: str, **values: Any) -> str:
    return render_template(name, PROMPTS, **values) + "\n"


@lru_cache(maxsize=1)
def quality_questions() -> dict[str, str]:
    return dict(yaml.safe_load((PROMPTS / "qualities.yaml").read_text(encoding="utf-8")))
