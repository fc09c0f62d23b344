"""Prompt templates are Jinja2 files shipped in the package (`generation/prompts/`), not strings in code.

A config may name a packaged template ("generator.j2") or a path to the user's own file; the
rendered text of every template a run used is kept in the run directory's `prompts/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

PROMPTS = Path(__file__).resolve().parent / "prompts"


@lru_cache(maxsize=16)
def load_template(name: str) -> jinja2.Template:
    """A packaged template by file name, or any path to a Jinja2 file."""
    path = Path(name).expanduser()
    if not path.is_file():
        path = PROMPTS / name
    if not path.is_file():
        known = sorted(p.name for p in PROMPTS.glob("*.j2"))
        raise FileNotFoundError(f"prompt template {name!r} not found; packaged: {known}, or give a path")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                             trim_blocks=False, autoescape=False)
    return env.from_string(path.read_text(encoding="utf-8"))


def render(name: str, **values: Any) -> str:
    return load_template(name).render(**values).strip() + "\n"


@lru_cache(maxsize=1)
def quality_questions() -> dict[str, str]:
    return dict(yaml.safe_load((PROMPTS / "qualities.yaml").read_text(encoding="utf-8")))
