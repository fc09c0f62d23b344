import dataclasses
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.records import Skip
from synthetic_persona_chat.lock import RunLockedError
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
    run.set_skips("stage", [Skip("f", "row 1", "empty")])
    assert run.skips("stage")[0]["reason"] == "empty"
    assert (tmp_path / "run" / "prompts" / "gen.j2").read_text() == "hello {{ x }}"


def test_resume_refuses_a_changed_config(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config(None, ["seed=1"]))
    RunDir(tmp_path / "r").init(load_config(None, ["seed=3"]))  # no work yet: the corrected config is taken
    RunDir(tmp_path / "r").init(load_config(None, ["seed=3"]))  # same config resumes
    run.write_records("expand", "attributes", [{"text": "I ski."}])
    with pytest.raises(RunDirError, match="another config"):
        RunDir(tmp_path / "r").init(load_config(None, ["seed=2"]))
    assert RunDir(tmp_path / "r").config().seed == 3


def test_resume_compares_what_the_user_asked_for_not_the_code_defaults(tmp_path, monkeypatch):
    """A config spelling out a default equals one leaving it out, and a default changed in the code (a new
    release, a colleague's commit) does not make an unchanged command "another config"."""
    import synthetic_persona_chat.config as config_module

    path = tmp_path / "r"
    RunDir(path).init(load_config(None, ["generation.iterations=2"])).write_records("s", "x", [{"a": 1}])
    explicit = ["generation.iterations=2", "seed=0", "models.nli=minilm-polarity", "models.max_concurrency=null"]
    RunDir(path).init(load_config(None, explicit))
    RunDir(path).init(load_config(None, ["generation.iterations=2"]))

    @dataclasses.dataclass
    class NewDefaults(config_module.ModelsConfig):
        nli: Any = "llm-judge"

    monkeypatch.setattr(config_module, "ModelsConfig", NewDefaults)  # the code's default changes
    RunDir(path).init(load_config(None, ["generation.iterations=2"]))
    assert RunDir(path).config().models.nli == "llm-judge"  # config.yaml: what this resume uses
    resumed = RunDir(path).config()  # resuming with the run's own config asks what the user asked
    RunDir(path).init(resumed)
    with pytest.raises(RunDirError, match=r"generation.iterations: 2 -> 4"):
        RunDir(path).init(load_config(None, ["generation.iterations=4"]))
    with pytest.raises(RunDirError, match=r"models.nli: \(default\) -> 'minilm-polarity'"):
        RunDir(path).init(load_config(None, ["generation.iterations=2", "models.nli=minilm-polarity"]))


def test_runs_without_requested_yaml_compare_their_resolved_config(tmp_path):
    path = tmp_path / "r"
    RunDir(path).init(load_config(None, ["generation.iterations=2"])).write_records("s", "x", [{"a": 1}])
    (path / "requested.yaml").unlink()  # a run made before requested.yaml existed
    RunDir(path).init(load_config(None, ["generation.iterations=2"]))
    (path / "requested.yaml").write_bytes(b"\xff{[")  # damaged: a warning, then config.yaml decides
    RunDir(path).init(load_config(None, ["generation.iterations=2"]))
    with pytest.raises(RunDirError, match="another config"):
        RunDir(path).init(load_config(None, ["generation.iterations=4"]))


