from dataclasses import dataclass

import pytest

from synthetic_persona_chat.config import ConfigError, load_config, parse_override


@dataclass
class StageConf:
    rounds: int = 2
    threshold: float = 0.9


def test_file_then_overrides(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("seed: 3\nmodels:\n  llm: transformers:gpt2\nmystage:\n  rounds: 5\n")
    cfg = load_config(f, ["mystage.threshold=0.8", "models.embedder=foo"])
    assert cfg.seed == 3 and cfg.models.llm == "transformers:gpt2" and cfg.models.embedder == "foo"
    assert cfg.section("mystage", StageConf) == StageConf(rounds=5, threshold=0.8)
    assert cfg.section("absent", StageConf) == StageConf()


def test_toml_config(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('seed = 7\n[mystage]\nrounds = 1\n')
    assert load_config(f).section("mystage", StageConf).rounds == 1


def test_unknown_keys_are_errors(tmp_path):
    cfg = load_config(None, ["mystage.roundz=3"])
    with pytest.raises(ConfigError, match="roundz"):
        cfg.section("mystage", StageConf)
    with pytest.raises(ConfigError, match=r"unknown key\(s\) in \[expand\]: roundz"):
        load_config(None, ["expand.roundz=3"])  # a known section is checked at load time
    with pytest.raises(ConfigError, match="models"):
        load_config(None, ["models.lm=x"])
    with pytest.raises(ConfigError):
        parse_override("no-equals-sign")
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


# -- issue 14: every value type-checked at load time, one clear line naming the key ------------------

@pytest.mark.parametrize("override, message", [
    ("generation.iterations=three", r"^generation\.iterations: expected an integer, got 'three' \(str\)$"),
    ("generation.temperature=hot", r"^generation\.temperature: expected a number, got 'hot'"),
    ("expand.max_seeds=[3]", r"^expand\.max_seeds: expected an integer or null, got \[3\] \(list\)$"),
    ("critic.experts=[1, 2]", r"^critic\.experts: expected a list of strings, got \[1, 2\]"),
    ("critic.allow_placeholders=maybe", r"^critic\.allow_placeholders: expected a boolean, got 'maybe'"),
    ("pairs.min_shared=true", r"^pairs\.min_shared: expected an integer, got True \(bool\)$"),
    ("seed=x", r"^seed: expected an integer, got 'x' \(str\)$"),
    ("models=notamapping", r"^models: expected a mapping of role -> model \(llm, embedder, nli, toxicity, max_concurrency\), "
                           r"got 'notamapping' \(str\)$"),
    ("generation=3", r"^generation: expected a mapping of settings \(section \[generation\]\), got 3 \(int\)$"),
    ("generation.iterations=[1,", r"^--set 'generation\.iterations=\[1,': the value '\[1,' is not valid YAML"),
    ("generation..x=1", r"empty part in key"),
])
def test_bad_values_name_the_key_type_and_value(override, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_config(None, [override])
    assert "\n" not in str(info.value)


def test_good_values_of_every_known_section_pass():
    cfg = load_config(None, ["generation.temperature=1", "generation.max_pairs=null", "critic.experts=[structural]",
                             "expand.max_seeds=100", "eval_quality.faithfulness_sample=null",
                             "eval_nup.baselines=[random]", "critic.quality_questions={depth: Is it deep}"])
    assert cfg.sections["generation"]["temperature"] == 1


def test_config_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("generation:\n  iterations: three\n")
    with pytest.raises(ConfigError, match="generation.iterations: expected an integer"):
        load_config(bad)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("seed: 1\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin\.yaml is not UTF-8 text"):
        load_config(latin)
    broken = tmp_path / "broken.yaml"
    broken.write_text("generation: [1,\n")
    with pytest.raises(ConfigError, match=r"cannot parse .*broken\.yaml"):
        load_config(broken)
