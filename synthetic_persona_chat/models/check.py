"""`spc models check`: load every configured model, ask it something small, say what it is.

Proves offline that the embedded default works end to end on this machine before
a long run starts.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from ..config import Config, load_config
from . import Embedder, GenerationParams, load_contradiction_checker, load_llm, load_toxicity_scorer


def register(sub: argparse._SubParsersAction) -> None:
    from ..cli import add_config_args

    models = sub.add_parser("models", help="inspect the configured models")
    msub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND")
    check = msub.add_parser("check", help="load each configured model and prove it answers (offline)")
    add_config_args(check)
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.set_defaults(func=run_check)
    models.set_defaults(func=lambda _a: models.print_help() or 2)


def check_models(config: Config) -> list[dict[str, Any]]:
    """One row per role: what loaded, its answer to a probe, seconds, or the error."""
    llm_holder: dict[str, Any] = {}

    def llm_probe() -> tuple[dict[str, Any], str]:
        llm = llm_holder["llm"] = load_llm(config.models.llm)
        text = llm.chat("Say hello in five words.", GenerationParams(max_tokens=16, temperature=0.0))
        if not text.strip():
            raise RuntimeError("the LLM returned an empty answer")
        return llm.describe(), text.strip()

    def embedder_probe() -> tuple[dict[str, Any], str]:
        emb = Embedder(config.models.embedder)
        v = emb.encode(["I have two dogs.", "I own a pair of dogs.", "I work as a pilot."])
        return emb.describe(), f"cos(paraphrase)={v[0] @ v[1]:.2f} cos(unrelated)={v[0] @ v[2]:.2f}"

    def nli_probe() -> tuple[dict[str, Any], str]:
        checker = load_contradiction_checker(config.models.nli, llm=llm_holder.get("llm"))
        s = checker.scores(["I have never had a pet."], ["I walk my dog every morning."])
        return checker.describe(), f"contradiction score={float(s[0]):.2f}"

    def toxicity_probe() -> tuple[dict[str, Any], str]:
        scorer = load_toxicity_scorer(config.models.toxicity)
        s = scorer.scores(["Have a lovely day!", "You are a worthless idiot."])
        return scorer.describe(), f"polite={s[0]:.2f} insult={s[1]:.2f}"

    probes: list[tuple[str, Callable[[], tuple[dict[str, Any], str]]]] = [
        ("llm", llm_probe), ("embedder", embedder_probe), ("nli", nli_probe), ("toxicity", toxicity_probe)]
    rows = []
    for role, probe in probes:
        start = time.perf_counter()
        try:
            info, answer = probe()
            rows.append({"role": role, "ok": True, "info": info, "answer": answer})
        except Exception as exc:  # report every role, even when one fails
            rows.append({"role": role, "ok": False, "info": {}, "answer": f"{type(exc).__name__}: {exc}"})
        rows[-1]["seconds"] = round(time.perf_counter() - start, 2)
    return rows


def run_check(args: argparse.Namespace) -> int:
    rows = check_models(load_config(args.config, args.overrides))
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        table = Table(title="spc models check")
        for col in ("role", "status", "what", "answer", "s"):
            table.add_column(col, overflow="fold")
        for r in rows:
            what = ", ".join(f"{k}={v}" for k, v in r["info"].items()
                             if not isinstance(v, dict) and k not in ("path", "location"))
            table.add_row(r["role"], "[green]ok[/]" if r["ok"] else "[red]FAILED[/]", what,
                          r["answer"], str(r["seconds"]))
        Console(width=max(Console().width, 140)).print(table)
    return 0 if all(r["ok"] for r in rows) else 1
