"""`spc generate --estimate`: LLM calls, tokens, time and cost of a run, before anything is spent.

At the paper's scale a run is hundreds of thousands of requests, so a user wants the bill first. The
estimate renders the Generator prompts the run would send (the real pairs, or stand-in persona pairs
from the seed conversations when user generation will make them) and counts every LLM role:

- user generation: one query per category (`expand.max_queries`, else about one per 2 seeds), one
  bootstrap prompt per query and round, and the LLM contradiction judge in `profiles` if it is the checker;
- Generator: one prompt per pair and iteration, `candidates` samples each (one request per sample on an
  HTTP server, each resending the prompt), and again for the expected retries (`expected_attempts`: retry.py
  asks a pair again while none of its candidates survived, up to `generation.retries` more times);
- Critic: the LLM contradiction judge (if configured) on the candidates that reach it, and per pair
  `qualities x 2 orders x C(survivors, 2)` quality comparisons.

How many candidates survive the filters is not known in advance: the estimate uses the share measured in
this run directory's finished batches when there are any, else `estimate.pass_rate`, else a prior
(92% for the bundled SmolLM2-135M, measured on the demo preset; 80% for any other model). Tokens are
characters / `estimate.chars_per_token` (4: the usual rule of thumb for English with BPE tokenizers);
completions are counted at the configured maximums (`max_tokens`) and as expected lengths (the turns the
prompt asks for x `TOKENS_PER_TURN`, measured on SPC). Wall time, for an
HTTP backend, is requests x seconds per request / `models.max_concurrency`, or, given the endpoint's stated
throughput (`estimate.tokens_per_second`), completion tokens / that; cost needs the `estimate`
section's prices per million tokens.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..jsonrow import JsonRow, optional
from ..jsontypes import JsonObject
from ..models.contradiction import needs_llm
from .critic.llm_judges import MAX_TOKENS as LLM_JUDGE_MAX_TOKENS
from ..models.spec import ModelSpec
from .config import critic_config, generation_config
from .fewshot import load_seed_conversations, pool_entries
from .plan import load_pairs, make_jobs, schedule, usable_pairs
from .seed_pairs import seed_profile_pairs
from .stages import generator_chat
from .stage_rows import JobRow, PairRow
from ..usergen.config import ExpandConfig, PairsConfig, ProfilesConfig
from ..usergen.seeds import LineRules, read_seed_file

if TYPE_CHECKING:  # annotations only: no import cycle at run time
    from synthetic_persona_chat.generation.config import CriticConfig, GenerationConfig

# Measured: the main job (scripts/main.sh, `spc generate --preset demo`, constrained mode, SmolLM2-135M) kept
# 59 of its 64 candidates (0.92; structural 100%). The older 0.25 came from the tiny preset's free-text
# decoding (structural 37.5% x faithfulness 67%), which constrained decoding replaced as the default.
BUNDLED_PASS_RATE = 0.92
OTHER_PASS_RATE = 0.8
# Measured on the SPC test CSV (968 conversations, 26,644 lines "User N: ..."): 16.96 SmolLM2 BPE tokens a line
# (13.6 by characters / 4, 11.0 words); it was 20, a guess. SPC's conversations run 27.5 lines on average, but the
# Generator is asked for min_turns..max_turns and its few-shot examples are cut to fewshot_max_turns (12).
TOKENS_PER_TURN = 17
QUALITY_OVERHEAD = 80  # the pairwise template's question and instructions, in tokens
JUDGE_PROMPT_TOKENS = 60  # the contradiction judge: two statements and a question


@dataclass
class EstimateConfig:
    """Section `estimate`: prices and the assumptions the estimate cannot know."""

    prompt_price_per_million: float | None = None  # per 1M prompt tokens (e.g. 0.15)
    completion_price_per_million: float | None = None  # per 1M completion tokens
    currency: str = "USD"
    chars_per_token: float = 4.0
    seconds_per_request: float | None = None  # None: 0.1 s + expected completion tokens / 50 per second
    pass_rate: float | None = None  # share of candidates surviving the filter experts; None: measured or prior
    # the endpoint's stated throughput: completion tokens per second over all requests in flight (a batching server
    # at its best); with it the wall time is completion tokens / this (prefill assumed overlapped), whatever the backend
    tokens_per_second: float | None = None


@dataclass
class EstimateLine(JsonRow):
    """One role's expected LLM work: calls (prompts), requests (samples), tokens, and the completion cap."""

    role: str
    calls: int
    requests: int
    prompt_tokens: int
    completion_tokens: int
    completion_tokens_max: int

    COUNTS = ("calls", "requests", "prompt_tokens", "completion_tokens", "completion_tokens_max")