def test_damaged_output_names_the_file_and_fix(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    (run.stage_dir("s") / "x.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunDirError, match="rerun the 's' stage"):
        run.read_records("s", "x")
    with pytest.raises(RunDirError, match="missing"):
        run.read_records("s", "y")


# -- issue 14: markers vouch for their files, one run per directory, damaged files named -----------

def _finished_stage(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    run.write_records("conversations", "conversations", [{"id": "a"}, {"id": "b"}])
    run.write_records("conversations", "candidates", [{"id": "a"}])
    run.mark_done("conversations", {"winners": 2})
    return run


def test_done_marker_vouches_for_name_size_and_hash(tmp_path):
    run = _finished_stage(tmp_path)
    marker = json.loads((run.path / "conversations" / "_done.json").read_text())
    assert set(marker["_files"]) == {"conversations.parquet", "candidates.parquet"}
    assert run.is_done("conversations") and run.stage_summary("conversations") == {
        "finished": marker["finished"], "winners": 2}  # the file list is not part of the summary
    run.require_complete()

    wins = run.path / "conversations" / "conversations.parquet"
    data = wins.read_bytes()
    wins.unlink()  # the repro: following our own repair advice
    assert not run.is_done("conversations")
    with pytest.raises(RunDirError, match=r"conversations\.parquet is missing but .*_done\.json vouches for it"):
        run.require_complete()
    wins.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, one bit flipped
    assert run.done_problem("conversations").endswith("(its sha256 differs from "
                                                      f"{run.path / 'conversations' / '_done.json'})")
    wins.write_bytes(data + b"x")
    assert "bytes" in run.done_problem("conversations")
    wins.write_bytes(data)
    assert run.is_done("conversations")


def test_require_complete_checks_every_marked_stage(tmp_path):
    run = _finished_stage(tmp_path)
    run.write_records("expand", "attributes", [{"text": "I ski."}])
    run.mark_done("expand", {"attributes": 1})
    (run.path / "expand" / "attributes.parquet").unlink()
    with pytest.raises(RunDirError, match=r"expand/attributes\.parquet is missing"):
        run.require_complete()
    with pytest.raises(RunDirError, match="not a run directory"):
        RunDir(tmp_path / "empty").require_complete()
    half = RunDir(tmp_path / "half").init(load_config())
    with pytest.raises(RunDirError, match=r"_done\.json is missing: .* did not finish"):
        half.require_complete()


def test_damaged_marker_means_not_done(tmp_path):
    run = _finished_stage(tmp_path)
    (run.path / "conversations" / "_done.json").write_text('{"winners": 2, "_fil')
    assert not run.is_done("conversations")
    assert "_done.json is damaged" in run.done_problem("conversations")


def test_damaged_run_files_are_named(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    (run.path / "manifest.json").write_bytes(b"{\xff\xfe")
    with pytest.raises(RunDirError, match=r"manifest\.json is damaged .*delete it"):
        RunDir(tmp_path / "r").init(load_config())
    (run.path / "manifest.json").unlink()
    (run.path / "config.yaml").write_text("seed: [1,\n")
    with pytest.raises(RunDirError, match=r"config\.yaml is damaged"):
        RunDir(tmp_path / "r").init(load_config())
    (run.path / "config.yaml").write_text("generation:\n  iterations: three\n")
    with pytest.raises(RunDirError, match=r"config\.yaml: generation\.iterations: expected an integer"):
        run.config()


def test_skips_survive_a_line_cut_by_a_kill(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    run.set_skips("s", [Skip("f", "row 1", "empty")])
    with open(run.path / "skips.jsonl", "a") as fh:
        fh.write('{"stage": "s", "sour')  # a line cut by a kill (older runs appended to this file)
    run.set_skips("s", [Skip("f", "row 1", "empty"), Skip("f", "row 2", "garbage")])
    assert [s["reason"] for s in run.skips("s")] == ["empty", "garbage"]
    assert len((run.path / "skips.jsonl").read_text().splitlines()) == 2  # the rewrite drops the cut line


def test_a_skip_is_recorded_once_when_a_resumed_stage_records_it_again(tmp_path):
    run = RunDir(tmp_path / "r").init(load_config())
    first = [Skip("seeds.csv", "line 3", "malformed CSV row"), Skip("seeds.csv", "line 9", "too long")]
    run.set_skips("expand", first)
    run.set_skips("profiles", first[:1])  # the same locator in another stage is another fact
    run.set_skips("expand", [*first, first[0], Skip("seeds.csv", "line 12", "empty")])  # resumed after a kill
    assert [s["locator"] for s in run.skips("expand")] == ["line 3", "line 9", "line 12"]
    assert [s["locator"] for s in run.skips("profiles")] == ["line 3"]
    assert len(run.skips()) == 4
    before = (run.path / "skips.jsonl").stat().st_mtime_ns
    run.set_skips("profiles", first[:1])  # published again unchanged: the file is not rewritten
    assert (run.path / "skips.jsonl").stat().st_mtime_ns == before


HOLD = """
import sys, time
from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.rundir import RunDir
RunDir(sys.argv[1]).init(load_config())
print("locked", flush=True)
time.sleep(60)
"""


def test_second_process_is_refused_and_a_dead_holder_is_taken_over(tmp_path):
    run_dir = tmp_path / "r"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError) as info:
            RunDir(run_dir).init(load_config())
        text = str(info.value)
        assert f"PID {holder.pid} on host {os.uname().nodename}" in text and "started 20" in text
        assert "wait for it to finish" in text and f"kill {holder.pid}" in text
    finally:
        holder.kill()  # kill -9: the lock file stays behind, naming a dead process
        holder.wait()
        holder.stdout.close()
    assert json.loads((run_dir / ".lock").read_text())["pid"] == holder.pid
    run = RunDir(run_dir).init(load_config())  # taken over
    assert json.loads((run_dir / ".lock").read_text())["pid"] == os.getpid()
    RunDir(run_dir).init(load_config())  # re-entrant within one process
    run.lock.release()


def test_a_change_to_the_default_value_names_the_value(tmp_path):
    """`--set generation.iterations=3` on a run made with 2: the refusal says `2 -> 3 (the default)`, not
    `2 -> (default)`, which read as if the new value were unknown."""
    RunDir(tmp_path / "r").init(load_config(None, ["generation.iterations=2"]))
    RunDir(tmp_path / "r").write_records("expand", "attributes", [{"text": "I ski."}])
    with pytest.raises(RunDirError, match=r"generation\.iterations: 2 -> 3 \(the default\)"):
        RunDir(tmp_path / "r").init(load_config(None, ["generation.iterations=3"]))
