"""Packaged presets (`synthetic_persona_chat/presets.py`): the eval tables' YAML presets load as the code's
values, and a broken preset file fails at load naming the file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from synthetic_persona_chat.config import ConfigError, load_config
from synthetic_persona_chat.presets import preset_names, read_preset, section_presets

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _Section:
    size: int = 1
    names: tuple[str, ...] | None = None


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


def test_sft_presets_are_the_yaml_files_with_their_values():
    from synthetic_persona_chat.eval.sft import PRESETS, SFTRunConfig

    assert sorted(PRESETS) == preset_names(ROOT / "eval" / "presets" / "sft") == ["full", "small"]
    assert PRESETS["full"] == {}
    small = SFTRunConfig(**PRESETS["small"])
    assert (small.max_steps, small.batch_size, small.learning_rate, small.warmup_ratio) == (8, 4, 1e-4, 0.0)
    assert (small.max_test_conversations, small.max_test_examples, small.save_steps) == (20, 24, 0)


def test_a_preset_is_a_config_file_a_user_can_load():
    """The file itself, given as `--config`, gives the same section as `--preset` does."""
    from synthetic_persona_chat.eval.sft import PRESETS, SFTRunConfig

    config = load_config(ROOT / "eval" / "presets" / "sft" / "small.yaml")
    assert config.section("eval_sft", SFTRunConfig) == SFTRunConfig(**PRESETS["small"])


def test_tuple_fields_come_back_as_tuples(tmp_path):
    _write(tmp_path, "two", "sec:\n  names: [a, b]\n  size: 3\n")
    assert section_presets(tmp_path, "sec", _Section) == {"two": {"names": ("a", "b"), "size": 3}}


@pytest.mark.parametrize("text, error", [
    ("sec:\n  sise: 3\n", r"bad\.yaml: unknown key\(s\) in \[sec\]: sise"),  # a typo: the file and the key
    ("sec:\n  size: many\n", r"bad\.yaml: .*sec\.size"),  # a wrong type: the file and the key
    ("sec:\n  size: 3\nother:\n  x: 1\n", r"bad\.yaml: a sec preset holds only the \[sec\] section, found other"),
])
def test_a_broken_preset_fails_at_load_naming_the_file(tmp_path, text, error):
    _write(tmp_path, "bad", text)
    with pytest.raises(ConfigError, match=error):
        section_presets(tmp_path, "sec", _Section)


def test_an_unknown_preset_lists_the_ones_there_are(tmp_path):
    _write(tmp_path, "small", "sec: {}\n")
    _write(tmp_path, "full", "sec: {}\n")
    with pytest.raises(ConfigError, match=r"unknown preset 'huge'; available: full, small"):
        read_preset(tmp_path, "huge")


def test_nup_presets_are_the_yaml_files_with_their_values():
    from synthetic_persona_chat.eval.crosstable import PRESETS, NUPRunConfig

    assert sorted(PRESETS) == ["full", "paper", "small"] and PRESETS["full"] == {}
    small = NUPRunConfig(**PRESETS["small"])
    assert (small.max_train_conversations, small.max_test_conversations, small.epochs) == (30, 20, 1.0)
    assert (small.batch_size, small.max_seq_length) == (32, 128)
    paper = NUPRunConfig(**PRESETS["paper"])
    assert (paper.max_history, paper.train_sets, paper.no_persona) == (1000, ("Persona-Chat", "SPC"), True)