@dataclass
class Cost(JsonRow):
    expected: float
    at_most_completion: float  # every completion at its token cap
    currency: str


@dataclass(kw_only=True)
class Estimate(JsonRow):
    """What `spc generate --estimate` prints and RUN/estimate.json stores (key order as before the type)."""

    pairs: int
    lines: list[EstimateLine]
    total: dict[str, int]  # EstimateLine.COUNTS summed over the lines
    pass_rate: float
    pass_rate_source: str
    backend: str
    wall_seconds: float | None = optional()
    wall_assumes: dict[str, float] | None = optional()  # the throughput or concurrency the wall time assumes
    cost: Cost | None = optional()
    attempts_per_pair: float | None = optional()  # expected Generator rounds per pair with retries (absent: 1)


def estimate_config(config: Any) -> EstimateConfig:
    return config.section("estimate", EstimateConfig)


def estimate(config: Any, run_path: Path | None = None, seeds_path: str | None = None) -> JsonObject:
    """`estimate_run`'s answer as its JSON object, the form scripts and tests compare and estimate.json stores."""
    return estimate_run(config, run_path, seeds_path).to_json()


def estimate_run(config: Any, run_path: Path | None = None, seeds_path: str | None = None) -> Estimate:
    """The `Estimate` of a run (what the command prints and estimate.json stores): per-role lines, totals, wall
    time and cost; nothing is written and no model is loaded. `seeds_path`: `spc generate --seeds`."""
    est, gen, critic = estimate_config(config), generation_config(config), critic_config(config)
    seeds = pool_entries(load_seed_conversations(gen.seed_conversations, gen.max_seed_conversations),
                         gen.fewshot_max_turns)
    lines: list[EstimateLine] = []
    if gen.pairs_file:
        pairs, _ = usable_pairs(load_pairs(gen.pairs_file), gen.pairs_file)
    else:
        usergen, n_pairs = _usergen_lines(config, est, seeds_path or gen.seed_personas)
        lines += usergen
        pairs = _stand_in_pairs(gen, n_pairs)
    pairs = seed_profile_pairs(gen) + pairs  # SPC's first part, as iterate.py puts it first
    pairs = pairs[:gen.max_pairs] if gen.max_pairs else pairs
    pass_rate, source = _pass_rate(config, est, run_path)
    jobs = [j for it, share in enumerate(schedule(pairs, gen.iterations, gen.pair_schedule, config.seed))
            for j in make_jobs(share, it, [], seeds, gen.fewshot, config.seed)]
    attempts = expected_attempts(pass_rate, gen.candidates, gen.retries if gen.fewshot > 0 else 0)
    lines += _conversation_lines(jobs, gen, critic, config, est, pass_rate, attempts)
    out = _totals(lines, config, est, pass_rate, source, len(pairs))
    out.attempts_per_pair = round(attempts, 3) if attempts > 1.0005 else None
    return out


def expected_attempts(pass_rate: float, candidates: int, retries: int) -> float:
    """Generator rounds a pair is asked, in expectation. retry.py asks a pair again while none of its `candidates`
    survived the filters, up to `retries` more times; with each candidate passing at `pass_rate`, independently, a
    round fails with q = (1 - pass_rate)^m, so the rounds are 1 + q + ... + q^retries. Left out (it was), the
    rehearsal paid 1.6-1.7x the Generator calls estimated (#23). `generation.target_winners` is not modelled: it
    can only stop retries earlier, so this stays an upper bound there."""
    q = (1.0 - min(max(pass_rate, 0.0), 1.0)) ** candidates
    return sum(q ** a for a in range(retries + 1))


# critic/llm_judges.py: prompt tokens besides the conversation (instructions, examples, profiles), answer cap
LLM_JUDGE_OVERHEAD = {"llm-faithfulness": 260, "llm-toxicity": 40}


def _tokens(text: str, est: EstimateConfig) -> int:
    return math.ceil(len(text) / est.chars_per_token)


