import json

from synthetic_persona_chat.cli import main


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
