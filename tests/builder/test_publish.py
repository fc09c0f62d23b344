"""`spc push` with the real huggingface_hub client over real HTTP to a local fake Hub, then stock
`load_dataset("ns/name", config)` from it. Client processes are children with HF_ENDPOINT set."""

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from synthetic_persona_chat.builder.export import export

from .conftest import subprocess_env
from .fake_hub import FakeHub

TOKEN = "hf_fake_token_never_logged_0123456789"
LOAD = """
import json, sys, datasets
ds = datasets.load_dataset(sys.argv[1], sys.argv[2], revision=sys.argv[3])
json.dump({split: ds[split].to_list() for split in ds}, open(sys.argv[4], "w"))
"""


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "export"
    export(run_dir, out, version="1.0.0", configs=("full", "nup", "personas"))
    return out


@pytest.fixture
def hub():
    with FakeHub() as hub:
        yield hub


def spc(args, hub, tmp_path):
    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_TOKEN=TOKEN, HF_HOME=str(tmp_path / "hf"))
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_push_then_stock_load_dataset(exported, hub, tmp_path):
    r = spc(["push", str(exported), "--repo", "me/personas"], hub, tmp_path)
    assert r.returncode == 0, r.stderr
    repo = hub.repos["me/personas"]
    card = repo.commits[repo.tags["v1.0.0"]]["README.md"].content.decode()
    assert 'load_dataset("me/personas", "full")' in card and "YOUR_NAMESPACE" not in card  # filled at push time
    assert "- **v1.0.0** (" in card
    assert list(repo.tags) == ["v1.0.0"] and repo.tags["v1.0.0"] == repo.branches["main"]
    assert len(repo.commits) == 2  # the repo's initial commit + ONE upload commit
    assert [m for m in repo.messages.values()][-1] == "Publish v1.0.0"
    assert all(auth == f"Bearer {TOKEN}" for method, path, auth in hub.requests if path.startswith("/api/"))
    assert TOKEN not in r.stdout + r.stderr
    for f in [*exported.rglob("*"), *(tmp_path / "hf").rglob("*")]:
        assert not f.is_file() or TOKEN.encode() not in f.read_bytes(), f

    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf2"))
    for config in ("full", "nup"):
        rows_file = tmp_path / f"{config}.json"
        r = subprocess.run([sys.executable, "-c", LOAD, "me/personas", config, "v1.0.0", str(rows_file)], env=env,
                           capture_output=True, text=True, timeout=180, cwd=tmp_path)
        assert r.returncode == 0, r.stderr[-3000:]
        loaded = json.loads(rows_file.read_text())
        local = {p.name.split("-")[0]: pq.read_table(p).to_pylist() for p in (exported / config).glob("*.parquet")}
        assert loaded == local

    again = spc(["push", str(exported), "--repo", "me/personas"], hub, tmp_path)
    assert again.returncode == 0 and "already holds this export" in again.stdout
    assert len(repo.commits) == 2


def test_failed_commit_publishes_nothing_and_retry_succeeds(exported, run_dir, hub, tmp_path):
    dry = spc(["push", str(exported), "--repo", "me/retry", "--dry-run"], hub, tmp_path)
    assert dry.returncode == 0 and "nup/synthetic-00000-of-00001.parquet" in dry.stdout and not hub.requests
    assert "card: valid" in dry.stdout

    hub.fail_commits = 10  # more than the retries of 5xx
    r = spc(["push", str(exported), "--repo", "me/retry", "--revision", "v1.0.0"], hub, tmp_path)
    assert r.returncode != 0 and "nothing was published" in r.stderr and "rerun the same command" in r.stderr
    assert "Traceback" not in r.stderr and r.stderr.strip().splitlines()[-1].startswith("spc: Hub/network error: ")
    repo = hub.repos["me/retry"]
    assert repo.tags == {} and len(repo.commits) == 1  # no tag, no half commit
    hub.fail_commits = 0

    r = spc(["push", str(exported), "--repo", "me/retry", "--revision", "v1.0.0"], hub, tmp_path)
    assert r.returncode == 0, r.stderr
    assert list(repo.tags) == ["v1.0.0"] and len(repo.commits) == 2
    snapshot = repo.commits[repo.tags["v1.0.0"]]
    assert {"README.md", "spc_export.json", "full/train-00000-of-00001.parquet"} <= set(snapshot)

    # a published version never changes: other data under the same tag is refused
    other = tmp_path / "other-export"
    export(run_dir, other, version="1.0.0", configs=("full",))
    r = spc(["push", str(other), "--repo", "me/retry"], hub, tmp_path)
    assert r.returncode != 0 and "already has tag v1.0.0 with other data" in r.stderr


