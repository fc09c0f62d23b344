"""A native crash in a model becomes a reported row with the fix, never a dead command."""

import os
import signal

from synthetic_persona_chat.config import Config
from synthetic_persona_chat.models import check
from synthetic_persona_chat.models.isolation import run_in_child
from synthetic_persona_chat.models.llm.llama_cpp import REBUILD_COMMAND, amx_enabled


def segfault(_config=None):
    os.kill(os.getpid(), signal.SIGSEGV)


def answer(x):
    return {"doubled": 2 * x}


def fail(_x):
    raise ValueError("no such model")


def test_child_returns_value_error_or_signal():
    assert run_in_child(answer, 21).value == {"doubled": 42}
    err = run_in_child(fail, 1)
    assert not err.ok and err.describe_failure() == "ValueError: no such model"
    crash = run_in_child(segfault)
    assert not crash.ok and crash.signal == signal.SIGSEGV
    assert crash.describe_failure() == "crashed (signal 11, SIGSEGV)"


def test_models_check_reports_a_crash_with_the_fix(monkeypatch):
    probes = dict(check.PROBES)
    probes["llm"] = segfault
    monkeypatch.setattr(check, "PROBES", list(probes.items()))
    config = Config.from_dict({"models": {"llm": "llama-cpp:smollm2", "nli": "cross-encoder:none",
                                          "toxicity": "profanity-check"}})
    rows = {r.role: r.to_json() for r in check.check_models(config)}
    assert not rows["llm"]["ok"] and rows["llm"]["answer"].startswith("crashed (signal 11")
    assert REBUILD_COMMAND in rows["llm"]["answer"]
    assert rows["embedder"]["ok"] and rows["toxicity"]["ok"]  # the other roles were still checked


def test_amx_builds_are_recognised():
    assert amx_enabled("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1")
    assert not amx_enabled("CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | LLAMAFILE = 1")
    assert "-DGGML_NATIVE=OFF" in REBUILD_COMMAND and "-DGGML_AMX_INT8=OFF" in REBUILD_COMMAND