def _line(role: str, calls: float, requests: float, prompt: float, completion: float, completion_max: float
          ) -> EstimateLine:
    return EstimateLine(role, round(calls), round(requests), round(prompt), round(completion), round(completion_max))


def _conversation_lines(jobs: list[JobRow], gen: GenerationConfig, critic: CriticConfig, config: Any, est: EstimateConfig,
                        pass_rate: float, attempts: float = 1.0) -> list[EstimateLine]:
    """Every line scales with `attempts`: a retried pair is generated, judged and compared again."""
    m, rounds = gen.candidates, len(jobs) * attempts
    prompt = attempts * sum(_tokens("\n".join(msg["content"] for msg in generator_chat(j, gen)), est) for j in jobs)
    per_candidate = min(gen.max_tokens, (gen.min_turns + gen.max_turns) / 2 * TOKENS_PER_TURN)
    out = [_line("generator", rounds, rounds * m, prompt * m, rounds * m * per_candidate,
                 rounds * m * gen.max_tokens)]
    if "faithfulness" in critic.experts and needs_llm(config.models.nli):
        persona = sum(len(j["user1_persona"]) + len(j["user2_persona"]) for j in jobs) / max(2 * len(jobs), 1)
        checks = (gen.min_turns + gen.max_turns) / 2 * persona
        checks = min(checks, critic.max_nli_pairs) if critic.max_nli_pairs else checks
        n = rounds * m * pass_rate * checks
        out.append(_line("contradiction judge", n, n, n * JUDGE_PROMPT_TOKENS, n * 2, n * 4))
    for name, overhead in LLM_JUDGE_OVERHEAD.items():  # conversation-level LLM experts: one call per candidate
        if name in critic.experts:
            n = rounds * m * pass_rate
            out.append(_line(name, n, n, n * (per_candidate + overhead), n * 24, n * LLM_JUDGE_MAX_TOKENS))
    if "quality" in critic.experts and m > 1:
        comparisons = len(critic.qualities) * 2 * rounds
        expected, most = comparisons * math.comb(m, 2) * pass_rate ** 2, comparisons * math.comb(m, 2)
        size = 2 * per_candidate + QUALITY_OVERHEAD
        out.append(_line("quality experts", expected, expected, expected * size, expected * 2,
                         most * critic.quality_max_tokens))
    return out


