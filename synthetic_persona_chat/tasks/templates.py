"""The one loader of prompt templates: packaged Jinja2 files (`synthetic_persona_chat/prompts/`) or a user's own.

A template name that is a path to an existing file is the user's own; any other name is looked up
in the packaged folder, so a config can say "generator.j2" or "~/my_generator.j2" alike. Rendering
is strict (an undefined variable is an error, not a blank) and the result is stripped of
surrounding whitespace, which is what every task sends.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"


def template_path(name: str) -> Path:
    """A path to the user's own Jinja2 file, else a template shipped in the package."""
    path = Path(name).expanduser()
    if not path.is_file():
        path = PROMPT_DIR / name
    if not path.is_file():
        known = sorted(p.name for p in PROMPT_DIR.glob("*.j2"))
        raise FileNotFoundError(f"prompt template {name!r} not found in {PROMPT_DIR} (packaged: {known}); "
                                f"give a path to your own file, or reinstall the package")
    return path


def template_source(name: str) -> str:
    """The template's text as written (what a run records in RUN/prompts/)."""
    return template_path(name).read_text(encoding="utf-8")


@lru_cache(maxsize=32)
def _load(path: Path) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return env.from_string(path.read_text(encoding="utf-8"))


def render(name: str, **values: Any) -> str:
    """The rendered text, stripped of surrounding whitespace."""
    return _load(template_path(name)).render(**values).strip()


@lru_cache(maxsize=1)
def quality_questions() -> dict[str, str]:
    """The packaged FED-style question per quality (`qualities.yaml`); critic.quality_questions extends it."""
    return dict(yaml.safe_load((PROMPT_DIR / "qualities.yaml").read_text(encoding="utf-8")))
