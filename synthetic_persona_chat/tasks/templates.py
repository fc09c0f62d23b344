"""The one loader of prompt templates: packaged Jinja2 files (`synthetic_persona_chat/prompts/`) or a user's own.

A template name that is a path to an existing file is the user's own; any other name is looked up
in the packaged folder, so a config can say "generator.j2" or "~/my_generator.j2" alike. Rendering
is strict (an undefined variable is an error, not a blank) and sandboxed (a template formats values; it
cannot call into Python); any template error is a config error naming the file and line; the result is stripped of
surrounding whitespace, which is what every task sends.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from ..config import ConfigError


PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"


def template_path(name: str) -> Path:
    """A path to the user's own Jinja2 file, else a template shipped in the package.

    Resolved once per name and working directory (`_resolve`): a run renders one template per prompt, ~40k
    times at 1k conversations with the LLM contradiction judge, and the two stat calls per render were 2/3
    of a render's CPU (#23). The compiled template is cached by path already (`_load`), so a file edited or
    removed mid-run was never re-read either."""
    return _resolve(name, os.getcwd())


@lru_cache(maxsize=256)
def _resolve(name: str, cwd: str) -> Path:
    """`template_path` for one working directory (a relative user path means another file elsewhere)."""
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


def _config_error(message: str) -> Exception:
    """A template that does not parse, names a variable the task does not give, or reaches for what the
    sandbox forbids is wrong input (a `ConfigError`, exit 2), not a bug in spc."""
    return ConfigError(message)


@lru_cache(maxsize=32)
def _load(path: Path) -> jinja2.Template:
    """Compiled in an immutable sandbox: a template is data chosen by a config, and the config may come
    from someone else (a shared preset, a downloaded study), so `{{ cycler.__init__.__globals__.os... }}`
    must be refused, not run. Loaded by file name, so errors and tracebacks carry the template's lines."""
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                                        autoescape=False, loader=jinja2.FileSystemLoader(str(path.parent)))
    try:
        return env.get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise _config_error(f"prompt template {path}, line {exc.lineno}: {exc.message}; fix the "
                            f"template (Jinja2 syntax)") from exc


def render(name: str, **values: Any) -> str:
    """The rendered text, stripped of surrounding whitespace; any template error is a `ConfigError`."""
    template = _load(template_path(name))
    try:
        return template.render(**values).strip()
    except SecurityError as exc:
        raise _config_error(f"prompt template {template.filename}{_line(exc, template)}: {exc}: a "
                            f"template may only format the values it is given") from exc
    except jinja2.TemplateError as exc:
        given = ", ".join(sorted(values)) or "none"
        raise _config_error(f"prompt template {template.filename}{_line(exc, template)}: {exc}; the "
                            f"values this task gives are: {given}") from exc


def _line(exc: BaseException, template: jinja2.Template) -> str:
    """', line N' of the template where `exc` was raised (Jinja2 rewrites tracebacks to template lines)."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == template.filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


@lru_cache(maxsize=1)
def quality_questions() -> dict[str, str]:
    """The packaged FED-style question per quality (`qualities.yaml`); critic.quality_questions extends it."""
    return dict(yaml.safe_load((PROMPT_DIR / "qualities.yaml").read_text(encoding="utf-8")))
