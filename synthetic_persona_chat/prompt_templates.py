"""Jinja2 prompt templates: files shipped in a package folder (or a user's own file), rendered strictly.

User generation and the Generator–Critic each ship their templates in their own `prompts/` folder;
both look them up and render them here, with undefined variables as errors, not blanks.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2


def template_path(name: str, packaged_dir: Path) -> Path:
    """A path to the user's own Jinja2 file, else a template shipped in `packaged_dir`."""
    path = Path(name).expanduser()
    if not path.is_file():
        path = packaged_dir / name
    if not path.is_file():
        known = sorted(p.name for p in packaged_dir.glob("*.j2"))
        raise FileNotFoundError(f"prompt template {name!r} not found in {packaged_dir} (packaged: {known}); "
                                f"give a path to your own file, or reinstall the package")
    return path


@lru_cache(maxsize=32)
def _load(path: Path) -> jinja2.Template:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return env.from_string(path.read_text(encoding="utf-8"))


def render_template(name: str, packaged_dir: Path, **values: Any) -> str:
    """The rendered text, stripped of surrounding whitespace."""
    return _load(template_path(name, packaged_dir)).render(**values).strip()
