"""The paper-vs-ours table (docs/paper-vs-ours.md), generated from the config defaults and the presets.

"Stage defaults are the paper's" was said of mechanisms that differ. Each row here names one
parameter or mechanism of arXiv 2312.10007, the paper's value, ours, and why they differ. Where a
row is a config value, "ours" is read from the section's dataclass default and from every packaged
preset, never typed in, so the table cannot drift from the code; `tests/test_paper_table.py` fails
when docs/paper-vs-ours.md is not what `render()` writes. Regenerate with

    python -m synthetic_persona_chat.paper_table > docs/paper-vs-ours.md

Paper values come from ../shared/SPEC.md §1 (checked) or, marked "issue #28", from the reading of the
paper filed in issue 28 (not re-checked against the paper's text here: no copy of it was at hand).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .generation.config import CriticConfig, GenerationConfig
from .jsontypes import JsonObject
from .usergen.config import ExpandConfig, PairsConfig, ProfilesConfig

SECTIONS = {"generation": GenerationConfig, "critic": CriticConfig, "expand": ExpandConfig,
            "profiles": ProfilesConfig, "pairs": PairsConfig}
PRESETS = Path(__file__).resolve().parent / "generation" / "presets"


@dataclass(frozen=True)
class Row:
    area: str
    what: str
    paper: str
    source: str  # "SPEC §1" or "issue #28"
    key: str | None = None  # section.field whose default (and preset values) is "ours"
    ours: str = ""  # the mechanism, for rows that are not one config value
    why: str = ""


ROWS = [
    Row("users", "attributes per profile", "5", "SPEC §1", "profiles.profile_size",
        why="same; tiny uses 3 so each contradiction check stays cheap on 2 cores"),
    Row("users", "redundant attribute", "cosine > 0.9", "SPEC §1", "expand.redundancy_threshold", why="same"),
    Row("users", "query induction clustering", "merge while similarity > 0.1", "issue #28",
        "expand.distance_threshold",
        why="ours (paper preset too) cuts average-linkage at cosine distance 0.6 (similarity 0.4). Measured on "
            "MiniLM: distance 0.9 (similarity > 0.1) merges all 492 attributes of the packaged SPC test sample "
            "into 1 cluster, 0.6 gives 106; the paper's encoder gave 323 clusters from 4,723, so the printed "
            "0.1 cannot mean the same cut here"),
    Row("users", "attributes shown to write a query", "3", "issue #28", "expand.query_examples",
        why="paper preset: 3; the default 8 gave the 135M model more to generalise from"),
    Row("users", "expansion algorithm", "query bootstrapping, then persona bootstrapping", "issue #28",
        "expand.algorithm",
        why="`paper` is the paper's (below); `compact` (default, tiny/demo) asks each cluster's query with k of "
            "its attributes for num_new answers: fewer, longer prompts, faster on the bundled 135M model"),
    Row("users", "query bootstrapping", "100 steps, 188 queries", "issue #28", "expand.query_steps",
        why="paper algorithm only: each step shows `query_shots` bank questions (seeded), samples one new "
            "question; copies and near-duplicates (cosine > 0.9) are recorded failures"),
    Row("users", "persona bootstrapping", "random 5-attribute personas, one answer per prompt", "issue #28",
        "expand.persona_size",
        why="paper algorithm: each round asks every query once with a random persona (distinct categories); "
            "only the first usable line counts"),
    Row("users", "bootstrapping rounds / size target", "until a target size", "issue #28", "expand.max_attributes",
        why="paper algorithm: rounds until the pool reaches max_attributes or a round adds nothing "
            "(`expand.rounds` bounds it); compact: fixed rounds, capped"),
    Row("users", "a query the LLM could not write", "not stated", "issue #28", "expand.algorithm",
        why="paper algorithm: a recorded skip with its reason, no query; compact: a fallback question from the "
            "category's central attribute (reason kept)"),
    Row("users", "profile contradiction check", "LLM-written negation, NLI both directions", "issue #28",
        "profiles.consistency",
        why="`negation` (paper preset): contradiction scored both ways, and a held attribute that contradicts the "
            "candidate's LLM-written negation (either way) rejects it as implied; default `checker`: one "
            "direction, no LLM calls"),
    Row("users", "profile contradiction threshold", "not stated", "issue #28", "profiles.contradiction_threshold",
        why="not calibrated for profiles (the Critic's checker calibration is per conversation)"),
    Row("users", "pairing", "shared-category count > 2", "SPEC §1", "pairs.min_shared",
        why="ours pairs at >= 2 shared categories; the paper's rule is min_shared: 3"),
    Row("generator", "few-shot conversations per prompt", "5", "SPEC §1", "generation.fewshot", why="same"),
    Row("generator", "iterations", "3", "SPEC §1", "generation.iterations", why="same"),
    Row("generator", "sampling temperature", "0.7", "SPEC §1", "generation.temperature", why="same"),
    Row("generator", "sampling top-k", "40", "SPEC §1", "generation.top_k", why="same"),
    Row("generator", "sampling in every component", "yes", "issue #28", "expand.temperature",
        why="generator and bootstrapping sample (seeded); the paper algorithm also samples queries and "
            "negations; compact query writing and the judges are greedy (reproducible verdicts)"),
    Row("generator", "pairs without a surviving candidate", "not stated", "issue #28", "generation.retries",
        why="ours regenerates them with a new few-shot draw and records every pair's end (retry.py)"),
    Row("critic", "quality experts", "depth, coherency, consistency, diversity, likability", "SPEC §1",
        "critic.qualities", why="same qualities; each compares survivors pairwise in both orders "
                                "(position bias of small judges)"),
    Row("critic", "faithfulness", "P(π|D) >= P(π): the conversation makes its personas more likely",
        "issue #28", "critic.min_expressed_share",
        why="opt-in `expression` gate: each speaker expresses >= this share of their attributes, by embedding "
            "coverage (the eval's measure) or, with `critic.expression_measure: llm`, the paper's lift "
            "P(yes|D) - P(yes) >= 0 per attribute (transformers backend); plus no utterance contradicts its "
            "speaker's persona (minilm-polarity). Opt-in in the default config, on in the tiny preset (every tiny "
            "winner expresses both personas); on the main job's demo run it would drop 13 of 59 winners"),
    Row("critic", "faithfulness expert", "LLM judge at conversation level: both profiles, few-shot "
        "faithful/unfaithful examples with reasons", "issue #28", "critic.max_nli_pairs",
        why="default: utterance x attribute pairs with the offline checker (no server needed); for servers the "
            "opt-in `llm-faithfulness` expert is the paper's: one call per candidate, both profiles, a faithful "
            "and an unfaithful example with reasons; measured by `spc critic calibrate --expert llm-faithfulness` "
            "(precision, recall, FPR with intervals on clean SPC vs inserted denials)"),
    Row("critic", "toxicity expert", "LLM judge: \"Is this conversation toxic? Why?\"", "issue #28",
        "critic.toxicity_threshold", why="default: a classifier per utterance; opt-in `llm-toxicity` asks the "
                                         "paper's question, one call per candidate (`spc critic calibrate "
                                         "--expert llm-toxicity` measures it)"),
    Row("critic", "persona leakage (a speaker claims the partner's attribute)", "not stated", "issue #28",
        "critic.leakage_threshold", why="opt-in `leakage` expert; SPC test: 4% flagged at 0.9, real leaks"),
    Row("critic", "contradiction threshold", "not stated", "issue #28", "critic.contradiction_threshold",
        why="None = the checker's conversation-level point: at most 4% of clean conversations (spc-sample:valid) "
            "rejected, pair AUROC unchanged; questions and remarks to the partner are not checked (they assert "
            "nothing). Packaged SPC test sample rejected: 7.3% -> 4.7% (11 -> 7 of 150, 2 of the 7 real "
            "contradictions in the release), inserted denials caught 149/150 both"),
]


def preset_values() -> dict[str, JsonObject]:
    """Every packaged preset's config, by name."""
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in sorted(PRESETS.glob("*.yaml"))}


def ours(row: Row, presets: dict[str, JsonObject]) -> str:
    """The default of `row.key` and any preset that sets it differently; or the row's own text."""
    if not row.key:
        return row.ours
    section, name = row.key.split(".")
    default = {f.name: f for f in dataclasses.fields(SECTIONS[section])}[name]
    value = default.default_factory() if default.default_factory is not dataclasses.MISSING else default.default
    out = f"`{row.key}` = {_show(value)}"
    for preset, data in presets.items():
        if name in (data.get(section) or {}) and data[section][name] != value:
            out += f" ({preset}: {_show(data[section][name])})"
    return out


def render() -> str:
    presets = preset_values()
    lines = ["# Paper vs ours", "",
             "Generated by `python -m synthetic_persona_chat.paper_table` from the config defaults and the presets "
             f"({', '.join(presets)}); a test fails when this file is stale. Paper values: SPEC §1 (checked) or "
             "issue #28's reading of arXiv 2312.10007 (not re-checked here).", "",
             "| area | parameter / mechanism | paper | source | ours | why |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.area} | {r.what} | {r.paper} | {r.source} | {ours(r, presets)} | {r.why} |" for r in ROWS]
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


if __name__ == "__main__":
    print(render(), end="")
