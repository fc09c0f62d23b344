"""`spc push` against the local fake Hub when things go wrong: each failure is one line with its cause and
fix, a non-zero exit, and nothing half-published. Plus versions: a second push adds a tag and a changelog
entry, and the first version stays loadable by its tag."""

import json
import socket
import subprocess
import sys

import pytest

from synthetic_persona_chat.builder.export import export

from .conftest import make_run, subprocess_env
from .fake_hub import FakeHub
from .test_publish import LOAD, TOKEN, spc


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("pub-err") / "export"
    export(run_dir, out, version="1.0.0", configs=("full", "messages"))
    return out


@pytest.fixture
def hub():
    with FakeHub() as hub:
        yield hub


def _one_line(r):
    """The failure's line: the last of stderr (progress bars and retry warnings may come before it)."""
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith("spc: ") and ("failed: " in line or "not publishable" in line), line
    return line


@pytest.mark.parametrize("route, statuses, needle", [
    ("create_repo", [401], "HTTP 401"),
    ("create_repo", [403], "write access"),
    ("refs", [404], "check the repo id"),
    ("create_repo", [429] * 4, "rate-limited by the Hub even after retries"),
])
def test_hub_refusals_are_one_line_and_publish_nothing(exported, hub, tmp_path, route, statuses, needle):
    hub.fail[route] = list(statuses)
    line = _one_line(spc(["push", str(exported), "--repo", "me/err"], hub, tmp_path))
    assert needle in line and "nothing was published" in line
    repo = hub.repos.get("me/err")
    assert repo is None or (not repo.tags and len(repo.commits) == 1)


def test_429_then_success_is_retried(exported, hub, tmp_path):
    hub.fail["create_repo"] = [429, 429]
    r = spc(["push", str(exported), "--repo", "me/slow"], hub, tmp_path)
    assert r.returncode == 0, r.stderr
    assert list(hub.repos["me/slow"].tags) == ["v1.0.0"]


def test_offline_and_refused_connection(exported, hub, tmp_path):
    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_TOKEN=TOKEN, HF_HOME=str(tmp_path / "hf"),
                         HF_HUB_OFFLINE="1")
    r = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(exported), "--repo", "me/x"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert "offline mode is on" in _one_line(r) and not hub.requests
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env.pop("HF_HUB_OFFLINE")
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{port}"
    r = subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(exported), "--repo", "me/x"],
                       env=env, capture_output=True, text=True, timeout=120)
    line = _one_line(r)
    assert f"cannot reach http://127.0.0.1:{port}" in line and "check the network" in line


def test_bad_card_is_caught_locally_and_by_the_hub(exported, hub, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)  # the test runner is offline

    bad = tmp_path / "bad"
    shutil.copytree(exported, bad)
    readme = bad / "README.md"
    text = readme.read_text().replace("size_categories: [n<1K]", "size_categories: [lots]")  # compact YAML
    assert "size_categories: [lots]" in text
    text = text.replace("path: messages/", "path: nowhere/")
    readme.write_text(text.replace("## Uses", "## Uses\n\n[More Information Needed]"))
    dry = spc(["push", str(bad), "--repo", "me/bad", "--dry-run"], hub, tmp_path)
    assert dry.returncode != 0 and "no file matches 'nowhere/" in dry.stderr
    assert "placeholder left in the card: '[More Information Needed]'" in dry.stderr and not hub.requests
    assert "nothing was contacted" in _one_line(spc(["push", str(bad), "--repo", "me/bad"], hub, tmp_path))
    # the fake Hub validates YAML as the real endpoint does: the client's own upload of this card is refused
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=TOKEN)
    api.create_repo("me/bad", repo_type="dataset")
    with pytest.raises(ValueError, match=r"(?s)Invalid metadata in README.md.*size_categories"):
        api.upload_file(path_or_fileobj=readme.read_bytes(), path_in_repo="README.md", repo_id="me/bad",
                        repo_type="dataset")


def test_second_version_adds_tag_and_changelog_old_tag_still_loads(exported, hub, tmp_path):
    assert spc(["push", str(exported), "--repo", "me/v"], hub, tmp_path).returncode == 0
    run2 = make_run(tmp_path / "run2", n=30).path
    second = tmp_path / "export2"
    export(run2, second, version="1.1.0", configs=("full", "messages"))
    r = spc(["push", str(second), "--repo", "me/v"], hub, tmp_path)
    assert r.returncode == 0, r.stderr
    repo = hub.repos["me/v"]
    assert set(repo.tags) == {"v1.0.0", "v1.1.0"} and repo.tags["v1.1.0"] == repo.branches["main"]
    card = repo.commits[repo.branches["main"]]["README.md"].content.decode()
    assert card.index("- **v1.1.0**") < card.index("- **v1.0.0**")  # newest first, the old entry kept

    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf2"))
    sizes = {}
    for rev in ("v1.0.0", "v1.1.0"):
        out = tmp_path / f"{rev}.json"
        r = subprocess.run([sys.executable, "-c", LOAD, "me/v", "full", rev, str(out)], env=env,
                           capture_output=True, text=True, timeout=180, cwd=tmp_path)
        assert r.returncode == 0, r.stderr[-3000:]
        sizes[rev] = {split: len(rows) for split, rows in json.loads(out.read_text()).items()}
    assert sizes == {"v1.0.0": {"train": 20, "synthetic": 40}, "v1.1.0": {"train": 10, "synthetic": 20}}
