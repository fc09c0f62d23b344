"""Same config and seed, same records: run `spc generate` under different conditions and compare the outputs.

Shared by the loop that counts identical runs (benchmarks/determinism.py) and the CI tests
(tests/generation/test_determinism.py, small; tests/generation/determinism.py re-exports this module, since
benchmarks must not import from tests/). Every run gets its own, empty user cache (SPC_CACHE_DIR): a shared
embedding cache would hand every run the vectors the first one computed and hide any dependence on the order
batches finish in, which is exactly what these comparisons must see.

What is compared, by rule:
- `conversations/candidates.parquet` and `conversations/conversations.parquet`: byte for byte (every run is
  named `run`, since a winner's `source` is `run:<folder name>`);
- the export (`spc build`): every Parquet file byte for byte, and `spc_export.json` without `built` (the
  build time). README.md is not compared: it is generated from the manifest and names the build time too.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from benchmarks._report import SHARED_DATA
from synthetic_persona_chat.readers import read_spc_csv

SPC = SHARED_DATA / "spc"
OUTPUTS = ("conversations/candidates.parquet", "conversations/conversations.parquet")
VOLATILE_MANIFEST = ("built",)  # the export's build time


def write_config(folder: Path, server_url: str, pairs: int, concurrency: int, **gen: Any) -> Path:
    """A config for the latency server on the first `pairs` SPC test persona pairs: default critic experts
    (faithfulness and the expression gate on, both MiniLM-based), every candidate count and few-shot setting
    small, no regeneration of failed candidates."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs_file = folder / "pairs.parquet"
    pq.write_table(pa.Table.from_pylist(persona_pairs(pairs)), pairs_file)
    generation = {"seed_conversations": str(SPC / "Synthetic-Persona-Chat_valid.csv"), "max_seed_conversations": 30,
                  "pairs_file": str(pairs_file), "iterations": 2, "candidates": 3, "fewshot": 2, "batch_size": 2,
                  "retries": 0, **gen}
    data = {"seed": 0, "generation": generation,
            "models": {"toxicity": "profanity-check", "max_concurrency": concurrency,
                       "llm": {"backend": "openai", "model": "fake", "base_url": server_url}},
            "critic": {"max_nli_pairs": 4, "min_turns": 4, "qualities": ["depth", "coherency"]}}
    path = folder / f"config-c{concurrency}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def persona_pairs(n: int) -> list[dict]:
    """The first `n` SPC test conversations' persona pairs, in the pairs file's shape."""
    convs, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv")
    return [{"pair_id": f"p{i:03d}", "user1_id": f"u{2 * i}", "user2_id": f"u{2 * i + 1}",
             "user1_persona": c.user1_persona, "user2_persona": c.user2_persona, "similarity": 2}
            for i, c in enumerate(convs[:n])]


