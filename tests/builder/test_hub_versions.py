"""A version on the Hub is all there or not there (#21 item 2), against the fake Hub over real HTTP with real
`spc push` processes: a push killed with SIGKILL between its commit and its tag is completed by the next push;
an untagged commit whose files are not the data it names is rolled back; a tag the Hub refuses rolls main back
at once; a second push of the same data is a no-op that says so; `spc push --status` tells each state."""

import signal
import subprocess
import sys

import pytest

from synthetic_persona_chat.builder.export import export
from synthetic_persona_chat.pause_points import ENV

from .conftest import subprocess_env
from .fake_hub import FakeHub
from .test_publish import TOKEN

REPO = "me/versions"


@pytest.fixture(scope="module")
def exports(run_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("versions")
    return {v: export(run_dir, root / v, version=v, configs=("full",)).folder for v in ("1.0.0", "1.1.0")}


@pytest.fixture
def hub():
    with FakeHub() as hub:
        yield hub


def env(hub, tmp_path, **extra):
    return subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_TOKEN=TOKEN,
                          HF_HOME=str(tmp_path / "hf"), **extra)


def spc_push(folder, hub, tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(folder), "--repo", REPO,
                           *args], env=env(hub, tmp_path), capture_output=True, text=True, timeout=180)


def killed_after_commit(folder, hub, tmp_path):
    """A real `spc push` held at its named point between commit and tag, then killed with SIGKILL there."""
    proc = subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(folder), "--repo", REPO],
                            env=env(hub, tmp_path, **{ENV: "push:after-commit"}), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # the process announces the point once it is there
            if "paused at push:after-commit" in line:
                break
        else:
            pytest.fail(f"spc push never reached the pause point (exit {proc.wait()})")
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        proc.kill()
        proc.stderr.close()


def snapshot(hub, revision):
    repo = hub.repos[REPO]
    return {path: blob.content for path, blob in repo.commits[repo.resolve(revision)].items()}


def publish_commits(hub):
    return [m for m in hub.repos[REPO].messages.values() if m.startswith("Publish")]


def test_a_push_killed_between_commit_and_tag_is_completed_by_the_next(exports, hub, tmp_path):
    killed_after_commit(exports["1.0.0"], hub, tmp_path)
    repo = hub.repos[REPO]
    assert repo.tags == {} and publish_commits(hub) == ["Publish v1.0.0"]  # the half-made state is real

    status = spc_push(exports["1.0.0"], hub, tmp_path, "--status")
    assert status.returncode == 0, status.stderr[-2000:]
    assert "pending: v1.0.0" in status.stdout and "= this export" in status.stdout
    assert "the next `spc push` completes it" in status.stdout and "this export" in status.stdout
    assert "pending on main" in status.stdout and repo.tags == {}  # --status changed nothing

    pending = repo.branches["main"]
    r = spc_push(exports["1.0.0"], hub, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "completed the unfinished v1.0.0" in r.stdout and "nothing to do" in r.stdout
    assert repo.tags == {"v1.0.0": pending} and repo.branches["main"] == pending  # tagged, nothing re-uploaded
    assert publish_commits(hub) == ["Publish v1.0.0"]
    card = snapshot(hub, "v1.0.0")["README.md"].decode()
    assert "- **v1.0.0**" in card  # the version's changelog entry is under its tag

    status = spc_push(exports["1.0.0"], hub, tmp_path, "--status")
    assert "published as v1.0.0" in status.stdout and "pending" not in status.stdout.replace("pending on", "")


def test_a_second_push_of_the_same_data_is_a_no_op_that_says_so(exports, hub, tmp_path):
    assert spc_push(exports["1.0.0"], hub, tmp_path).returncode == 0
    before = dict(hub.repos[REPO].commits), dict(hub.repos[REPO].tags)
    r = spc_push(exports["1.0.0"], hub, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "already holds this export" in r.stdout and "nothing to do" in r.stdout
    assert (dict(hub.repos[REPO].commits), dict(hub.repos[REPO].tags)) == before


def test_an_untagged_commit_that_is_not_whole_is_rolled_back(exports, hub, tmp_path):
    assert spc_push(exports["1.0.0"], hub, tmp_path).returncode == 0
    published = snapshot(hub, "v1.0.0")
    killed_after_commit(exports["1.1.0"], hub, tmp_path)
    repo = hub.repos[REPO]
    repo.descriptions[repo.branches["main"]] = "version 1.1.0, data fingerprint 0123456789ab"  # not what it holds

    status = spc_push(exports["1.1.0"], hub, tmp_path, "--status")
    assert "pending: v1.1.0" in status.stdout and "rolls it back (it is not whole)" in status.stdout

    r = spc_push(exports["1.0.0"], hub, tmp_path)  # the next push, whichever export it carries
    assert r.returncode == 0, r.stderr[-2000:]
    assert "rolled back the unfinished v1.1.0" in r.stdout and "already holds this export" in r.stdout
    assert snapshot(hub, "main") == published  # main is v1.0.0's files again, card and parquet alike
    assert "v1.1.0" not in repo.tags and repo.messages[repo.branches["main"]] == "Roll back unfinished v1.1.0"


@pytest.mark.parametrize("refusal", [[403], [503] * 4], ids=["forbidden", "5xx-storm"])
def test_a_refused_tag_rolls_main_back_at_once(exports, hub, tmp_path, refusal):
    assert spc_push(exports["1.0.0"], hub, tmp_path).returncode == 0
    published = snapshot(hub, "v1.0.0")
    hub.fail["tag"] = list(refusal)
    r = spc_push(exports["1.1.0"], hub, tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert f"HTTP {refusal[0]}" in line and "main was rolled back" in line and "v1.1.0 is not published" in line
    repo = hub.repos[REPO]
    assert snapshot(hub, "main") == published and set(repo.tags) == {"v1.0.0"}

    r = spc_push(exports["1.1.0"], hub, tmp_path)  # the Hub answers again: the same command publishes it
    assert r.returncode == 0, r.stderr[-2000:]
    assert repo.tags["v1.1.0"] == repo.branches["main"] and "unfinished" not in r.stdout
    card = snapshot(hub, "v1.1.0")["README.md"].decode()
    assert card.index("- **v1.1.0**") < card.index("- **v1.0.0**")  # the changelog names both, newest first


def test_status_of_a_repo_that_does_not_exist(exports, hub, tmp_path):
    r = spc_push(exports["1.0.0"], hub, tmp_path, "--status")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no such dataset repo" in r.stdout and REPO not in hub.repos
