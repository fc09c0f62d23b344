"""`spc generate --estimate` against what a run really calls: the tiny preset, end to end, on the
latency-injecting OpenAI-compatible server (real usergen, pairing, Generator and Critic; canned answers)."""

import json
import os
import subprocess
import sys

import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.commands import load_preset
from synthetic_persona_chat.generation.estimate import actual_calls, estimate
from tests.latency_server import LatencyServer

from .helpers import config_dict, spc_pairs, write_pairs


def cli(*args):
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", *args],
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600)


def test_tiny_preset_estimate_is_within_2x_of_the_real_call_count(tmp_path):
    with LatencyServer(latency=0.0) as server:
        sets = ["--set", f"models.llm=openai:fake@{server.url}", "--set", "models.max_concurrency=32"]
        printed = cli("--preset", "tiny", "--run-dir", str(tmp_path / "run"), "--estimate", *sets)
        assert printed.returncode == 0, printed.stderr
        assert "quality" in printed.stdout and "wall time" in printed.stdout
        assert not (tmp_path / "run").exists()  # nothing spent, nothing written

        done = cli("--preset", "tiny", "--run-dir", str(tmp_path / "run"), *sets)
        assert done.returncode == 0, done.stdout + done.stderr
    predicted = json.loads((tmp_path / "run" / "estimate.json").read_text())["total"]["calls"]
    actual = actual_calls(tmp_path / "run")
    assert actual > 0 and actual / 2 <= predicted <= actual * 2, (predicted, actual)
    assert "estimated / actual" in done.stdout and f"{predicted} / {actual}" in done.stdout


def test_estimate_counts_each_role_and_prices(tmp_path):
    data = config_dict(write_pairs(tmp_path / "pairs.parquet", spc_pairs(10)), iterations=2, candidates=3)
    data["models"].update(llm="openai:m@http://127.0.0.1:9/v1", max_concurrency=16, nli="llm-judge")
    data["estimate"] = {"prompt_price_per_million": 1.0, "completion_price_per_million": 2.0, "pass_rate": 1.0,
                        "seconds_per_request": 0.5}
    est = estimate(load_config(None, base=data))
    roles = {line["role"]: line for line in est["lines"]}
    assert roles["generator"]["calls"] == 10 and roles["generator"]["requests"] == 30
    assert roles["generator"]["completion_tokens_max"] == 30 * 512
    assert roles["quality experts"]["calls"] == 10 * 5 * 2 * 3  # every candidate survives: C(3,2) each
    assert roles["contradiction judge"]["calls"] == 30 * 4  # critic.max_nli_pairs = 4 per candidate
    total = est["total"]
    assert est["wall_seconds"] == pytest.approx(total["requests"] * 0.5 / 16, abs=0.1)
    assert est["cost"]["expected"] == pytest.approx((total["prompt_tokens"] + 2 * total["completion_tokens"]) / 1e6,
                                                    rel=1e-3)


def test_bundled_model_prior_and_preset_shape():
    est = estimate(load_config(None, base=load_preset("tiny")))
    assert est["pass_rate_source"].startswith("prior for the bundled") and "wall_seconds" not in est
    assert [line["role"] for line in est["lines"]][:2] == ["query induction", "bootstrapping"]


def test_the_bundled_prior_is_the_demo_measurement():
    """The main job (demo preset, constrained decoding) kept 59 of 64 candidates; the old prior (0.25, from
    free-text decoding) made --estimate promise about a quarter of the winners a run then made."""
    est = estimate(load_config(None, base=load_preset("demo")))
    assert est["pass_rate_source"] == "prior for the bundled SmolLM2"
    assert est["pass_rate"] == pytest.approx(59 / 64, abs=0.005)


def test_retries_are_counted():
    """retry.py asks a pair again while all its candidates fell: at pass rate 0.25 and 3 candidates a round fails
    with q = 0.75^3, so 2 retries make 1 + q + q^2 rounds per pair (the old estimate counted 1: the rehearsal
    then paid 1.6-1.7x its Generator calls)."""
    def generator(retries, pass_rate=0.25):
        data = load_preset("tiny")
        data.setdefault("generation", {})["retries"] = retries
        data.setdefault("estimate", {})["pass_rate"] = pass_rate
        est = estimate(load_config(None, base=data))
        return est, {line["role"]: line for line in est["lines"]}["generator"]

    once, line0 = generator(0)
    twice, line2 = generator(2)
    q = 0.75 ** 3
    assert "attempts_per_pair" not in once and twice["attempts_per_pair"] == pytest.approx(1 + q + q * q, abs=1e-3)
    assert line2["calls"] == round(line0["calls"] * (1 + q + q * q))
    assert line2["prompt_tokens"] == pytest.approx(line0["prompt_tokens"] * (1 + q + q * q), abs=2)
    assert "attempts_per_pair" not in generator(2, pass_rate=1.0)[0]  # nothing ever fails: nothing is retried


def test_no_retries_without_fewshot_examples_to_redraw():
    data = load_preset("tiny")
    data.setdefault("generation", {}).update(retries=2, fewshot=0)
    data.setdefault("estimate", {})["pass_rate"] = 0.25
    assert "attempts_per_pair" not in estimate(load_config(None, base=data))
