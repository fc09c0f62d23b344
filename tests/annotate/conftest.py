"""Study fixtures on real data: the packaged SPC sample as the human side, and a finished run
(`tests/runs.py`) whose winners are real SPC validation conversations in iterations 1-3."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic_persona_chat.annotate.config import StudyConfig
from tests.runs import finished_run, sample_conversations


def write_run(run_dir: Path, n: int = 30) -> Path:
    """A finished run (`tests/runs.py`) of the packaged sample's first `n` validation conversations."""
    return finished_run(run_dir, sample_conversations("valid", n)).path


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return write_run(tmp_path / "run")


@pytest.fixture
def study_config(run_dir) -> StudyConfig:
    return StudyConfig(name="fixture study", real="spc-sample:test", synthetic={"run": str(run_dir)},
                       annotators=3, items_per_annotator=6, overlap=2, seed=7).validate()