def _usergen_lines(config: Any, est: EstimateConfig, seeds_path: str) -> tuple[list[EstimateLine], int]:
    """User generation's LLM prompts, and how many pairs it will hand to the conversation stage."""
    expand = config.section("expand", ExpandConfig)
    profiles = config.section("profiles", ProfilesConfig)
    pairing = config.section("pairs", PairsConfig)
    seeds, _ = read_seed_file(seeds_path, expand.seed_column,
                              LineRules(expand.min_words, expand.max_words, expand.max_chars))
    n_seeds = min(len(seeds), expand.max_seeds or len(seeds))
    queries = expand.max_queries if expand.max_queries is not None else max(1, n_seeds // 2)
    query_prompt = 40 + 12 * expand.query_examples
    boot_prompt = 40 + 12 * expand.k
    lines = [_line("query induction", queries, queries, queries * query_prompt, queries * 15,
                   queries * expand.query_max_tokens)]
    if expand.algorithm == "paper":
        lines += _paper_expand_lines(expand, queries, n_seeds)
    else:
        boots = queries * expand.rounds
        n = expand.samples_per_query
        lines.append(_line("bootstrapping", boots, boots * n, boots * n * boot_prompt,
                           boots * n * expand.num_new * 12, boots * n * expand.max_tokens))
    if profiles.consistency == "negation":  # one LLM negation per candidate drawn, at most max_tries per user
        expected, most = profiles.num_users * profiles.profile_size, profiles.num_users * profiles.max_tries
        lines.append(_line("profile negations", expected, expected, expected * 30, expected * 12,
                           most * profiles.negation_max_tokens))
    if needs_llm(config.models.nli):
        checks = profiles.num_users * math.comb(profiles.profile_size, 2)
        lines.append(_line("profile contradiction judge", checks, checks, checks * JUDGE_PROMPT_TOKENS,
                           checks * 2, checks * 4))
    n_pairs = profiles.num_users * pairing.max_degree // 2
    return lines, min(n_pairs, pairing.max_pairs) if pairing.max_pairs else n_pairs


def _paper_expand_lines(expand: ExpandConfig, queries: int, n_seeds: int) -> list[EstimateLine]:
    """The paper's algorithm: `query_steps` query-bootstrapping prompts, then one prompt per new attribute
    (one answer each) up to the target size; at most every round asks every query (the bank's full size)."""
    steps = expand.query_steps
    bank = queries + steps if expand.max_queries is None else max(queries, expand.max_queries)
    most = bank * expand.rounds
    expected = min(most, max(expand.max_attributes - n_seeds, 0)) if expand.max_attributes is not None else most
    return [_line("query bootstrapping", steps, steps, steps * (40 + 12 * expand.query_shots), steps * 15,
                  steps * expand.query_max_tokens),
            _line("bootstrapping", expected, expected, expected * (40 + 12 * expand.persona_size), expected * 12,
                  most * expand.max_tokens)]


def _stand_in_pairs(gen: GenerationConfig, n: int) -> list[PairRow]:
    """Persona pairs of the seed conversations, repeated to `n`: prompts of the size usergen's will have."""
    convs = load_seed_conversations(gen.seed_conversations, gen.max_seed_conversations)
    if not convs:
        return []
    return [PairRow(pair_id=f"estimate-{i}", user1_persona=list(convs[i % len(convs)].user1_persona),
                    user2_persona=list(convs[i % len(convs)].user2_persona)) for i in range(n)]


def _pass_rate(config: Any, est: EstimateConfig, run_path: Path | None) -> tuple[float, str]:
    measured = _measured_pass_rate(run_path) if run_path else None
    if measured is not None:
        return measured, "measured in this run's finished batches"
    if est.pass_rate is not None:
        return float(est.pass_rate), "estimate.pass_rate"
    spec = ModelSpec.parse(config.models.llm)
    bundled = spec.backend in ("transformers", "hf", "llama-cpp") and spec.model in ("", "smollm2")
    return (BUNDLED_PASS_RATE, "prior for the bundled SmolLM2") if bundled else (OTHER_PASS_RATE, "prior")


def _measured_pass_rate(run_path: Path) -> float | None:
    import pyarrow.parquet as pq

    files = sorted((run_path / "conversations").glob("iter-*/batch-*/candidates.parquet"))
    if not files:
        return None
    passed = [bool(p) for f in files for p in pq.read_table(f, columns=["passed"]).column("passed").to_pylist()]
    return sum(passed) / len(passed) if passed else None


def _totals(lines: list[EstimateLine], config: Any, est: EstimateConfig, pass_rate: float, source: str,
            pairs: int) -> Estimate:
    total = {k: sum(getattr(line, k) for line in lines) for k in EstimateLine.COUNTS}
    spec = ModelSpec.parse(config.models.llm)
    out = Estimate(pairs=pairs, lines=lines, total=total, pass_rate=round(pass_rate, 3), pass_rate_source=source,
                   backend=spec.backend)
    if est.tokens_per_second:
        out.wall_seconds = round(total["completion_tokens"] / est.tokens_per_second, 1)
        out.wall_assumes = {"tokens_per_second": est.tokens_per_second}
    elif spec.backend == "openai" or est.seconds_per_request is not None:
        concurrency = config.models.max_concurrency or int(spec.options.get("concurrency", 8))
        per_request = est.seconds_per_request
        if per_request is None:
            per_request = 0.1 + total["completion_tokens"] / max(total["requests"], 1) / 50
        out.wall_seconds = round(total["requests"] * per_request / concurrency, 1)
        out.wall_assumes = {"concurrency": concurrency, "seconds_per_request": round(per_request, 3)}
    if est.prompt_price_per_million is not None and est.completion_price_per_million is not None:
        cost = lambda c: (total["prompt_tokens"] * est.prompt_price_per_million  # noqa: E731
                          + c * est.completion_price_per_million) / 1e6
        out.cost = Cost(round(cost(total["completion_tokens"]), 4), round(cost(total["completion_tokens_max"]), 4),
                        est.currency)
    return out


def actual_calls(run_path: Path) -> int | None:
    """LLM answers paid for in this run directory, over every resume: the rows of its answer cache."""
    path = run_path / "cache" / "llm.sqlite"
    if not path.exists():
        return None
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])


def write_estimate(run_path: Path, result: Estimate) -> None:
    (run_path / "estimate.json").write_text(json.dumps(result.to_json(), indent=2))
