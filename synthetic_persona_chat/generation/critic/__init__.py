"""The Critic: a mixture of experts, each a small plug-in module (see `base.py`).

`EXPERTS` is the registry; `resolve(names)` turns `critic.experts` into the experts to run and
rejects an unknown name with the list of known ones. Add an expert with `register(Expert(...))`.
"""

from __future__ import annotations

from ...config import ConfigError
from . import expression, faithfulness, leakage, llm_judges, quality, structural, toxicity
from .base import Expert, Verdict

EXPERTS: dict[str, Expert] = {}


def register(expert: Expert) -> None:
    if expert.kind not in ("filter", "selector"):
        raise ValueError(f"expert {expert.name!r}: kind must be 'filter' or 'selector'")
    EXPERTS[expert.name] = expert


for _mod in (structural, faithfulness, leakage, toxicity, expression, quality):
    register(Expert(_mod.NAME, _mod.KIND, _mod.judge if _mod.KIND == "filter" else _mod.choose,
                    (_mod.__doc__ or "").strip().splitlines()[0]))
for _expert in llm_judges.EXPERTS:
    register(_expert)


def resolve(names: list[str]) -> tuple[list[Expert], list[Expert]]:
    """(filters in config order, selectors); unknown or duplicate names are config errors."""
    unknown = [n for n in names if n not in EXPERTS]
    if unknown:
        raise ConfigError(f"critic.experts: unknown expert(s) {unknown}; known: {sorted(EXPERTS)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"critic.experts lists an expert twice: {names}")
    chosen = [EXPERTS[n] for n in names]
    return [e for e in chosen if e.kind == "filter"], [e for e in chosen if e.kind == "selector"]


__all__ = ["EXPERTS", "Expert", "Verdict", "register", "resolve"]
