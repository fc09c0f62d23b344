"""The local engine: a loop over batches of jobs, each batch checkpointed to Parquet when it finishes.

    RUN/conversations/iter-N/plan.json          job ids per batch (the plan the batches follow)
    RUN/conversations/iter-N/batch-00000.parquet  every candidate of the batch, judged and voted on

A batch file is written to a temporary name and renamed, so it exists only when complete; a rerun
skips the batches that exist, and the LLM answer cache (RUN/cache/llm.sqlite) makes even the
interrupted batch's finished calls free. Each file's Arrow metadata keeps what the batch cost
(LLM calls, tokens, cache hits, seconds per stage), so the summary adds up across resumes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from ..rundir import RunDirError, write_parquet_atomic, write_text_atomic
from .critic.base import Verdict

_VERDICT = Verdict.arrow_type()  # one definition of a verdict row: critic/base.py
CANDIDATE_SCHEMA = pa.schema([
    ("candidate_id", pa.string()), ("job_id", pa.string()), ("pair_id", pa.string()), ("iteration", pa.int64()),
    ("candidate_index", pa.int64()), ("user1_id", pa.string()), ("user2_id", pa.string()),
    ("user1_persona", pa.list_(pa.string())), ("user2_persona", pa.list_(pa.string())),
    ("similarity", pa.float64()), ("fewshot_ids", pa.list_(pa.string())), ("generator", pa.string()),
    ("raw_text", pa.string()), ("turns", pa.list_(pa.struct([("speaker", pa.string()), ("text", pa.string())]))),
    ("parse_error", pa.string()), ("parse_notes", pa.list_(pa.string())), ("prompt_tokens", pa.int64()),
    ("completion_tokens", pa.int64()), ("verdicts", pa.list_(_VERDICT)), ("passed", pa.bool_()),
    ("votes", pa.int64()), ("selected", pa.bool_()),
])
STAGES = ("generate", "critic", "select")


def candidates_table(rows: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> pa.Table:
    rows = [{**r, "user1_id": _str(r.get("user1_id")), "user2_id": _str(r.get("user2_id")),
             "similarity": None if r.get("similarity") is None else float(r["similarity"])} for r in rows]
    table = pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)
    if meta is not None:
        table = table.replace_schema_metadata({"spc": json.dumps(meta)})
    return table


def write_batch(path: Path, rows: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    write_parquet_atomic(path, candidates_table(rows, meta))


def read_batch(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise RunDirError(f"{path} is damaged ({exc}); delete it and rerun to regenerate that batch") from exc
    meta = json.loads((table.schema.metadata or {}).get(b"spc", b"{}"))
    return table.to_pylist(), meta


def check_plan(directory: Path, batches: list[list[dict[str, Any]]]) -> bool:
    """Write the plan, or check a stored one matches: True when it was new."""
    plan = [[j["job_id"] for j in b] for b in batches]
    path = directory / "plan.json"
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):  # damaged: the plan is recomputed from the config
            stored = plan
        if stored != plan:
            raise RunDirError(f"{path} was planned with other pairs or settings; resume with the original "
                              f"config, or start a new run directory")
        return False
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(plan))
    return True


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def usage_snapshot(ctx: Any) -> dict[str, int]:
    return dict(ctx.usage())


def run_local(jobs: list[dict[str, Any]], directory: Path, batch_size: int,
              steps: Iterable[tuple[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]]],
              ctx: Any, desc: str = "conversations") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run `steps` (name, rows -> rows) over each batch of `jobs`; returns (rows, per-batch metas)."""
    steps = list(steps)
    batches = chunks(jobs, batch_size)
    check_plan(directory, batches)
    rows, metas = [], []
    bar = tqdm(total=len(jobs), desc=desc, unit="pair", leave=False)
    for b, batch in enumerate(batches):
        path = directory / f"batch-{b:05d}.parquet"
        if path.exists():
            done, meta = read_batch(path)
        else:
            done, meta = _run_batch(batch, steps, ctx)
            write_batch(path, done, meta)
        rows.extend(done)
        metas.append(meta)
        bar.update(len(batch))
    bar.close()
    return rows, metas


def _run_batch(batch, steps, ctx) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the steps; record per step the seconds and the LLM usage (calls that reached the model)."""
    seconds: dict[str, float] = {}
    usage: dict[str, dict[str, int]] = {}
    rows = batch
    for name, fn in steps:
        before, start = usage_snapshot(ctx), time.perf_counter()
        rows = fn(rows)
        seconds[name] = round(time.perf_counter() - start, 4)
        after = usage_snapshot(ctx)
        usage[name] = {k: after[k] - before.get(k, 0) for k in after}
    return rows, {"usage": usage, "seconds": seconds, "jobs": len(batch)}


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
