"""The Ray Data engine: the same batches, the same stage functions, run on a Ray cluster.

It is a drop-in for `engine.run_local` (same signature, same checkpoint files):

- the plan (`iter-N/plan.json`) and the finished-batch checkpoint units (`iter-N/batch-*/`) are the local
  engine's, so a run started on Ray resumes on Ray or locally, and the other way round;
- each *planned batch* is one Ray Data row, so a batch still holds every candidate of its pairs
  (the quality experts compare them) and checkpoints exactly as locally;
- model-holding backends (llama.cpp, transformers) run in an actor pool, one model per actor, with a
  GPU per actor when the cluster has GPUs and the backend can use one; an OpenAI-compatible backend
  runs as stateless tasks with bounded concurrency (the server does the batching);
- the driver writes each batch unit as soon as its result streams back, so a kill loses at most the
  batches in flight, whose LLM answers are already in the run's answer cache.

Workers rebuild their `RunContext` from the run's config and path: the run directory must be on a
filesystem every node sees (NFS, a mounted bucket) when the cluster has more than one machine.
Ray is an optional extra (`pip install 'synthetic-persona-chat[ray]'`), imported only here.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypedDict

from ..config import Config
from ..context import RunContext
from ..models.spec import ModelSpec
from ..rundir import RunDir
from ..checkpoint import Checkpoints
from ..jsontypes import JsonObject
from .engine import _run_batch, plan_batches, read_batches, write_batch
from .config import critic_config, generation_config
from .iterate import stage_steps
from .stage_rows import BatchMeta, CandidateRow, JobRow

log = logging.getLogger(__name__)
MODEL_BACKENDS_WITH_GPU = ("transformers", "hf")


class ItemBatch(TypedDict):
    """Planned batches as a Ray Data batch reaches a worker: one column per key (Ray hands numpy arrays)."""

    batch: Iterable[int]  # the planned batch's number
    jobs: Iterable[str]  # its `JobRow`s, as one JSON string


class ResultBatch(TypedDict):
    """What a worker hands back per planned batch: its number, its `CandidateRow`s and `BatchMeta` as JSON."""

    batch: list[int]
    rows: list[str]
    meta: list[str]


class InitKwargs(TypedDict, total=False):
    """The `ray.init` arguments this engine sets."""

    include_dashboard: bool
    log_to_driver: bool
    address: str
    num_cpus: int


@dataclass
class RayConfig:
    """Section `ray`: where the cluster is and how wide to run."""

    address: str | None = None  # None: start a local Ray runtime; "auto" or "ray://host:10001": join a cluster
    actors: int = 1  # model-holding actors (one model each)
    cpus_per_actor: float = 1.0
    gpus_per_actor: float | None = None  # None: 1 when the cluster has GPUs and the backend can use one
    http_concurrency: int = 4  # concurrent tasks for an OpenAI-compatible backend
    num_cpus: int | None = None  # CPUs for a local runtime (None: all)


def ray_config(config: Config) -> RayConfig:
    return config.section("ray", RayConfig)


def make_ray_engine(settings: RayConfig) -> Callable[..., tuple[list[CandidateRow], list[BatchMeta]]]:
    """An engine with `run_local`'s signature that runs the batches on Ray."""

    def run_ray(jobs: list[JobRow], directory: Path, batch_size: int, steps: Any, ctx: RunContext,
                desc: str = "conversations") -> tuple[list[CandidateRow], list[BatchMeta]]:
        del steps  # bound to the driver's models; workers bind the same stage functions to their own
        batches, units, todo = plan_batches(jobs, directory, batch_size)
        if todo:
            log.info("%s: %d of %d batches to run on Ray", desc, len(todo), len(batches))
            _run_on_ray(settings, ctx, [(b, batches[b]) for b in todo], units, desc)
        return read_batches(units, len(batches))

    return run_ray


def _run_on_ray(settings: RayConfig, ctx: RunContext, todo: list[tuple[int, list[JobRow]]],
                units: Checkpoints, desc: str) -> None:
    import ray
    from tqdm import tqdm

    _init(ray, settings)
    items = [{"batch": b, "jobs": json.dumps(jobs)} for b, jobs in todo]
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    worker_args = {"config": ctx.config.to_dict(), "run_path": str(ctx.run.path.resolve())}
    if ModelSpec.parse(ctx.config.models.llm).backend == "openai":
        ds = ds.map_batches(_run_batches, fn_kwargs=worker_args, batch_size=1,
                            concurrency=settings.http_concurrency, num_cpus=0.5)
    else:
        ds = ds.map_batches(_StageActor, fn_constructor_kwargs=worker_args, batch_size=1,
                            concurrency=settings.actors, num_cpus=settings.cpus_per_actor,
                            num_gpus=_gpus_per_actor(ray, settings, ctx))
    with tqdm(total=len(items), desc=f"{desc} (ray)", unit="batch", leave=False) as bar:
        for row in ds.iter_rows():
            write_batch(units, int(row["batch"]), json.loads(row["rows"]), json.loads(row["meta"]))
            bar.update(1)


def _init(ray: Any, settings: RayConfig) -> None:
    if ray.is_initialized():
        return
    kwargs = InitKwargs(include_dashboard=False, log_to_driver=False)
    if settings.address:
        kwargs["address"] = settings.address
    elif settings.num_cpus:
        kwargs["num_cpus"] = settings.num_cpus
    ray.init(**kwargs)
    ray.data.DataContext.get_current().enable_progress_bars = False


def _gpus_per_actor(ray: Any, settings: RayConfig, ctx: RunContext) -> float:
    if settings.gpus_per_actor is not None:
        return settings.gpus_per_actor
    uses_gpu = ModelSpec.parse(ctx.config.models.llm).backend in MODEL_BACKENDS_WITH_GPU
    return 1.0 if uses_gpu and ray.cluster_resources().get("GPU", 0) > 0 else 0.0


def _worker_steps(config: JsonObject, run_path: str) -> tuple[RunContext, list]:
    """A worker's own context (models load lazily, once) and the stage functions bound to it."""
    cfg = Config.from_dict(config)
    ctx = RunContext(cfg, RunDir(run_path))
    return ctx, stage_steps(ctx, generation_config(cfg), critic_config(cfg))


def _run_items(batch: ItemBatch, ctx: RunContext, steps: list) -> ResultBatch:
    out = ResultBatch(batch=[], rows=[], meta=[])
    for b, jobs in zip(batch["batch"], batch["jobs"]):
        rows, meta = _run_batch(json.loads(jobs), steps, ctx)
        out["batch"].append(int(b))
        out["rows"].append(json.dumps(rows))
        out["meta"].append(json.dumps(meta))
    return out


class _StageActor:
    """Holds one model for its lifetime; Ray sends it planned batches one at a time."""

    def __init__(self, config: JsonObject, run_path: str) -> None:
        self.ctx, self.steps = _worker_steps(config, run_path)

    def __call__(self, batch: ItemBatch) -> ResultBatch:
        return _run_items(batch, self.ctx, self.steps)


def _run_batches(batch: ItemBatch, config: JsonObject, run_path: str) -> ResultBatch:
    """Stateless task for HTTP backends: the client is cheap to build, the server holds the model."""
    ctx, steps = _worker_steps(config, run_path)
    try:
        return _run_items(batch, ctx, steps)
    finally:
        ctx.close()
