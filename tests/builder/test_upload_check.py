"""Item 1 of #26: an export is publishable. It names its run, never the run's location, and the push (dry-run
too) checks every file it would upload for machine paths, Parquet strings and the manifest included."""

from __future__ import annotations

import json
import subprocess
import sys

import datasets
import pytest

from synthetic_persona_chat.builder.export import MANIFEST, export
from synthetic_persona_chat.builder.publish import push
from synthetic_persona_chat.builder.upload_check import CHECKS, Check, machine_paths, scan

from .conftest import make_run, subprocess_env


@pytest.fixture(scope="module")
def personaless_export(tmp_path_factory):
    """A run with no persona stage: `personas` is not built, and the card says why (with the run's name)."""
    run = make_run(tmp_path_factory.mktemp("deep") / "runs" / "my-run", n=12)
    for f in (run.path / "expand").iterdir():
        f.unlink()
    out = tmp_path_factory.mktemp("exp") / "export"
    export(run.path, out, configs=("full", "conversations", "messages", "personas"))
    return run.path, out


def test_the_export_names_the_run_never_its_location(personaless_export):
    run, out = personaless_export
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["source"]["name"] == "my-run" and "location" not in manifest["source"]
    card = (out / "README.md").read_text()
    assert "`personas`: my-run: expand/attributes.parquet is missing" in card
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".parquet":
            assert str(run.parent) not in path.read_text(), path


def test_dry_run_of_a_run_export_is_publishable_and_lists_every_file_checked(personaless_export, tmp_path):
    _, out = personaless_export
    env = subprocess_env(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    r = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(out), "--repo", "me/x",
                        "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    checked = next(line for line in r.stdout.splitlines() if line.startswith("checked "))
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert checked.split(": ", 1)[1].split(", ") == files and MANIFEST in files


def test_a_machine_path_in_any_uploaded_file_is_found(tmp_path):
    out = tmp_path / "leaky"
    rows = [{"user_1_persona": ["I live in /home/alice/notes.txt"], "user_2_persona": ["x"], "utterances": ["hi"]}]
    out.mkdir()
    datasets.Dataset.from_list(rows).to_parquet(str(out / "data.parquet"))
    (out / MANIFEST).write_text(json.dumps({"source": {"location": "/work/main/runs/tiny"}}))
    (out / "README.md").write_text("Built from `runs/tiny` at https://example.org/home/page")
    report = scan(out, ["README.md", MANIFEST, "data.parquet"])
    assert report.checked == ["README.md", MANIFEST, "data.parquet"]
    assert report.findings == [f"{MANIFEST}: machine path: /work/main/runs/tiny",
                               "data.parquet: machine path: /home/alice/notes.txt"]


def test_a_second_check_plugs_in(tmp_path):
    secret = Check("secret", lambda text: ["hf_…"] if "hf_" in text else [])
    assert machine_paths("see https://x.org/tmp/a and /tmp/run/b") == ["/tmp/run/b"]
    assert CHECKS[0].name == "machine path"
    (tmp_path / "a.md").write_text("token hf_abc")
    assert scan(tmp_path, ["a.md"], checks=[*CHECKS, secret]).findings == ["a.md: secret: hf_…"]


def test_push_refuses_an_export_with_a_machine_path_before_contacting_anything(personaless_export, tmp_path):
    import shutil

    _, src = personaless_export
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "note": f"built in {tmp_path}"}))
    dry = push(out, "me/x", dry_run=True)
    assert not dry.ok and any(p.startswith(f"{MANIFEST}: machine path: ") for p in dry.problems())


def test_push_of_a_folder_that_is_no_export_is_an_export_error_not_a_network_one(tmp_path):
    env = subprocess_env(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    r = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(tmp_path), "--repo", "me/x",
                        "--dry-run"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 9 and r.stderr.strip().splitlines()[-1].startswith("spc: export folder error: "), r.stderr
