"""Builder fixtures: a release folder holding only SPC's test split, and a finished run directory
(`tests/runs.py`) whose conversations are real SPC conversations with the provenance the generation stages
record."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synthetic_persona_chat.records import Skip
from synthetic_persona_chat.rundir import RunDir
from tests.runs import finished_run, sample_conversations


@pytest.fixture(scope="session")
def spc_test_only(spc_dir, tmp_path_factory) -> Path:
    """The release's test CSV alone (a link, never a copy): 968 rows, one of them empty."""
    d = tmp_path_factory.mktemp("spc-test-only")
    os.symlink(spc_dir / "Synthetic-Persona-Chat_test.csv", d / "Synthetic-Persona-Chat_test.csv")
    return d


def make_run(path: Path, n: int = 60, done: bool = True) -> RunDir:
    """A finished run (`tests/runs.py`) of the first `n` (at most 150) rows of SPC's test split, read from the
    packaged sample (so builder tests run without ../shared): a third carried over as seed conversations
    with a Persona-Chat split, the rest generated, with the persona expansion's tables, one recorded skip,
    and the pass rates the card tests read."""
    return finished_run(path, sample_conversations("test", n), seeds=n // 3, expand=True, done=done,
                        skips=[Skip("generator", "pair p99", "no 'User 2:' line in candidate")],
                        summary={"pass_rates": {"faithfulness": 0.75, "toxicity": 1.0},
                                 "evaluated": {"faithfulness": 4, "toxicity": 3}})


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("run") / "test").path  # its conversations' source: run:test


def subprocess_env(**extra: str) -> dict[str, str]:
    """A clean environment for a child interpreter: no HF_* settings of the parent, then `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HUB_DISABLE_TELEMETRY="1", **extra)
    return env
