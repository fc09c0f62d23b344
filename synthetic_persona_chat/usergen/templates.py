"""The Jinja2 prompt templates shipped in `usergen/prompts/`, rendered and recorded per run."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

PROMPT_DIR = Path(__file__).with_name("prompts")


@lru_cache(maxsize=None)
def template_source(name: str) -> str:
    path = PROMPT_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"prompt template missing: {path} (reinstall the package)")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _template(name: str) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    return env.from_string(template_source(name))


def render(name: str, **values: object) -> str:
    return _template(name).render(**values).strip()
