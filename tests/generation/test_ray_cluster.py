"""Beyond one machine, with a fault: `spc generate --engine ray` on a two-node local Ray cluster (a head
and a second `ray start --address` node with its own resources, both on 127.0.0.1) whose second node's raylet
is killed mid-run. The run finishes, its records equal a local run's, and the answer cache shows no call paid
twice. Marked slow: two Ray nodes and two runs take a minute or two on 2 cores."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the [ray] extra is not installed")
psutil = pytest.importorskip("psutil")

import pyarrow.parquet as pq  # noqa: E402
import yaml  # noqa: E402

from synthetic_persona_chat.generation.estimate import actual_calls  # noqa: E402
from tests.latency_server import LatencyServer  # noqa: E402

from .helpers import config_dict, spc_pairs, write_pairs  # noqa: E402

pytestmark = pytest.mark.slow
RAY = str(Path(sys.executable).with_name("ray"))
# a loopback test cluster: no token auth (Ray 2.5x turns it on for new clusters and keeps the token in ~/.ray)
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0", "TOKENIZERS_PARALLELISM": "false",
       "RAY_AUTH_MODE": "disabled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_nodes():
    """Head (1 CPU) + a second node (2 CPUs, resource `node2`); its own temp dir, so other Ray users on the
    machine are not touched; the second node is started with --block so its raylet is a child we can find."""
    temp = tempfile.mkdtemp(prefix="r23-", dir="/tmp")  # short: Ray's socket paths must stay under 108 bytes
    address = f"127.0.0.1:{free_port()}"
    head = ["--head", f"--port={address.split(':')[1]}", "--num-cpus=1", "--include-dashboard=false",
            f"--temp-dir={temp}", "--node-ip-address=127.0.0.1"]
    subprocess.run([RAY, "start", *head], check=True, env=ENV, capture_output=True, timeout=180)
    second = subprocess.Popen([RAY, "start", f"--address={address}", "--num-cpus=2", '--resources={"node2": 1}',
                               "--node-ip-address=127.0.0.1", "--block"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield address, second
    finally:
        second.kill()
        second.wait()
        subprocess.run([RAY, "stop", "--force"], env={**ENV, "RAY_TMPDIR": temp}, capture_output=True, timeout=120)


def raylet_of(proc: subprocess.Popen) -> psutil.Process | None:
    for child in psutil.Process(proc.pid).children(recursive=True):
        if child.name() == "raylet":
            return child
    return None


def generate(tmp_path: Path, name: str, url: str, *extra: str) -> subprocess.Popen:
    data = config_dict(write_pairs(tmp_path / "pairs.parquet", spc_pairs(8)), iterations=2, candidates=2,
                       batch_size=1)
    data["models"]["llm"] = f"openai:m@{url}"
    data["critic"]["experts"] = ["structural", "quality"]
    data["ray"] = {"http_concurrency": 3}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(data))
    return subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--config",
                             str(tmp_path / "config.yaml"), "--run-dir", str(tmp_path / name), *extra],
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def records(run: Path) -> list[tuple]:
    rows = pq.read_table(run / "conversations" / "candidates.parquet").to_pylist()
    return sorted((r["candidate_id"], r["raw_text"], r["passed"], r["selected"]) for r in rows)


def test_a_two_node_run_survives_losing_a_node(tmp_path, two_nodes):
    address, second = two_nodes
    with LatencyServer(latency=0.3) as local_server:
        local = generate(tmp_path, "local", local_server.url)
        assert local.wait(timeout=300) == 0, local.stdout.read()
        local_requests = local_server.stats()["requests"]
    with LatencyServer(latency=0.3) as server:
        run = generate(tmp_path, "ray", server.url, "--engine", "ray", "--address", address)
        deadline = time.monotonic() + 240
        while server.stats()["requests"] < local_requests // 3 and time.monotonic() < deadline:
            assert run.poll() is None, run.stdout.read()
            time.sleep(0.2)
        raylet = raylet_of(second)
        assert raylet is not None, "the second node has no raylet"
        os.kill(raylet.pid, signal.SIGKILL)  # the node dies with work in flight
        killed_at = server.stats()["requests"]
        assert run.wait(timeout=300) == 0, run.stdout.read()
        ray_requests = server.stats()["requests"]
    assert killed_at < local_requests  # the kill came mid-run
    assert records(tmp_path / "ray") == records(tmp_path / "local")
    assert actual_calls(tmp_path / "ray") == actual_calls(tmp_path / "local")  # every answer paid once, cached
    # only answers in flight on the dead node can be asked again: at most one batch's calls per task
    assert ray_requests - local_requests <= 3 * (2 + 2), (ray_requests, local_requests)
