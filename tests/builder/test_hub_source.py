"""Items 3 and 4 of #26: the bare `load_dataset("synthetic_persona_chat")` never serves the packaged sample once
online (the sample has a cache key of its own), and an unreachable Hub is a network error, said after one short
attempt, never "the repo holds none of data/[...]"."""

from __future__ import annotations

import json
import socket

from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

from synthetic_persona_chat.builder.hub_source import is_network_failure

from .fake_hub import FakeHub
from .test_datasets_hook import run_bare


def test_cannot_connect_is_a_network_failure_though_it_subclasses_entry_not_found():
    assert issubclass(LocalEntryNotFoundError, EntryNotFoundError)
    assert is_network_failure(LocalEntryNotFoundError("cannot find the requested files in the local cache"))
    assert not is_network_failure(EntryNotFoundError("404: data/x.csv does not exist"))
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as inner:
            raise RuntimeError("download failed") from inner
    except RuntimeError as outer:
        assert is_network_failure(outer)


def test_the_sample_cached_offline_is_not_served_online(spc_test_only, tmp_path):
    offline = run_bare(tmp_path, "full", HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr[-3000:]
    assert json.loads(offline.stdout.strip().splitlines()[-1])["rows"] == {"validation": 150, "test": 150}
    csv = (spc_test_only / "Synthetic-Persona-Chat_test.csv").read_bytes()
    with FakeHub() as hub:
        hub.seed_repo("google/Synthetic-Persona-Chat", {"data/Synthetic-Persona-Chat_test.csv": csv})
        online = run_bare(tmp_path, "full", HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1")  # the same caches
    assert online.returncode == 0, online.stderr[-3000:]
    out = json.loads(online.stdout.strip().splitlines()[-1])
    assert out["rows"] == {"test": 967} and not out["sample_warning"]


def test_an_unreachable_hub_is_a_network_error_not_a_missing_file(tmp_path):
    with socket.socket() as s:  # a port nothing listens on: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = run_bare(tmp_path, "full", HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HUB_DISABLE_XET="1")
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert "HubUnreachable: network: cannot reach the Hub at http://127.0.0.1:" in last, r.stderr[-2000:]
    assert "HF_HUB_OFFLINE=1" in last and "holds none" not in r.stderr and "FileNotFoundError" not in r.stderr
