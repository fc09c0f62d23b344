"""`spc push` tells the truth about the Hub and never hangs (#27, 10): a commit that landed but was answered
500 is recognised (the retry's 412 used to read "nothing was published" while main held every file), and a
Hub that accepts the connection but never answers fails after SPC_HUB_TIMEOUT, as one line."""

import subprocess
import sys
import time

import pytest

from synthetic_persona_chat.builder.export import export

from .conftest import subprocess_env
from .fake_hub import FakeHub
from .test_publish import TOKEN


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("truth") / "export"
    export(run_dir, out, version="1.0.0", configs=("full",))
    return out


def push(exported, hub, tmp_path, **env):
    env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_TOKEN=TOKEN, HF_HOME=str(tmp_path / "hf"),
                         **env)
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", "push", str(exported), "--repo",
                           "me/truth"], env=env, capture_output=True, text=True, timeout=300)


def test_a_commit_applied_but_answered_500_is_recognised_and_tagged(exported, hub_server, tmp_path):
    hub_server.lost_acks = 1
    r = push(exported, hub_server, tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "main now holds this export" in r.stderr and "nothing was published" not in r.stderr
    repo = hub_server.repos["me/truth"]
    assert repo.tags["v1.0.0"] == repo.branches["main"]
    assert "spc_export.json" in repo.commits[repo.branches["main"]]
    assert len([m for m in repo.messages.values() if m.startswith("Publish")]) == 1  # uploaded once


def test_a_hub_that_never_answers_fails_after_the_timeout(exported, hub_server, tmp_path):
    hub_server.stall["create_repo"] = 60
    start = time.monotonic()
    r = push(exported, hub_server, tmp_path, SPC_HUB_TIMEOUT="2")
    took = time.monotonic() - start
    line = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 7 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert line.startswith("spc: ") and "did not answer within 2s" in line and "nothing was published" in line
    assert took < 50  # bounded: before, it waited as long as the Hub did (forever for a hung proxy)


@pytest.fixture
def hub_server():
    with FakeHub() as hub:
        yield hub
