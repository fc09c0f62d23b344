"""Local engine vs Ray Data engine on the same tiny conversation run, side by side, on this machine.

    python benchmarks/ray_overhead.py [--pairs 4] [--actors 1]

Both runs use the bundled SmolLM2 (greedy), the same real SPC persona pairs and fresh run directories (so
neither has cached answers). Ray's time includes starting the local runtime and its actors: on two cores
it can only add overhead; it pays off when the actors are on many machines or GPUs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import SHARED_DATA, write_results  # noqa: E402
from synthetic_persona_chat.config import load_config  # noqa: E402
from synthetic_persona_chat.context import RunContext  # noqa: E402
from synthetic_persona_chat.generation.iterate import run_conversations  # noqa: E402
from synthetic_persona_chat.generation.ray_engine import RayConfig, make_ray_engine  # noqa: E402
from synthetic_persona_chat.readers import read_spc_csv, write_records  # noqa: E402
from synthetic_persona_chat.rundir import RunDir  # noqa: E402

SPC = SHARED_DATA / "spc"


def config(pairs_file: Path) -> dict:
    return {"seed": 0, "models": {"llm": "transformers:smollm2"},
            "generation": {"seed_conversations": str(SPC / "Synthetic-Persona-Chat_valid.csv"),
                           "max_seed_conversations": 30, "pairs_file": str(pairs_file), "iterations": 1,
                           "candidates": 2, "fewshot": 1, "fewshot_max_turns": 4, "max_tokens": 96,
                           "temperature": 0.0, "batch_size": 1},
            "critic": {"experts": ["structural", "toxicity", "quality"], "min_turns": 2,
                       "max_alternation_errors": 2, "qualities": ["depth", "likability", "coherency"]}}


def timed_run(root: Path, name: str, data: dict, engine=None) -> dict:
    cfg = load_config(None, base=data)
    ctx = RunContext(cfg, RunDir(root / name).init(cfg))
    start = time.perf_counter()
    summary = run_conversations(ctx, **({"engine": engine} if engine else {}))
    seconds = time.perf_counter() - start
    ctx.close()
    return {"engine": name, "seconds": round(seconds, 2), "candidates": summary["candidates"],
            "winners": summary["winners"], "completion_tokens": summary["tokens"]["completion_tokens"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=4)
    ap.add_argument("--actors", type=int, default=1)
    args = ap.parse_args()
    convs, _ = read_spc_csv(SPC / "Synthetic-Persona-Chat_test.csv")
    pairs = [{"pair_id": f"p{i}", "user1_id": f"a{i}", "user2_id": f"b{i}", "user1_persona": c.user1_persona,
              "user2_persona": c.user2_persona, "similarity": 2} for i, c in enumerate(convs[:args.pairs])]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = config(write_records(root / "pairs.jsonl", pairs))
        rows = [timed_run(root, "local", data),
                timed_run(root, "ray", data, make_ray_engine(RayConfig(actors=args.actors, num_cpus=2)))]
    rows[1]["vs_local"] = round(rows[1]["seconds"] / rows[0]["seconds"], 2)
    rows[0]["vs_local"] = 1.0
    write_results("ray_overhead", rows, ["engine", "seconds", "vs_local", "candidates", "winners",
                                         "completion_tokens"], {"pairs": args.pairs, "actors": args.actors})


if __name__ == "__main__":
    main()
