"""A study file is read strictly: one string is one task, aliases and duplicate keys are refused (#27, 10)."""

import pytest

from synthetic_persona_chat.annotate.config import StudyConfig
from synthetic_persona_chat.config import ConfigError


def test_tasks_given_as_one_string_is_that_one_task(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("tasks: turing\naspects: depth\nsynthetic: {run: somewhere}\n")
    config = StudyConfig.from_file(path)
    assert config.tasks == ("turing",) and config.aspects == ("depth",)


def test_a_wrong_type_names_the_file_and_key(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("annotators: three\n")
    with pytest.raises(ConfigError, match=r"study.yaml: study.annotators: expected an integer, got 'three'"):
        StudyConfig.from_file(path)


@pytest.mark.parametrize("text, words", [("name: a\nname: b\n", "appears twice"),
                                         ("s: &x {a: b}\nsynthetic: *x\n", "alias")])
def test_duplicate_keys_and_aliases_are_refused(tmp_path, text, words):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"study.yaml.*{words}"):
        StudyConfig.from_file(path)
