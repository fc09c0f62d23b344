"""The one template loader: packaged names, a user's own file, strict rendering, clear errors."""

from pathlib import Path

import pytest

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.tasks.templates import PROMPT_DIR, render, template_path, template_source

PACKAGED = ["bootstrap.j2", "contradiction_fewshot.j2", "contradiction_judge.j2", "detection.j2",
            "faithfulness_conversation.j2", "generator.j2", "generator_system.j2", "negation.j2", "pairwise.j2",
            "persona_bootstrap.j2", "query.j2", "query_bootstrap.j2", "toxicity_conversation.j2", "turn.j2",
            "turn_system.j2"]


def test_every_task_template_ships_in_one_folder():
    assert sorted(p.name for p in PROMPT_DIR.glob("*.j2")) == PACKAGED
    assert (PROMPT_DIR / "__init__.py").is_file()  # a package, so setup.py's discovery ships its data files
    assert (PROMPT_DIR / "qualities.yaml").is_file()


def test_a_name_resolves_in_the_package_and_a_path_is_the_users_own(tmp_path):
    assert template_path("query.j2") == PROMPT_DIR / "query.j2"
    own = tmp_path / "query.j2"
    own.write_text("My own: {{ examples | join(', ') }}\n")
    assert template_path(str(own)) == own
    assert render(str(own), examples=["a", "b"]) == "My own: a, b"
    assert template_source(str(own)) == "My own: {{ examples | join(', ') }}\n"


def test_a_name_is_resolved_once_per_working_directory(tmp_path, monkeypatch):
    """#23: the two stat calls per render were 2/3 of its CPU at scale; a repeat render stats nothing, and a
    relative name still means the user's file in the directory it is rendered from."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "query.j2").write_text("Here: {{ examples | join(', ') }}\n")
    assert render("query.j2", examples=["a"]) == "Here: a"
    stats = []
    monkeypatch.setattr(Path, "is_file", lambda self: stats.append(self) or True)
    assert template_path("query.j2") == Path("query.j2")
    assert stats == []
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path.parent)  # elsewhere, "query.j2" is the packaged one again
    assert template_path("query.j2") == PROMPT_DIR / "query.j2"


def test_template_source_is_the_file_as_written():
    assert template_source("bootstrap.j2") == (PROMPT_DIR / "bootstrap.j2").read_text(encoding="utf-8")
    assert "{{ query }}" in template_source("bootstrap.j2")


def test_unknown_template_names_the_packaged_ones():
    with pytest.raises(FileNotFoundError, match="'nope.j2' not found.*'generator.j2'"):
        render("nope.j2")


def test_an_undefined_variable_is_an_error_not_a_blank():
    with pytest.raises(ConfigError, match="contradiction_judge.j2, line [0-9]+: 'hypothesis' is undefined"):
        render("contradiction_judge.j2", premise="I have a dog.")


def test_rendering_strips_surrounding_whitespace_and_keeps_values_verbatim():
    text = render("detection.j2", a="User 1: {x} %s", b="User 2: <b>&")
    assert text.startswith("Below are two conversations") and text.endswith("A or B.")
    assert "Conversation A:\nUser 1: {x} %s\n\nConversation B:\nUser 2: <b>&\n\n" in text  # no escaping
