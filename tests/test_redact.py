"""Secrets never persist: config copies, models.json, logs and error lines are redacted (#27, 1)."""

import json
import logging

import pytest
import yaml

from synthetic_persona_chat import cli
from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.context import RunContext
from synthetic_persona_chat.rundir import RunDir
from tests.generation.fake_openai import FakeOpenAI

REDACTED = "REDACTED"  # what docs/models.md promises a written secret becomes (redact.REDACTED, checked below)
KEY = "sk-proj-" + "A1b2C3d4" * 6
URL_SECRET = "pa55w0rd-of-user"
QUERY_SECRET = "q-secret-123456"


def llm_spec(url: str) -> dict:
    host = url.split("://", 1)[1]
    return {"backend": "openai", "model": "m", "api_key": KEY, "max_retries": 0,
            "base_url": f"http://user:{URL_SECRET}@{host}?api-key={QUERY_SECRET}&mode=fast"}


def assert_clean(text: str) -> None:
    for secret in (KEY, URL_SECRET, QUERY_SECRET):
        assert secret not in text


def test_the_placeholder_is_the_documented_one():
    from synthetic_persona_chat import redact

    assert redact.REDACTED == REDACTED


def test_urls_lose_userinfo_and_secret_query_values_only():
    from synthetic_persona_chat.redact import redact_url

    assert redact_url("http://u:p@h:8000/v1?api-key=x&mode=fast") == f"http://{REDACTED}@h:8000/v1?api-key={REDACTED}&mode=fast"
    assert redact_url("https://h/v1?sig=abc&page=2") == f"https://h/v1?sig={REDACTED}&page=2"
    assert redact_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"


def test_mappings_lose_secret_keys_but_keep_settings_and_env_var_names():
    from synthetic_persona_chat.redact import redact

    value = {"api_key": "abc", "api_key_env": "MY_KEY", "hf_token": "x", "max_tokens": 5, "password": None,
             "nested": [{"token": "t"}]}
    assert redact(value) == {"api_key": REDACTED, "api_key_env": "MY_KEY", "hf_token": REDACTED, "max_tokens": 5,
                             "password": None, "nested": [{"token": REDACTED}]}


@pytest.mark.parametrize("token", ["hf_" + "a1B2" * 9, KEY, "AKIA" + "ABCDEFGH12345678", "ghp_" + "x" * 36,
                                   "-----BEGIN RSA PRIVATE KEY-----"])
def test_token_shapes_are_found_and_redacted_in_free_text(token):
    from synthetic_persona_chat.redact import redact_text, secret_findings

    text = f"the log said {token} here"
    assert token not in redact_text(text) and REDACTED in redact_text(text)
    assert secret_findings(text) and all(token not in f for f in secret_findings(text))


def test_ordinary_text_is_untouched():
    from synthetic_persona_chat.redact import redact_text, secret_findings

    text = "User 1: I love the key lime pie at http://example.com/menu?page=2. max_tokens: 256"
    assert redact_text(text) == text and secret_findings(text) == []


def test_a_run_directory_holds_no_secret_of_the_config(tmp_path):
    with FakeOpenAI() as server:
        config = load_config(base={"models": {"llm": llm_spec(server.url)}})
        run = RunDir(tmp_path / "run").init(config)
        ctx = RunContext(config, run)
        assert ctx.llm.chat("hello") and ctx.llm.inner._api_key == KEY  # the key still works in memory
        ctx.close()
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file() and p.suffix in (".yaml", ".json")]
    assert {"config.yaml", "requested.yaml", "models.json"} <= {p.name for p in files}
    for path in files:
        assert_clean(path.read_text())
    stored = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())["models"]["llm"]
    assert stored["api_key"] == REDACTED and f"{REDACTED}@127.0.0.1" in stored["base_url"]
    assert "mode=fast" in stored["base_url"]
    described = json.loads((tmp_path / "run" / "models.json").read_text())["llm"]["base_url"]
    assert described.startswith(f"http://{REDACTED}@127.0.0.1")
    # a resume with the same config is the same run: the stored, redacted copy is not "another config"
    RunDir(tmp_path / "run").init(load_config(base={"models": {"llm": llm_spec(server.url)}}))


def test_a_redacted_key_read_back_means_the_environment(tmp_path, monkeypatch):
    from synthetic_persona_chat.models import load_llm

    monkeypatch.setenv("MY_SPC_KEY", "from-the-environment")
    llm = load_llm({"backend": "openai", "model": "m", "api_key": REDACTED, "api_key_env": "MY_SPC_KEY",
                    "base_url": "http://127.0.0.1:9/v1"})
    assert llm._api_key == "from-the-environment"


def test_error_lines_and_logs_are_redacted(capsys, caplog):
    from synthetic_persona_chat.models import LLMError, load_llm

    with FakeOpenAI() as server:
        server.dead = True  # every request dropped: a warning per retry, then the failure
        llm = load_llm({**llm_spec(server.url), "max_retries": 1, "backoff": 0.01})
        with caplog.at_level(logging.WARNING), pytest.raises(LLMError) as info:
            llm.chat("hello")
        llm.close()
    assert_clean(str(info.value))
    assert any(f"http://{REDACTED}@127.0.0.1" in r.getMessage() for r in caplog.records)  # the retry warning
    assert_clean("\n".join(r.getMessage() for r in caplog.records))
    assert cli.report_failure(RuntimeError(f"boom at http://u:{URL_SECRET}@h/v1 with {KEY}"), verbose=1) == 1
    assert_clean(capsys.readouterr().err)


def test_the_log_filter_redacts_what_any_module_logs(caplog):
    from synthetic_persona_chat.redact import RedactingFilter

    logger = logging.getLogger("spc-test-redact")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="spc-test-redact"):
        logger.info("calling %s with key %s", f"http://u:{URL_SECRET}@h/v1", KEY)
    assert_clean(caplog.text)
    assert f"http://{REDACTED}@h/v1 with key {REDACTED}" in caplog.text
