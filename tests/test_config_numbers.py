"""A numeric config value must be finite and in range, and a bad value is shown bounded (issue #27, 8 and 9)."""

import json
import subprocess
import sys
import time

import pytest

from synthetic_persona_chat.config import ConfigError, load_config


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_a_non_finite_threshold_is_a_config_error(value):
    with pytest.raises(ConfigError, match=r"critic.contradiction_threshold: .* is not a usable number"):
        load_config(overrides=[f"critic.contradiction_threshold={value}"])


def test_spc_refuses_a_nan_threshold_given_on_the_command_line(tmp_path):
    """#27.8 as the probe found it: `--set critic.contradiction_threshold=.nan` was accepted (every candidate
    then passed, 'score > nan'); now the command stops with a config error before anything runs."""
    done = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--estimate",
                           "--run-dir", str(tmp_path / "run"), "--set", "critic.contradiction_threshold=.nan"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "critic.contradiction_threshold" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run").exists()


def test_nan_nested_in_a_model_spec_is_refused():
    with pytest.raises(ConfigError, match=r"models.llm: nan"):
        load_config(overrides=["models.llm={backend: openai, model: m, timeout: .nan}"])


@pytest.mark.parametrize("key", ["contradiction_threshold", "toxicity_threshold"])
def test_a_probability_threshold_outside_0_1_is_refused(key):
    with pytest.raises(ConfigError, match=rf"critic.{key}: 1.5 is out of range; give a number from 0.0 to 1.0"):
        load_config(overrides=[f"critic.{key}=1.5"])
    assert load_config(overrides=[f"critic.{key}=0.25"]).sections["critic"][key] == 0.25


def test_a_finite_config_is_valid_json():
    config = load_config(overrides=["critic.contradiction_threshold=0.4", "generation.temperature=0.9"])
    json.dumps(config.to_dict(), allow_nan=False)  # summary.json / config copies never hold a bare NaN


def test_a_huge_bad_value_is_shown_bounded():
    huge: list = ["lol"] * 9
    for _ in range(7):  # what a YAML alias bomb builds: 9**8 leaves sharing a few lists (a full repr: ~300 MB)
        huge = [huge] * 9
    start = time.process_time()
    with pytest.raises(ConfigError) as info:
        load_config(base={"generation": {"iterations": huge}})
    assert time.process_time() - start < 2
    assert len(str(info.value)) < 300 and "..." in str(info.value)
