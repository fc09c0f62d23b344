"""`datasets.load_dataset("synthetic_persona_chat", ...)` in a fresh interpreter, from an unrelated working
directory, offline: the name must resolve through the hook the installed package registers."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

from synthetic_persona_chat.builder.datasets_hook import NAME

from .conftest import subprocess_env

CHILD = """
import json, sys
import datasets
lazy = "synthetic_persona_chat.builder.spc_builder" not in sys.modules
ds = datasets.load_dataset("synthetic_persona_chat", sys.argv[1], data_dir=sys.argv[2])
print(json.dumps({"lazy": lazy, "rows": {s: ds[s].num_rows for s in ds}, "features": str(ds[list(ds)[0]].features)}))
"""


def run_child(tmp_path, config, data_dir, **env):
    r = subprocess.run([sys.executable, "-c", CHILD, config, str(data_dir)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=180,
                       env=subprocess_env(HF_HUB_OFFLINE="1", HF_DATASETS_CACHE=str(tmp_path / "cache"), **env))
    return r


def test_hook_is_installed_with_the_package():
    pth = Path(sysconfig.get_paths()["purelib"]) / "synthetic_persona_chat-datasets.pth"
    assert pth.exists(), "reinstall the package (pip install -e .) so setup.py installs the datasets hook"
    assert "datasets_hook" in pth.read_text()


def test_load_dataset_by_name_in_fresh_interpreter(spc_dir, run_dir, tmp_path):
    r = run_child(tmp_path, "persona-chat-compatible", spc_dir)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["lazy"] and out["rows"] == {"validation": 1000, "test": 967}
    assert "utterances': List(Value('string'))" in out["features"]
    # a run directory, given relative to the working directory
    (tmp_path / "runs").symlink_to(run_dir.parent)
    r = run_child(tmp_path, "conversations", Path("runs") / run_dir.name)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1])["rows"] == {"train": 20, "synthetic": 40}


def test_hook_can_be_turned_off(spc_test_only, tmp_path):
    r = run_child(tmp_path, "full", spc_test_only, SPC_DATASETS_HOOK="0")
    assert r.returncode != 0 and NAME in r.stderr


BARE = """
import json, sys, warnings
import datasets
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ds = datasets.load_dataset("synthetic_persona_chat", sys.argv[1])
sample = [str(w.message) for w in caught if "SAMPLE" in str(w.message)]
print(json.dumps({"rows": {s: ds[s].num_rows for s in ds}, "sample_warning": sample[:1],
                  "first": ds[list(ds)[0]][0]}))
"""


def run_bare(tmp_path, config, **env):
    return subprocess.run([sys.executable, "-c", BARE, config], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=subprocess_env(HF_DATASETS_CACHE=str(tmp_path / "cache"),
                                                          HF_HOME=str(tmp_path / "hf"), **env))


def test_bare_name_reads_the_release_from_the_hub_repo(spc_test_only, tmp_path):
    from .fake_hub import FakeHub

    csv = (spc_test_only / "Synthetic-Persona-Chat_test.csv").read_bytes()
    with FakeHub() as hub:
        hub.seed_repo("google/Synthetic-Persona-Chat", {"data/Synthetic-Persona-Chat_test.csv": csv})
        r = run_bare(tmp_path, "release", HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1")
        assert r.returncode == 0, r.stderr[-3000:]
        out = json.loads(r.stdout.strip().splitlines()[-1])
        assert out["rows"] == {"test": 968} and not out["sample_warning"]
        assert any("/datasets/google/Synthetic-Persona-Chat/resolve/" in path for _, path, _ in hub.requests)


def test_bare_name_offline_reads_the_packaged_sample_with_a_warning(tmp_path):
    r = run_bare(tmp_path, "full", HF_HUB_OFFLINE="1")
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["rows"] == {"validation": 150, "test": 150}
    assert "offline mode is on" in out["sample_warning"][0]
