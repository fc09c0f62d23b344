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


def test_every_quality_aspect_has_a_definition_for_the_annotators():
    paper = StudyConfig(synthetic={"run": "somewhere"}).validate()
    assert all(len(paper.definition(a)) > 20 for a in paper.aspects)
    with pytest.raises(ConfigError, match=r"\['fun'\] have no definition.*aspect_definitions"):
        StudyConfig(synthetic={"run": "x"}, aspects=("depth", "fun")).validate()
    own = StudyConfig(synthetic={"run": "x"}, aspects=("depth", "fun"),
                      aspect_definitions={"fun": "Which one would you rather read?"}).validate()
    assert own.definition("fun") == "Which one would you rather read?"
    assert StudyConfig(synthetic={"run": "x"}, tasks=("turing",), aspects=("fun",)).validate()  # not asked


def test_the_page_guidelines_define_each_aspect_and_the_unsure_choice():
    from synthetic_persona_chat.annotate.app import QUALITY_LABELS, guidelines
    from synthetic_persona_chat.annotate.items import QUALITY_CHOICES

    config = StudyConfig(synthetic={"run": "x"}, aspects=("depth", "likability")).validate()
    text = guidelines(config)
    assert "**Depth**: " + config.definition("depth") in text and "**Likability**" in text
    assert "unsure" in QUALITY_CHOICES and QUALITY_LABELS["unsure"] in text
