"""A run's JSON file nested deeper than the parser's stack is a damaged file named, not a crash (#27, bounded
inputs: JSON nesting depth)."""

import pytest

from synthetic_persona_chat.config import Config
from synthetic_persona_chat.rundir import RunDir, RunDirError


def test_a_run_json_nested_too_deeply_is_a_damaged_file_named(tmp_path):
    run = RunDir(tmp_path / "run").init(Config())
    (tmp_path / "run" / "models.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(RunDirError, match=r"models.json is damaged"):
        run.read_json("models.json")
