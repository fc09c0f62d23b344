"""Study fixtures on real data: the packaged SPC sample as the human side, and a run directory whose
conversations are real SPC validation conversations tagged with iterations 1-3 (the annotation
machinery only needs real conversations with an iteration; a generated run has exactly this layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic_persona_chat.annotate.config import StudyConfig


def write_run(run_dir: Path, n: int = 30) -> Path:
    """A run directory written through `RunDir`, as the conversation stage leaves it."""
    from synthetic_persona_chat.config import Config
    from synthetic_persona_chat.eval.data import load_dataset
    from synthetic_persona_chat.rundir import RunDir

    convs = load_dataset("spc-sample:valid", "valid").conversations[:n]
    for i, conv in enumerate(convs):
        conv.iteration = i % 3 + 1
        conv.source = "run:fixture"
    run = RunDir(run_dir).init(Config())
    run.write_records("conversations", "conversations", [c.to_dict() for c in convs])
    run.mark_done("conversations", {"conversations": len(convs)})
    return run_dir


@pytest.fixture
def run_dir(tmp_path) -> Path:
    return write_run(tmp_path / "run")


@pytest.fixture
def study_config(run_dir) -> StudyConfig:
    return StudyConfig(name="fixture study", real="spc-sample:test", synthetic={"run": str(run_dir)},
                       annotators=3, items_per_annotator=6, overlap=2, seed=7).validate()
