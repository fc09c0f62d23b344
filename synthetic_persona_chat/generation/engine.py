"""The local engine: a loop over batches of jobs, each batch checkpointed to Parquet when it finishes.

    RUN/conversations/iter-N/plan.json          job ids per batch (the plan the batches follow)
    RUN/conversations/iter-N/batch-00000/       one checkpoint unit per batch (checkpoint.py):
        candidates.parquet                      every candidate of the batch, judged and voted on
        unit.json                               what the batch cost (LLM calls, tokens, cache hits,
                                                seconds and CPU seconds per stage)

A batch unit appears whole or not at all; a rerun skips the batches that exist, and the LLM answer
cache (RUN/cache/llm.sqlite) makes even the interrupted batch's finished calls free. Because each unit
keeps its own cost, the summary adds up across resumes.

With an LLM that serves many requests at once (an HTTP backend: `llm.concurrent`), several batches run
at the same time in a thread pool, so the critic of batch k overlaps the generation of batch k+1 and
the server always has work; the LLM's own limit caps the requests in flight. Each batch counts its
own usage in a `usage_scope`, and is still written on its own when complete, so a kill -9 loses only
unfinished batches, whose paid calls are in the cache. A local model (transformers, llama.cpp) is one
process-wide model: its batches run one after another, as before.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import pyarrow as pa
from tqdm import tqdm

from ..checkpoint import Checkpoints, Unit
from ..models.llm.overlap import batches_in_flight, run_in_flight
from ..models.llm.scope import usage_scope
from ..row_contracts import Candidate, arrow_schema
from ..rundir import RunDirError, write_parquet_stream_atomic, write_text_atomic
from .stage_rows import BatchMeta, CandidateRow, JobRow

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.context import RunContext

CANDIDATE_SCHEMA = arrow_schema(Candidate)  # the one declaration of a candidate row: row_contracts.py
STAGES = ("generate", "critic", "select")
CANDIDATES = "candidates"  # the table of a batch unit
Rows = list[CandidateRow]
Step = Callable[[list[JobRow] | Rows], Rows]  # a stage map: jobs (the first step) or candidates -> candidates


def candidates_table(rows: Rows) -> pa.Table:
    """Candidate rows as stored: ids as strings and similarity as a float, whatever the pairs file held."""
    rows = [{**r, "user1_id": _str(r.get("user1_id")), "user2_id": _str(r.get("user2_id")),
             "similarity": None if r.get("similarity") is None else float(r["similarity"])} for r in rows]
    return pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)


def batch_name(b: int) -> str:
    return f"batch-{b:05d}"


def plan_batches(jobs: list[JobRow], directory: Path, batch_size: int
                 ) -> tuple[list[list[JobRow]], Checkpoints, list[int]]:
    """What every engine starts from: the batches (checked against the stored plan), their checkpoint
    units, and the batches still to run."""
    batches = chunks(jobs, batch_size)
    check_plan(directory, batches)
    units = Checkpoints(directory, {CANDIDATES: CANDIDATE_SCHEMA})
    return batches, units, [b for b in range(len(batches)) if not units.done(batch_name(b))]


def write_batch(units: Checkpoints, b: int, rows: Rows, meta: BatchMeta) -> None:
    units.write(batch_name(b), Unit(tables={CANDIDATES: candidates_table(rows)}, meta=meta))


def read_batches(units: Checkpoints, count: int) -> tuple[Rows, list[BatchMeta]]:
    """Every batch's rows, in batch order, and its cost: what a finished engine returns. A losing candidate comes
    back `slim`, read a unit at a time: holding a whole round of full rows (~15 KB of Python objects each) at
    once was the driver's peak, growing with the run (docs/performance.md, paper scale)."""
    rows, metas = [], []
    for b in range(count):
        unit = units.read(batch_name(b))
        rows.extend(r if r["selected"] else slim(r) for r in unit.tables[CANDIDATES])
        metas.append(unit.meta)
    return rows, metas


# What a losing candidate's row keeps in memory until its iteration ends: the verdicts and ids that the retry
# outcomes read (the summary reads them back from disk at the end: `iterate.stored_rows`). The texts (turns, raw
# answer, personas, few-shot ids) stay in the batch units.
ON_DISK_ONLY = frozenset({"raw_text", "turns", "user1_persona", "user2_persona", "fewshot_ids", "parse_notes"})


def slim(row: CandidateRow) -> CandidateRow:
    return {k: v for k, v in row.items() if k not in ON_DISK_ONLY}  # the keys CandidateRow may leave out


def write_candidates(rounds: Iterable[tuple[Path, int]], path: Path) -> int:
    """Every candidate of `rounds` (plan folder, its number of batches; in that order, batches in plan order) into
    one file, streamed a batch at a time from the units on disk: the stage keeps no candidate in memory, so the
    driver stays flat at any size (a held row was ~10 KB of Python objects: +655 MiB at 20k pairs). Returns rows."""
    return write_parquet_stream_atomic(path, CANDIDATE_SCHEMA, _stored_tables(rounds))


def _stored_tables(rounds: Iterable[tuple[Path, int]]) -> Iterable[pa.Table]:
    for directory, count in rounds:
        units = Checkpoints(directory, {CANDIDATES: CANDIDATE_SCHEMA})
        for b in range(count):
            yield candidates_table(units.read(batch_name(b)).tables[CANDIDATES])


def check_plan(directory: Path, batches: list[list[JobRow]]) -> bool:
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


def run_local(jobs: list[JobRow], directory: Path, batch_size: int, steps: Iterable[tuple[str, Step]],
              ctx: RunContext, desc: str = "conversations") -> tuple[Rows, list[BatchMeta]]:
    """Run `steps` (name, rows -> rows) over each batch of `jobs`; returns (rows, per-batch metas) in batch order."""
    steps = list(steps)
    batches, units, pending = plan_batches(jobs, directory, batch_size)
    bar = tqdm(total=len(jobs), desc=desc, unit="pair", leave=False)
    bar.update(len(jobs) - sum(len(batches[b]) for b in pending))

    def one(b: int) -> None:
        done, meta = _run_batch(batches[b], steps, ctx)
        write_batch(units, b, done, meta)
        bar.update(len(batches[b]))

    run_in_flight(one, pending, batches_in_flight(ctx.llm, batch_size) if pending else 1)
    bar.close()
    return read_batches(units, len(batches))


def _run_batch(batch: list[JobRow], steps: Iterable[tuple[str, Step]], ctx: RunContext) -> tuple[Rows, BatchMeta]:
    """Run the steps; record per step the seconds, the CPU seconds of this thread, and the LLM usage
    (calls that reached the model) of this batch alone."""
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    usage: dict[str, dict[str, int]] = {}
    rows: list[JobRow] | Rows = batch
    for name, fn in steps:
        start, cpu_start = time.perf_counter(), time.thread_time()
        with usage_scope() as scope:
            rows = fn(rows)
        seconds[name] = round(time.perf_counter() - start, 4)
        cpu[name] = round(time.thread_time() - cpu_start, 4)
        usage[name] = scope.to_dict()
    return rows, BatchMeta(usage=usage, seconds=seconds, cpu_seconds=cpu, jobs=len(batch))


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
