"""A template chosen by a config cannot run code, and its mistakes are config errors naming file and line (#27, 2)."""

import subprocess
import sys

import pytest

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.tasks.templates import render

ESCAPE = '{{{{ cycler.__init__.__globals__.os.system("touch {target}") }}}}\n'


def test_a_template_cannot_reach_python(tmp_path):
    target = tmp_path / "PWNED"
    path = tmp_path / "evil.j2"
    path.write_text(ESCAPE.format(target=target))
    with pytest.raises(ConfigError, match=r"evil.j2, line 1: .*unsafe"):
        render(str(path))
    assert not target.exists()


def test_a_template_cannot_mutate_what_it_is_given(tmp_path):
    path = tmp_path / "mutate.j2"
    path.write_text("{{ items.append('x') }}")
    items = ["a"]
    with pytest.raises(ConfigError, match="mutate.j2"):
        render(str(path), items=items)
    assert items == ["a"]


def test_an_undefined_variable_names_file_line_and_the_values_given(tmp_path):
    path = tmp_path / "typo.j2"
    path.write_text("Hello\n{{ persona }}\n{{ personna }}\n")
    with pytest.raises(ConfigError, match=r"typo.j2, line 3: 'personna' is undefined; the values this task "
                                          r"gives are: persona"):
        render(str(path), persona="p")


def test_a_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.j2"
    path.write_text("one\ntwo\n{% if %}\n")
    with pytest.raises(ConfigError, match=r"broken.j2, line 3: .*Jinja2 syntax"):
        render(str(path))


def test_spc_generate_estimate_with_a_hostile_template_exits_2_and_runs_nothing(tmp_path):
    target = tmp_path / "PWNED"
    path = tmp_path / "evil.j2"
    path.write_text(ESCAPE.format(target=target))
    done = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--estimate",
                           "--run-dir", str(tmp_path / "run"), "--set", f"generation.template={path}"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "spc: config error: prompt template" in done.stderr and "evil.j2, line 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not target.exists()
