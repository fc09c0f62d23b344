from dataclasses import dataclass

import pytest

from synthetic_persona_chat.config import ConfigError, load_config, parse_override


@dataclass
class StageConf:
    rounds: int = 2
    threshold: float = 0.9


def test_file_then_overrides(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("seed: 3\nmodels:\n  llm: transformers:gpt2\nexpand:\n  rounds: 5\n")
    cfg = load_config(f, ["expand.threshold=0.8", "models.embedder=foo"])
    assert cfg.seed == 3 and cfg.models.llm == "transformers:gpt2" and cfg.models.embedder == "foo"
    assert cfg.section("expand", StageConf) == StageConf(rounds=5, threshold=0.8)
    assert cfg.section("absent", StageConf) == StageConf()


def test_toml_config(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('seed = 7\n[expand]\nrounds = 1\n')
    assert load_config(f).section("expand", StageConf).rounds == 1


def test_unknown_keys_are_errors(tmp_path):
    cfg = load_config(None, ["expand.roundz=3"])
    with pytest.raises(ConfigError, match="roundz"):
        cfg.section("expand", StageConf)
    with pytest.raises(ConfigError, match="models"):
        load_config(None, ["models.lm=x"])
    with pytest.raises(ConfigError):
        parse_override("no-equals-sign")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