def start(config: Path, run_dir: Path, cache_dir: Path, engine: str = "local") -> subprocess.Popen:
    """`spc generate` in its own process (so it can be killed with -9), with its own user cache."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SPC_CACHE_DIR": str(cache_dir), "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, "-m", "synthetic_persona_chat.cli", "generate", "--config", str(config),
           "--run-dir", str(run_dir), "--engine", engine]
    if engine == "ray":
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        data["ray"] = {"num_cpus": 2, "http_concurrency": 4}
        config = config.with_name(config.stem + "-ray.yaml")
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        cmd[cmd.index("--config") + 1] = str(config)
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def finish(proc: subprocess.Popen, timeout: float = 600) -> None:
    out, _ = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"spc generate failed ({proc.returncode}):\n{out[-3000:]}")


def run(config: Path, folder: Path, engine: str = "local") -> Path:
    """One uninterrupted run in `folder/run` with the cache `folder/cache`."""
    finish(start(config, folder / "run", folder / "cache", engine))
    return folder / "run"


def run_killed(config: Path, folder: Path, kills: int, rng: random.Random, horizon: float) -> tuple[Path, list]:
    """The run killed with -9 `kills` times, each at a random moment within `horizon` seconds of its start
    (a start that finishes first is not killed), then resumed to the end. Returns the run and the moments."""
    moments = []
    for _ in range(kills):
        proc = start(config, folder / "run", folder / "cache")
        at = rng.uniform(0.5, horizon)
        try:
            proc.wait(timeout=at)
            moments.append(("finished before", round(at, 2)))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            moments.append(("killed at", round(at, 2)))
        proc.stdout.close()
        if (folder / "run" / "conversations" / "_done.json").exists():
            break
    finish(start(config, folder / "run", folder / "cache"))
    return folder / "run", moments


def run_here(config: Path, folder: Path, engine: Any = None) -> Path:
    """The same run in this process (no interpreter start: what the CI tests use), with its own user cache."""
    from synthetic_persona_chat.config import load_config
    from synthetic_persona_chat.context import RunContext
    from synthetic_persona_chat.generation.iterate import run_conversations
    from synthetic_persona_chat.rundir import RunDir

    before = os.environ.get("SPC_CACHE_DIR")
    os.environ["SPC_CACHE_DIR"] = str(folder / "cache")
    try:
        cfg = load_config(config)
        ctx = RunContext(cfg, RunDir(folder / "run").init(cfg))
        try:
            run_conversations(ctx, **({"engine": engine} if engine else {}))
        finally:
            ctx.close()
    finally:
        if before is None:
            os.environ.pop("SPC_CACHE_DIR", None)
        else:
            os.environ["SPC_CACHE_DIR"] = before
    return folder / "run"


def digests(run_dir: Path) -> dict[str, str]:
    return {name: hashlib.sha256((run_dir / name).read_bytes()).hexdigest() for name in OUTPUTS}


def differences(a: Path, b: Path) -> list[str]:
    """What differs between two runs' outputs: nothing when their bytes are equal, else per file the rows
    (by id) and the fields that differ, so a failure names its cause."""
    out = []
    for name in OUTPUTS:
        if (a / name).read_bytes() == (b / name).read_bytes():
            continue
        key = "candidate_id" if "candidates" in name else "id"
        rows_a = {r[key]: r for r in pq.read_table(a / name).to_pylist()}
        rows_b = {r[key]: r for r in pq.read_table(b / name).to_pylist()}
        only = sorted(set(rows_a) ^ set(rows_b))
        fields = {k: sorted(f for f in rows_a[k] if rows_a[k][f] != rows_b[k].get(f))
                  for k in sorted(set(rows_a) & set(rows_b)) if rows_a[k] != rows_b[k]}
        order = [r[key] for r in pq.read_table(a / name).to_pylist()] != \
            [r[key] for r in pq.read_table(b / name).to_pylist()]
        out.append(f"{name}: {len(fields)} row(s) differ {dict(list(fields.items())[:3])}, {len(only)} in one only"
                   + (", row order differs" if order else ""))
    return out


def export_differences(a: Path, b: Path) -> list[str]:
    """The exports of two runs: Parquet files byte for byte, the manifest without its build time."""
    from synthetic_persona_chat.builder.export import MANIFEST, export

    outs = []
    for run_dir in (a, b):
        out = run_dir.parent / "export"
        if not out.exists():
            export(run_dir, out)
        outs.append(out)
    diffs = []
    files = [sorted(p.relative_to(o).as_posix() for p in o.rglob("*.parquet")) for o in outs]
    if files[0] != files[1]:
        diffs.append(f"export files differ: {sorted(set(files[0]) ^ set(files[1]))}")
    diffs += [f"export {f} differs" for f in files[0] if f in files[1]
              and (outs[0] / f).read_bytes() != (outs[1] / f).read_bytes()]
    manifests = [json.loads((o / MANIFEST).read_text(encoding="utf-8")) for o in outs]
    for m in manifests:
        for k in VOLATILE_MANIFEST:
            m.pop(k, None)
    if manifests[0] != manifests[1]:
        diffs.append(f"export {MANIFEST} differs in {sorted(k for k in manifests[0] if manifests[0][k] != manifests[1].get(k))}")
    return diffs


def wall(fn, *args, **kw):
    start_time = time.perf_counter()
    result = fn(*args, **kw)
    return result, time.perf_counter() - start_time