def test_a_build_of_some_configs_does_not_delete_the_others_unasked(exported, run_dir, hub, tmp_path):
    assert spc(["push", str(exported), "--repo", "me/part"], hub, tmp_path).returncode == 0
    only_full = tmp_path / "only-full"
    export(run_dir, only_full, version="1.1.0", configs=("full",))
    r = spc(["push", str(only_full), "--repo", "me/part"], hub, tmp_path)
    assert r.returncode == 2 and "holds config(s) nup, personas that this export does not" in r.stderr, r.stderr
    repo = hub.repos["me/part"]
    assert "v1.1.0" not in repo.tags and len(repo.commits) == 2  # nothing published
    r = spc(["push", str(only_full), "--repo", "me/part", "--prune"], hub, tmp_path)
    assert r.returncode == 0, r.stderr
    assert not any(p.startswith(("nup/", "personas/")) for p in repo.commits[repo.tags["v1.1.0"]])
    assert any(p.startswith("nup/") for p in repo.commits[repo.tags["v1.0.0"]])  # the old tag keeps them


LOAD_ALL = """
import json, sys, warnings, datasets
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    out = {c: {s: d.num_rows for s, d in datasets.load_dataset(sys.argv[1], c, revision="v1.0.0").items()}
           for c in sys.argv[2].split(",")}
json.dump({"rows": out, "warnings": [str(w.message) for w in caught]}, open(sys.argv[3], "w"))
"""


def test_run_to_hub_every_config_loads_with_no_warning(run_dir, hub, tmp_path):
    """#26's path as a user walks it: `spc build` of a finished run (every config, preferences included) ->
    `spc push --dry-run` (every file it would upload checked) -> push to the fake Hub -> stock load_dataset
    of every config: nothing warns that the user did not cause, and the card stays short."""
    from synthetic_persona_chat.builder.export import CONFIGS

    out = tmp_path / "export"
    built = spc(["build", str(run_dir), "--out", str(out), "--version", "1.0.0"], hub, tmp_path)
    assert built.returncode == 0 and "WARNING" not in built.stderr, built.stderr[-2000:]
    manifest = json.loads((out / "spc_export.json").read_text())
    assert set(manifest["rows"]) == set(CONFIGS) and not manifest["skipped_configs"]
    assert manifest["rows"]["preferences"]["train"] == 50  # 40 quality-vote pairs + 10 against a filtered candidate
    assert len((out / "README.md").read_text().splitlines()) <= 300
    dry = spc(["push", str(out), "--repo", "me/all", "--dry-run"], hub, tmp_path)
    assert dry.returncode == 0 and "no file shows a machine path" in dry.stdout, dry.stderr
    uploaded = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    checked = next(line for line in dry.stdout.splitlines() if line.startswith("checked "))
    assert checked.startswith(f"checked {len(uploaded)} files") and all(f in checked for f in uploaded), checked
    assert "WARNING" not in dry.stderr and not hub.requests
    pushed = spc(["push", str(out), "--repo", "me/all"], hub, tmp_path)
    assert pushed.returncode == 0 and "WARNING" not in pushed.stderr, pushed.stderr
    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf2"))
    r = subprocess.run([sys.executable, "-c", LOAD_ALL, "me/all", ",".join(CONFIGS), str(tmp_path / "rows.json")],
                       env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    loaded = json.loads((tmp_path / "rows.json").read_text())
    assert loaded["rows"] == manifest["rows"] and loaded["warnings"] == []
    assert "WARNING" not in r.stderr, r.stderr[-2000:]
