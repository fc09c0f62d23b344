import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.records import Skip
from synthetic_persona_chat.rundir import RunDir, RunDirError


def test_run_dir_records_config_versions_and_outputs(tmp_path):
    cfg = load_config(None, ["seed=5"])
    run = RunDir(tmp_path / "run").init(cfg)
    man = run.manifest()
    assert man["seed"] == 5 and "torch" in man["packages"] and "datasets" in man["packages"]
    assert run.config().seed == 5
    run.record_model("llm", {"backend": "x"})
    run.record_prompt("gen.j2", "hello {{ x }}")
    run.write_records("stage", "rows", [{"a": 1}, {"a": 2}])
    assert run.read_records("stage", "rows") == [{"a": 1}, {"a": 2}]
    assert not run.is_done("stage")
    run.mark_done("stage", {"rows": 2})
    assert run.is_done("stage") and run.stage_summary("stage")["rows"] == 2
    run.add_skips("stage", [Skip("f", "row 1", "empty")])
    assert run.skips("stage")[0]["reason"] == "empty"
    assert (tmp_path / "run" / "prompts" / "gen.j2").read_text() == "hello {{ x }}"


def test_resume_refuses_a_changed_config(tmp_path):
    RunDir(tmp_path / "r").init(load_config(None, ["seed=1"]))
    RunDir(tmp_path / "r").init(load_config(None, ["seed=1"]))  # same config resumes
    with pytest.raises(RunDirError, match="another config"):
        RunDir(tmp_path / "r").init(load_config(None, ["seed=2"]))


def test_damaged_output_names_the_file_and_fix(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    (run.stage_dir("s") / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunDirError, match="rerun the 's' stage"):
        run.read_records("s", "x")
    with pytest.raises(RunDirError, match="missing"):
        run.read_records("s", "y")
