"""`spc models check`: load every configured model, ask it something small, say what it is.

Proves offline that the embedded default works end to end on this machine before
a long run starts. Each probe runs in a child process: a native crash is a row, not a dead command.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from ..cli_common import add_config_args
from ..config import Config, config_data
from ..jsonrow import JsonRow
from ..jsontypes import JsonObject, JsonValue
from ..model_spec import ROLE_BACKENDS
from . import Embedder, GenerationParams, load_llm, load_toxicity_scorer
from .calibration_record import Calibration
from .isolation import run_in_child
from .llm import LLAMA_CPP_BACKENDS
from .spec import ModelSpec, ModelSpecError


Probe = tuple[JsonObject, str]
"""What a probe returns: the model's `describe()` (backend-specific keys) and its answer to the probe."""


@dataclass(kw_only=True)
class ModelCheck(JsonRow):
    """One role's row of `spc models check` (`--json` prints these, in this key order)."""

    role: str
    ok: bool
    info: dict[str, JsonValue]  # the model's describe(); {} when it failed to load
    answer: str  # its answer to the probe, or the failure (with the fix after a native crash)
    seconds: float = 0.0


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="inspect the configured models")
    msub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    check = msub.add_parser("check", help="load each configured model and prove it answers (offline)")
    add_config_args(check)
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(func=run_check)
    models.set_defaults(func=lambda _a: models.print_help() or 2)


def probe_config(config: JsonObject, role: str) -> Config:
    """The config a probe of `role` loads: every model spec but the ones it uses left out, so a bad spec
    of one role (refused at load) fails that role's row, not every row."""
    uses = {role, "llm"} if role == "nli" else {role}
    models = config.get("models") or {}
    if isinstance(models, dict):  # anything else is refused by the loader, as a whole
        models = {k: v for k, v in models.items() if k not in ROLE_BACKENDS or k in uses}
    return Config.from_dict({**config, "models": models})


def _llm_probe(config: JsonObject) -> Probe:
    llm = load_llm(probe_config(config, "llm").models.llm)
    text = llm.chat("Say hello in five words.", GenerationParams(max_tokens=16, temperature=0.0))
    if not text.strip():
        raise RuntimeError("the LLM returned an empty answer")
    return llm.describe(), text.strip()


def _embedder_probe(config: JsonObject) -> Probe:
    emb = Embedder(probe_config(config, "embedder").models.embedder)
    v = emb.encode(["I have two dogs.", "I own a pair of dogs.", "I work as a pilot."])
    return emb.describe(), f"cos(paraphrase)={v[0] @ v[1]:.2f} cos(unrelated)={v[0] @ v[2]:.2f}"


def _nli_probe(config: JsonObject) -> Probe:
    """The probe pair's score next to the checker's measured AUROC/F1: a score alone says nothing."""
    from .contradiction import calibration_of, checker_from_config

    cfg = probe_config(config, "nli")
    checker = checker_from_config(cfg.models)
    s = checker.scores(["I have never had a pet."], ["I walk my dog every morning."])
    cut, source = critic_threshold(checker, cfg)
    answer = f"contradiction score={float(s[0]):.2f} (the Critic's threshold {cut:.2f}, {source})"
    return checker.describe(), answer + "; " + calibration_note(calibration_of(checker))


def critic_threshold(checker: Any, config: Config) -> tuple[float, str]:
    """The threshold the Critic's faithfulness expert applies with this config: the probe printed the
    best-F1 point (0.18) while the Critic's reasons said "score > 0.95" (its strict point)."""
    from ..generation.config import critic_config  # the command layer: generation is above models
    from ..generation.critic.faithfulness import threshold

    return threshold(checker, critic_config(config).contradiction_threshold)


def calibration_note(record: JsonObject | None) -> str:
    """"measured AUROC 0.76, F1 0.64 (n=99)", with a warning below 0.7 or when never measured."""
    if not record:
        return "WARNING: not calibrated (run `spc critic calibrate --labels FILE`)"
    cal = Calibration.from_json(record)
    note = f"measured AUROC {cal.auroc:.2f}, F1 {cal.f1:.2f} (n={'?' if cal.n is None else cal.n})"
    return note + ("; WARNING: AUROC < 0.7, contradiction verdicts are close to noise"
                   if not cal.auroc >= 0.7 else "")


def _toxicity_probe(config: JsonObject) -> Probe:
    scorer = load_toxicity_scorer(probe_config(config, "toxicity").models.toxicity)
    s = scorer.scores(["Have a lovely day!", "You are a worthless idiot."])
    return scorer.describe(), f"polite={s[0]:.2f} insult={s[1]:.2f}"


PROBES: list[tuple[str, Callable[[JsonObject], Probe]]] = [
    ("llm", _llm_probe), ("embedder", _embedder_probe), ("nli", _nli_probe), ("toxicity", _toxicity_probe)]


def crash_fix(role: str, config: JsonObject) -> str:
    """What to do after a native crash of `role`'s model (`config`: the mapping the probes loaded)."""
    models = config.get("models") or {}
    if _backend(models.get("llm" if role in ("llm", "nli") else role)) in LLAMA_CPP_BACKENDS:
        from .llm.llama_cpp import REBUILD_COMMAND
        return f"llama.cpp crashed in native code; rebuild it portably: {REBUILD_COMMAND}, or use transformers:smollm2"
    return "a native library crashed; reinstall it (see README: Setup) or choose another model for this role"


def _backend(spec: Any) -> str:
    try:
        return ModelSpec.parse(spec).backend if spec else ""
    except ModelSpecError:
        return ""


def check_models(config: "Config | JsonObject") -> list[ModelCheck]:
    """One row per role: what loaded, its answer to a probe, seconds, or the error.

    Each probe runs in its own child process, so a model that crashes in native code
    becomes a `crashed (signal N)` row with the fix, and the other roles are still checked.
    """
    data = config.to_dict() if isinstance(config, Config) else config
    rows = []
    for role, probe in PROBES:
        start = time.perf_counter()
        result = run_in_child(probe, data)
        if result.ok:
            info, answer = result.value
            row = ModelCheck(role=role, ok=True, info=info, answer=answer)
        else:
            answer = result.describe_failure()
            if result.signal is not None:
                answer += f"; fix: {crash_fix(role, data)}"
            row = ModelCheck(role=role, ok=False, info={}, answer=answer)
        row.seconds = round(time.perf_counter() - start, 2)
        rows.append(row)
    return rows


def run_check(args: argparse.Namespace) -> int:
    data = config_data(args.config, args.overrides)
    probe_config(data, "")  # everything but the model specs, checked up front; each spec is its role's row
    rows = check_models(data)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2, default=str))
    else:
        table = Table(title="spc models check")
        for col in ("role", "status", "what", "answer", "s"):
            table.add_column(col, overflow="fold")
        for r in rows:
            what = ", ".join(f"{k}={v}" for k, v in r.info.items()
                             if not isinstance(v, dict) and k not in ("path", "location"))
            table.add_row(r.role, "[green]ok[/]" if r.ok else "[red]FAILED[/]", what, r.answer, str(r.seconds))
        Console(width=max(Console().width, 140)).print(table)
    return 0 if all(r.ok for r in rows) else 1
