"""Shared fixtures: real data lives in ../shared/data (never copied into the repo)."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pytest

from tests.fakes import forget_task_names, record_task_names
from tests.runs import sample_conversations

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SPC_SHARED_DATA", REPO.parent / "shared" / "data"))
SPC_DIR = SHARED_DATA / "spc"
SPC_TEST = SPC_DIR / "Synthetic-Persona-Chat_test.csv"
SPC_VALID = SPC_DIR / "Synthetic-Persona-Chat_valid.csv"


def pytest_configure(config):
    record_task_names()  # tests.fakes.task_of names the task of every prompt rendered in a test


@pytest.fixture(scope="session")
def spc_dir() -> Path:
    if not SPC_TEST.exists():
        pytest.fail(f"real SPC data missing at {SPC_DIR}; set SPC_SHARED_DATA")
    return SPC_DIR


@pytest.fixture(scope="session")
def sample_test() -> list:
    """SPC's first 150 test conversations, read from the sample in the package (the release's own rows): a test
    that needs no more than these runs without ../shared."""
    return sample_conversations("test")


@pytest.fixture(scope="session")
def sample_valid() -> list:
    """SPC's first 150 validation conversations, from the packaged sample (see `sample_test`)."""
    return sample_conversations("valid")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Each test session gets its own embedding cache, never the user's."""
    monkeypatch.setenv("SPC_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "spc-cache"))


@pytest.fixture(autouse=True)
def _one_test_of_task_names():
    """tests.fakes.TaskLLM answers by the task that rendered a prompt: the record is per test."""
    yield
    forget_task_names()


@pytest.fixture(scope="session")
def smollm():
    """The embedded default LLM: bundled SmolLM2 through transformers, batched, loaded once per session."""
    from synthetic_persona_chat.models import load_llm

    llm = load_llm("transformers:smollm2")
    yield llm
    llm.close()


@pytest.fixture(scope="session")
def smollm_float32(smollm):
    """The bundled SmolLM2 in float32, for tests of batch-invariant texts: `smollm` itself where dtype auto chose
    float32, else (a CPU with native bf16) a second load with dtype float32."""
    import torch
    from synthetic_persona_chat.models import load_llm

    if smollm._model.dtype == torch.float32:
        yield smollm
        return
    llm = load_llm({"backend": "transformers", "model": "smollm2", "dtype": "float32"})
    yield llm
    llm.close()


@pytest.fixture(scope="session")
def smollm_llamacpp():
    """The bundled SmolLM2 on the optional llama.cpp backend; skipped where the extra is not installed."""
    pytest.importorskip("llama_cpp", reason="llama.cpp is an optional extra (SPC_LLAMA_CPP=1 bash scripts/setup.sh)")
    from synthetic_persona_chat.models import load_llm

    llm = load_llm("llama-cpp:smollm2")
    yield llm
    llm.close()


@pytest.fixture(scope="session")
def minilm():
    from synthetic_persona_chat.models import Embedder

    return Embedder("minilm")


# The fast lane is `pytest -m "not slow"`. A test is slow when it loads a real model (through these fixtures),
# drives the real `spc` in child processes (the fault-injection suite, the browser test, any module that starts
# `python -m synthetic_persona_chat.cli`), runs the bundled LLM through the tiny preset without a fixture, or runs
# Ray: marked here from what the test (or its module) uses, so a new test is classified without anyone
# remembering to mark it. A module is judged by its source because its helpers, not the test body, start `spc`.
REAL_MODEL_FIXTURES = frozenset({"smollm", "smollm_llamacpp", "minilm"})
SLOW_FOLDERS = ("faults",)
SLOW_FILES = ("test_browser.py",)
SLOW_SOURCE = re.compile(r'"synthetic_persona_chat\.cli"'  # `spc` in a child process
                         r'|"--preset", "tiny"'  # the bundled SmolLM2, loaded by the CLI itself
                         r'|^import ray|^ *ray\.init|engine="ray"|"engine": "ray"', re.M)  # a Ray cluster


@functools.lru_cache(maxsize=None)
def _module_is_slow(path: Path) -> bool:
    return path.suffix == ".py" and bool(SLOW_SOURCE.search(path.read_text(encoding="utf-8")))


def is_slow(item) -> bool:
    """Why a test is in the slow lane: the rules above, in the order they are cheapest to check."""
    path = Path(str(item.fspath))
    return bool(REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
                or any(part in SLOW_FOLDERS for part in path.parts) or path.name in SLOW_FILES
                or _module_is_slow(path))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
