import json

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.model_defaults import DEFAULT_TOXICITY


def test_models_check_offline(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "check", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["role"] for r in rows] == ["llm", "embedder", "nli", "toxicity"]
    assert all(r["ok"] for r in rows), rows


def test_models_check_reports_a_broken_model(capsys):
    assert main(["models", "check", "--json", "--set", "models.toxicity=magic"]) == 1
    rows = {r["role"]: r for r in json.loads(capsys.readouterr().out)}
    assert not rows["toxicity"]["ok"] and "unknown toxicity scorer" in rows["toxicity"]["answer"]


def test_the_probe_prints_the_threshold_the_critic_applies():
    """`spc models check` printed the checker's best-F1 point (0.18) while the Critic's reasons said
    "score > 0.95" (its strict point): the probe now shows the Critic's own threshold and where it comes from."""
    from synthetic_persona_chat.config import Config
    from synthetic_persona_chat.generation.critic.faithfulness import threshold
    from synthetic_persona_chat.models.check import _nli_probe
    from synthetic_persona_chat.models.contradiction import checker_from_config

    cut, source = threshold(checker_from_config(Config.from_dict({}).models), None)
    _, answer = _nli_probe({})
    assert f"(the Critic's threshold {cut:.2f}, {source})" in answer, answer
    _, answer = _nli_probe({"critic": {"contradiction_threshold": 0.42}})
    assert "(the Critic's threshold 0.42, configured)" in answer, answer


def test_a_bad_model_spec_fails_only_its_own_role():
    """Specs are validated at load (#25 item 7): `spc models check` still reports a bad one as that role's
    row (exit 1), and the other roles load their own specs without it; other config errors stop it up front."""
    import pytest

    from synthetic_persona_chat.config import ConfigError, config_data
    from synthetic_persona_chat.models.check import probe_config

    data = config_data(None, ["models.toxicity=magic", "models.llm=llama-cpp:x"])
    probe_config(data, "")  # what run_check validates before the probes: nothing model-specific
    with pytest.raises(ConfigError, match="models.toxicity: unknown toxicity scorer backend 'magic'"):
        probe_config(data, "toxicity")
    assert probe_config(data, "embedder").models.toxicity == DEFAULT_TOXICITY
    assert probe_config(data, "nli").models.llm == "llama-cpp:x"  # the judge may need the LLM
    with pytest.raises(ConfigError, match=r"unknown key\(s\) in \[critic\]: nope"):
        probe_config(config_data(None, ["critic.nope=1"]), "")
