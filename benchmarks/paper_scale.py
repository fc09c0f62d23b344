"""Paper scale, rehearsed: the real `spc generate --preset paper` at several sizes against a simulated server.

    python benchmarks/paper_scale.py --sizes 1000,5000,20000 [--latency-ms 200] [--concurrency 256]
                                     [--nli default|llm-judge|conversation-judges] [--corrupt 0.4]
                                     [--no-resume | --kill-at REQUESTS]

Each size N is a run of the paper preset scaled to N conversations: half on SPC's own profile pairs
(`generation.seed_pairs`: the SPC test and valid CSVs, at most their 1,967 pairs) and the rest between new
synthetic users (user generation on the SPC valid CSV's persona attributes, one user per pair wanted,
`pairs.max_pairs` the remainder, pairing at 2 shared categories: our categories are not the paper's, and at
its 3 the small sizes get no pairs). The server (`benchmarks/spc_replay.py`, its own process) answers every request after
`--latency-ms`, Generator prompts with the pair's real SPC conversation, a seeded `--corrupt` share of them
corrupted for the Critic to catch. Per size:

- wall_s against ideal_s (requests x latency / concurrency: a server always holding `concurrency` requests)
  and efficiency = ideal / wall; requests answered; winners;
- the driver's peak RSS (`os.wait4` of the spc process alone) and its CPU (user + sys), CPU per
  conversation stage (generate / critic / select, from the run summary);
- the run directory's size and file count; the KB of Python objects the driver holds per candidate until
  the stage ends, now (slim rows; the texts stay in the batch units on disk) and as before #23's fix (whole rows);
- resume: a second run of the same config killed with SIGKILL once the server has answered half of the
  first run's requests, then rerun: the rerun's wall time and `extra_requests` = requests of both parts
  minus the uninterrupted run's (in-flight answers lost at the kill; 0 means no paid call repeated).
  `--kill-at N` (for the largest size, where a second run would double the bill): the one run is killed at
  N requests and rerun to the end; wall_s is both parts, and `repeated` is the server's count of request
  bodies it answered twice (the paid calls the resume repeated), with no uninterrupted run to subtract.

Checkers (`--nli`): `default` is the CPU contradiction checker; `llm-judge` asks the server per (utterance,
attribute) pair (~110 requests a conversation); `conversation-judges` uses the paper's conversation-level
experts instead of the per-pair ones (critic.experts `llm-faithfulness` and `llm-toxicity`: one call per
candidate each; profiles' consistency through `llm-judge`), answered by the replay server as a faithful
judge would.

With two or more sizes, each figure gets a least-squares line y = a + b*N and its R^2 (`fits`). The load
average is recorded beside every row: on the shared 2-core machine absolute figures move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml  # noqa: E402

from benchmarks._report import RESULTS, SHARED_DATA, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPC = SHARED_DATA / "spc"
SEED_CSVS = [str(SPC / "Synthetic-Persona-Chat_test.csv"), str(SPC / "Synthetic-Persona-Chat_valid.csv")]
SEED_PAIRS_AVAILABLE = 1967  # conversations in the two CSVs above (their profile pairs)
COLUMNS = ["size", "pairs", "winners", "requests", "wall_s", "ideal_s", "efficiency", "peak_rss_mb",
           "held_kb_per_candidate", "held_kb_per_candidate_before", "cpu_s",
           "cpu_generate_s", "cpu_critic_s", "cpu_select_s", "run_dir_mb", "run_dir_files", "resume_wall_s",
           "extra_requests", "repeated", "resume_repeated", "estimate_calls", "paid_calls", "load_avg"]
FITTED = ["wall_s", "requests", "peak_rss_mb", "cpu_s", "cpu_critic_s", "run_dir_mb", "run_dir_files",
          "resume_wall_s"]
# `--preset paper --estimate`'s lines (estimate.json) grouped as the run's stages count what they paid
ESTIMATE_GROUPS = {"expand": ("query induction", "bootstrapping"), "profiles": ("profile contradiction judge",),
                   "generate": ("generator",), "critic": ("contradiction judge",), "select": ("quality experts",)}
TOKEN_FIELDS = ("calls", "prompt_tokens", "completion_tokens")


def scaled_config(size: int, url: str, args: argparse.Namespace) -> dict:
    """The paper preset's overrides for N conversations on this server."""
    seed_pairs = min(size // 2, SEED_PAIRS_AVAILABLE)
    synthetic = size - seed_pairs
    config = {"models": {"llm": {"backend": "openai", "model": "replay", "base_url": url},
                         "max_concurrency": args.concurrency},
              "expand": {"max_seeds": min(4723, 2 * size)},
              # a user in up to 4 pairs, as the preset; our ~40-550 categories share 3 far more rarely than the
              # paper's users did, so the rehearsal pairs at 2 shared categories with 1 user per pair wanted
              "profiles": {"num_users": max(16, synthetic)},
              "pairs": {"max_pairs": synthetic, "min_shared": 2},
              "generation": {"seed_pairs": SEED_CSVS, "max_seed_pairs": seed_pairs, "seed_conversations": SEED_CSVS[1],
                             "seed_personas": SEED_CSVS[1]}}
    if args.nli == "conversation-judges":
        config["models"]["nli"] = "llm-judge"  # the profiles' consistency check; the Critic's are below
        config["critic"] = {"experts": ["structural", "llm-faithfulness", "llm-toxicity", "quality"]}
    elif args.nli != "default":
        config["models"]["nli"] = args.nli
    if args.pairs_only:  # the conversation stage alone, on N profile pairs of SPC (no user generation)
        config["generation"].update(pairs_file=args.pairs_only, seed_pairs=None, max_seed_pairs=None, max_pairs=size)
    return config


def write_spc_pairs(path: Path, size: int) -> str:
    """`--pairs-only`: SPC's profile pairs (test and valid CSVs), repeated to `size` under their own ids."""
    from synthetic_persona_chat.readers import read_spc_csv

    convs = [c for csv in SEED_CSVS for c in read_spc_csv(csv)[0]]
    with path.open("w", encoding="utf-8") as f:
        for i in range(size):
            c = convs[i % len(convs)]
            f.write(json.dumps({"pair_id": f"spc-{i}", "user1_id": f"u{2 * i}", "user2_id": f"u{2 * i + 1}",
                                "user1_persona": list(c.user1_persona), "user2_persona": list(c.user2_persona),
                                "similarity": 2}) + "\n")
    return str(path)


class Server:
    """The replay server as its own process (its CPU is not the driver's)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.spc_replay", "--latency", str(args.latency_ms / 1000),
             "--replay", ",".join(SEED_CSVS), "--corrupt", str(args.corrupt)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()

    def call(self, path: str, method: str = "GET") -> dict:
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def spc_generate(config_path: Path, run_dir: Path, work: Path, kill_when=None, probe: str = "") -> dict:
    """One `spc generate` process: wall, peak RSS and CPU of that process alone (os.wait4); `kill_when()`
    polled every 0.2 s sends SIGKILL when it turns true. `probe` ("rss" or "trace"): run it under
    benchmarks/driver_memory.py, whose per-stage peaks (and allocation sites) come back as "memory"."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "SPC_CACHE_DIR": str(work / "cache"),
           "SPC_MEMORY_OUT": str(work / "memory.json"), "SPC_TRACEMALLOC": "1" if probe == "trace" else "0"}
    module = "benchmarks.driver_memory" if probe else "synthetic_persona_chat.cli"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", module, "generate", "--preset", "paper",
                             "--config", str(config_path), "--run-dir", str(run_dir)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(work / "stderr.log", "a"))
    killed = False
    while kill_when is not None and proc.poll() is None:
        if kill_when():
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode and not killed:
        raise RuntimeError(f"spc generate failed ({proc.returncode}); see {work / 'stderr.log'}:\n"
                           + (work / "stderr.log").read_text()[-3000:])
    out = {"wall_s": round(time.perf_counter() - start, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
           "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "killed": killed}
    if probe and (work / "memory.json").is_file():
        out["memory"] = json.loads((work / "memory.json").read_text())
    return out


def held_per_candidate(run_dir: Path, sample: int = 3000) -> dict:
    """What the driver holds per candidate until the stage ends, in KB of Python objects (tracemalloc over up to
    `sample` of the run's candidates): the slim row it keeps now (`engine.slim`) and the whole row it kept
    before #23's fix. Peak RSS alone hides it under the ~0.8 GB the models take at these sizes."""
    import tracemalloc

    import pyarrow.parquet as pq

    from synthetic_persona_chat.generation.engine import slim

    table = pq.read_table(run_dir / "conversations" / "candidates.parquet")
    table = table.slice(0, min(sample, table.num_rows))
    figures = {}
    for key, shape in (("held_kb_per_candidate_before", lambda r: r), ("held_kb_per_candidate", slim)):
        tracemalloc.start()
        rows = [shape(r) for r in table.to_pylist()]
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        figures[key] = round(held / max(len(rows), 1) / 1024, 2)
        del rows
    return figures


def estimate_check(run_dir: Path) -> dict:
    """The run's own estimate (estimate.json, written before any call) beside what its stages paid, per stage
    group and in total, with paid / estimated: the check that `--estimate` is within 2x of a real run."""
    def summary(stage: str) -> dict:
        if not (run_dir / stage / "_done.json").is_file():  # --pairs-only: no user generation
            return {"llm_usage": {}}
        done = json.loads((run_dir / stage / "_done.json").read_text())
        return done.get("summary", done)

    lines = {line["role"]: line for line in json.loads((run_dir / "estimate.json").read_text())["lines"]}
    conv = summary("conversations")["tokens_per_stage"]
    expand, profiles = summary("expand")["llm_usage"], summary("profiles")["llm_usage"]
    # the profiles stage reports the process's usage so far, expand's included: its own is the difference
    paid = {"expand": expand, "profiles": {f: profiles.get(f, 0) - expand.get(f, 0) for f in TOKEN_FIELDS}, **conv}
    out = {}
    for group, roles in ESTIMATE_GROUPS.items():
        est = {f: sum(lines[r][f] for r in roles if r in lines) for f in TOKEN_FIELDS}
        got = {f: paid.get(group, {}).get(f, 0) for f in TOKEN_FIELDS}
        out[group] = {"estimate": est, "paid": got}
    for key in ("estimate", "paid"):
        out.setdefault("total", {})[key] = {f: sum(g[key][f] for n, g in out.items() if n != "total")
                                            for f in TOKEN_FIELDS}
    for group in out.values():
        group["paid_over_estimate"] = {f: round(group["paid"][f] / group["estimate"][f], 2)
                                       for f in TOKEN_FIELDS if group["estimate"][f]}
    return out


def dir_figures(path: Path) -> dict:
    files = [p for p in path.rglob("*") if p.is_file()]
    return {"run_dir_mb": round(sum(p.stat().st_size for p in files) / 2**20, 2), "run_dir_files": len(files)}


def run_size(size: int, args: argparse.Namespace, work: Path) -> dict:
    server = Server(args)
    try:
        config_path = work / f"config-{size}.yaml"
        if args.pairs_only:
            args.pairs_only = write_spc_pairs(work / "pairs.jsonl", size)
        config_path.write_text(yaml.safe_dump(scaled_config(size, server.url, args)))
        load = os.getloadavg()[0]
        if args.kill_at:
            full = killed_and_resumed(config_path, work / f"run-{size}", work, server, args.kill_at)
        else:
            full = spc_generate(config_path, work / f"run-{size}", work, probe=args.probe)
        stats = server.call("/stats")
        requests = stats["requests"]
        summary = json.loads((work / f"run-{size}" / "conversations" / "_done.json").read_text())
        summary = summary.get("summary", summary)
        cpu = summary.get("cpu_seconds_per_stage") or {}
        ideal = requests * args.latency_ms / 1000 / args.concurrency
        check = estimate_check(work / f"run-{size}")
        row = {"size": size, "nli": args.nli, "pairs": summary.get("pairs"), "winners": summary.get("winners"), "requests": requests,
               **{k: full[k] for k in ("wall_s", "peak_rss_mb", "cpu_s")}, "ideal_s": round(ideal, 1),
               "efficiency": round(ideal / full["wall_s"], 3), "cpu_generate_s": cpu.get("generate"),
               "cpu_critic_s": cpu.get("critic"), "cpu_select_s": cpu.get("select"),
               **dir_figures(work / f"run-{size}"), **held_per_candidate(work / f"run-{size}"),
               "pass_rates": summary.get("pass_rates"), "estimate_calls": check["total"]["estimate"]["calls"],
               "paid_calls": check["total"]["paid"]["calls"], "estimate_check": check,
               "repeated": stats.get("repeated"), **{k: v for k, v in full.items() if k in ("resume_wall_s", "killed_at_requests")},
               **({"memory": full["memory"]} if "memory" in full else {})}
        if args.kill_at:
            row["extra_requests"] = stats.get("repeated")
        elif not args.no_resume:
            try:
                row.update(resume(size, requests, config_path, server, work))
            except RuntimeError as exc:  # the full run's figures still count; say why the resume has none
                row["resume_error"] = str(exc).splitlines()[-1][:300]
        row["load_avg"] = round((load + os.getloadavg()[0]) / 2, 1)
        return row
    finally:
        server.close()


def resume(size: int, full_requests: int, config_path: Path, server: Server, work: Path) -> dict:
    """Kill -9 a second run at half the requests, rerun it: the rerun's wall, the requests beyond the uninterrupted
    run's, and `resume_repeated`: request bodies the server answered in both parts (sent before the kill and
    again after it: at most the client's in-flight requests at the kill, whose answers never reached the cache)."""
    server.call("/reset", "POST")
    run_dir = work / f"run-{size}-killed"
    first = spc_generate(config_path, run_dir, work, kill_when=lambda: server.call("/stats")["requests"] >= full_requests / 2)
    at_kill = server.call("/stats")["requests"]
    again = spc_generate(config_path, run_dir, work)  # no reset: the server's `repeated` spans both parts
    stats = server.call("/stats")
    return {"killed_at_requests": at_kill, "killed": first["killed"], "resume_wall_s": again["wall_s"],
            "resume_requests": stats["requests"] - at_kill, "extra_requests": stats["requests"] - full_requests,
            "resume_repeated": stats.get("repeated")}


def killed_and_resumed(config_path: Path, run_dir: Path, work: Path, server: Server, kill_at: int) -> dict:
    """`--kill-at`: one run killed with SIGKILL at `kill_at` requests, then rerun to its end. Wall and CPU are
    both parts' sums, peak RSS the larger; the rerun's own wall is resume_wall_s."""
    first = spc_generate(config_path, run_dir, work, kill_when=lambda: server.call("/stats")["requests"] >= kill_at)
    at_kill = server.call("/stats")["requests"]
    again = spc_generate(config_path, run_dir, work)
    return {"wall_s": round(first["wall_s"] + again["wall_s"], 1), "cpu_s": round(first["cpu_s"] + again["cpu_s"], 1),
            "peak_rss_mb": max(first["peak_rss_mb"], again["peak_rss_mb"]), "killed": first["killed"],
            "killed_at_requests": at_kill, "resume_wall_s": again["wall_s"]}


def fit(xs: list[float], ys: list[float]) -> dict:
    """Least squares y = a + b*x, with R^2 (1.0 for two points: a line through both)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    ss = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum((y - a - b * x) ** 2 for x, y in zip(xs, ys)) / ss if ss else 1.0
    return {"intercept": round(a, 4), "per_conversation": round(b, 6), "r2": round(r2, 4)}


def fits(rows: list[dict]) -> dict:
    out = {}
    for key in FITTED:
        pts = [(r["size"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        if len({x for x, _ in pts}) >= 2:
            out[key] = fit([x for x, _ in pts], [y for _, y in pts])
    return out


def merged(path: Path, rows: list[dict]) -> list[dict]:
    """`--append`: the rows already in `path` (a results JSON) that this run did not redo (same size and
    checker), then this run's; sizes of several runs in one table, each row with its own load average."""
    old = json.loads(path.read_text())["rows"] if path.is_file() else []
    redone = {(r["size"], r.get("nli", "default")) for r in rows}
    return sorted([r for r in old if (r["size"], r.get("nli", "default")) not in redone] + rows,
                  key=lambda r: (r.get("nli", "default"), r["size"]))


def fits_per_checker(rows: list[dict]) -> dict:
    """One set of fits per contradiction checker: the CPU checker and llm-judge are different workloads."""
    return {nli: fits([r for r in rows if r.get("nli", "default") == nli])
            for nli in sorted({r.get("nli", "default") for r in rows})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,20000", help="comma list of conversation counts")
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--nli", default="default", choices=("default", "llm-judge", "conversation-judges"),
                    help="the contradiction check: the CPU checker, llm-judge per pair, or the paper's "
                         "conversation-level judges (see the docstring)")
    ap.add_argument("--corrupt", type=float, default=0.4, help="share of Generator answers corrupted")
    ap.add_argument("--no-resume", action="store_true", help="skip the kill -9 / resume run")
    ap.add_argument("--kill-at", type=int, default=0,
                    help="kill the one run at this many requests and rerun it (no second run; see the docstring)")
    ap.add_argument("--probe", choices=("", "rss", "trace"), default="",
                    help="run the driver under benchmarks/driver_memory.py: per-stage peak RSS (rss), and the "
                         "biggest live allocation sites at each stage's end (trace: tracemalloc, slower)")
    ap.add_argument("--pairs-only", action="store_const", const="yes", default="",
                    help="the conversation stage alone on N SPC profile pairs (no user generation): memory probes")
    ap.add_argument("--name", default="paper_scale")
    ap.add_argument("--append", action="store_true",
                    help="keep the rows of results/NAME.json this run does not redo (measure sizes one at a time)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            work = Path(tmp) / str(size)
            work.mkdir()
            rows.append(run_size(size, args, work))
            print(json.dumps(rows[-1]), flush=True)
    if args.append:
        rows = merged(RESULTS / f"{args.name}.json", rows)
    write_results(args.name, rows, ["nli"] + COLUMNS, extra={
        "fits": fits_per_checker(rows), "settings": {"latency_ms": args.latency_ms, "concurrency": args.concurrency,
                                                     "corrupt": args.corrupt, "preset": "paper"}})


if __name__ == "__main__":
    main()
