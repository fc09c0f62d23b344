"""The three user-generation stages over a run directory: expand, profiles, pairs.

Each stage returns its summary, is a no-op returning the stored summary once done (`resumable_stage`), and
resumes after a kill: expansion checkpoints the seed pool with its categories and
queries (round 0) and every bootstrapping round; profiles checkpoint every chunk of
users; LLM answers are cached per run by `ctx.llm`, so nothing paid for is asked twice.

    expand/attributes.parquet   PersonaAttribute rows (seed + generated)
    expand/categories.parquet   {category, query, size, seed_size}
    expand/queries.parquet      {category, query, source, reason, raw, examples}
    expand/report.json|md       expansion figures, seed vs expanded, per round
    expand/rounds/round_NNN/    checkpoint units (checkpoint.py): round 0 = seeds, queries, seed skips
    profiles/profiles.parquet   Profile rows; profiles/rejections.parquet {profile_id, attribute, reason, against, score}
    profiles/chunks/chunk_NNNNN/    checkpoint units: a chunk's profiles, rejections and skipped users
    pairs/pairs.parquet         `Pair` rows (row_contracts.py)
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from tqdm.auto import tqdm

from ..checkpoint import Checkpoints, Unit, resumable_stage
from ..context import RunContext
from ..jsontypes import JsonObject
from ..models.llm import GenerationParams
from ..models.llm.overlap import batches_in_flight, run_in_flight
from ..records import PersonaAttribute, Skip, stable_id
from ..row_contracts import Pair, arrow_schema
from .bootstrap import bootstrap_batch, bootstrap_requests, filter_candidates
from .clustering import cluster_embeddings
from .config import ExpandConfig, PairsConfig, ProfilesConfig
from .pairing import greedy_pairs, pairing_report, shared_category_counts
from .negation import Negations, both_ways, implied_scores
from .persona_bootstrap import persona_batch, persona_requests
from .profiles import build_profiles
from .query_bootstrap import bootstrap_queries
from .queries import InducedQuery, induce_queries_batch, query_requests
from .report import QuerySummary, RoundInfo, expansion_report, pool_figures, report_markdown
from .seeds import LineRules, SeedFormatError, clean_seeds, read_seed_file
from ..tasks.templates import template_source

log = logging.getLogger(__name__)

EXPAND, PROFILES, PAIRS = "expand", "profiles", "pairs"
LLM_BATCH = 8  # prompts per LLM call between progress updates
PROMPTS = {"compact": ("query.j2", "bootstrap.j2"),
           "paper": ("query.j2", "query_bootstrap.j2", "persona_bootstrap.j2")}

ATTRIBUTE_SCHEMA = pa.schema([("text", pa.string()), ("category", pa.int64()), ("query", pa.string()),
                              ("origin", pa.string()), ("round", pa.int64()), ("id", pa.string())])
CATEGORY_SCHEMA = pa.schema([("category", pa.int64()), ("query", pa.string()), ("size", pa.int64()),
                             ("seed_size", pa.int64())])
PROFILE_SCHEMA = pa.schema([("attributes", pa.list_(pa.string())), ("categories", pa.list_(pa.int64())),
                            ("id", pa.string())])
REJECTION_SCHEMA = pa.schema([("profile_id", pa.string()), ("attribute", pa.string()), ("reason", pa.string()),
                              ("against", pa.string()), ("score", pa.float64())])
PAIR_SCHEMA = arrow_schema(Pair)  # the one declaration of a pair row: row_contracts.py


# -- expand ------------------------------------------------------------------------------------
@resumable_stage(EXPAND)
def run_expand(ctx: RunContext, seeds_path: str | Path | None = None, seeds: list[str] | None = None
               ) -> JsonObject:
    """Seeds -> categories with queries -> R bootstrapping rounds -> attributes, categories, report."""
    run = ctx.run
    cfg = ctx.config.section(EXPAND, ExpandConfig)
    for name in PROMPTS[cfg.algorithm]:
        run.record_prompt(f"usergen_{name}", template_source(name))
    rounds = Checkpoints(run.path / EXPAND / "rounds", {"attributes": ATTRIBUTE_SCHEMA})
    base = rounds.get("round_000", partial(_base_pool, ctx, cfg, seeds_path, seeds))
    run.set_skips(EXPAND, base.skips)
    pool, queries = list(base.tables["attributes"]), _queries_of(base.tables["queries"])
    infos: list[RoundInfo] = []
    for r in range(1, cfg.rounds + 1):
        unit = rounds.get(f"round_{r:03d}", partial(_bootstrap_round, ctx, cfg, pool, queries, r))
        pool.extend(unit.tables["attributes"])
        infos.append(RoundInfo.from_json(unit.values["info"]))
        if cfg.algorithm == "paper" and _target_stop(cfg, pool, infos[-1]):
            break
    return _finish_expand(ctx, cfg, pool, base, infos)


def _target_stop(cfg: ExpandConfig, pool: list[dict], info: RoundInfo) -> bool:
    """The paper's algorithm grows the pool to a target size: stop there, or when a round added nothing."""
    return (cfg.max_attributes is not None and len(pool) >= cfg.max_attributes) or info.added == 0


def _sampling(cfg: ExpandConfig, max_tokens: int, seed: int) -> GenerationParams:
    """The paper samples in every component (temperature, top-k; seeded); the compact algorithm writes
    queries greedily."""
    return GenerationParams(max_tokens=max_tokens, temperature=cfg.temperature, top_k=cfg.top_k, n=1, seed=seed)


def _base_pool(ctx: RunContext, cfg: ExpandConfig, seeds_path, seeds) -> Unit:
    """Round 0: the seed attributes with their category and query, the induced queries, the seed skips."""
    texts, skips = _read_seeds(ctx, cfg, seeds_path, seeds)
    vecs = ctx.embedder.encode(texts, show_progress=len(texts) > 1000)
    labels = cluster_embeddings(vecs, cfg.distance_threshold, cfg.exact_limit, cfg.partition_size, ctx.config.seed)
    sizes = np.bincount(labels)
    eligible = [int(c) for c in range(len(sizes)) if sizes[c] >= cfg.min_cluster_size]
    chosen = eligible[: cfg.max_queries] if cfg.max_queries is not None else eligible
    log.info("%d seeds -> %d categories; inducing %d queries", len(texts), len(sizes), len(chosen))
    requests = query_requests(texts, vecs, labels, chosen, cfg.query_examples)
    paper = cfg.algorithm == "paper"
    params = (_sampling(cfg, cfg.query_max_tokens, ctx.config.seed) if paper else
              GenerationParams(max_tokens=cfg.query_max_tokens, temperature=0.0, top_k=1, n=1, seed=ctx.config.seed))
    induced = _batched(requests, lambda b: induce_queries_batch(b, ctx.llm, params, fallback=not paper),
                       "query induction", ctx.llm)
    if induced and all(not q["raw"].strip() for q in induced):
        raise RuntimeError(f"the LLM ({ctx.llm.describe().get('model')}) returned nothing for all "
                           f"{len(induced)} query prompts; check models.llm with `spc models check`")
    if paper:
        skips = skips + [Skip(EXPAND, f"category {q['category']}", f"query induction failed: {q['reason']}")
                         for q in induced if q["source"] == "failed"]
        induced, more = _bootstrap_query_bank(ctx, cfg, induced, int(len(sizes)))
        skips += more
    queries = _queries_of(induced)
    rows = [PersonaAttribute(t, category=int(c), query=queries.get(int(c)), origin="seed", round=0).to_dict()
            for t, c in zip(texts, labels)]
    info = {"seeds": len(texts), "seed_lines_skipped": len(skips),
            "skip_reasons": dict(Counter(s.reason.split(" of ")[0] for s in skips)),
            "categories": int(len(sizes))}
    return Unit(tables={"attributes": rows, "queries": induced}, values={"info": info}, skips=skips)


def _bootstrap_query_bank(ctx: RunContext, cfg: ExpandConfig, induced: list[InducedQuery], first_category: int
                          ) -> tuple[list[InducedQuery], list[Skip]]:
    """The paper's query bootstrapping: each added question is a new (empty) category; failed steps are skips."""
    bank = [q["query"] for q in induced if q["query"]]
    params = _sampling(cfg, cfg.query_max_tokens, ctx.config.seed + 7919)
    grown = bootstrap_queries(bank, ctx.llm, params, ctx.embedder.encode, cfg.query_steps, cfg.query_shots,
                              cfg.redundancy_threshold, ctx.config.seed, cfg.max_queries, LLM_BATCH)
    added = [InducedQuery(category=first_category + i, examples=q.examples, query=q.query, source="bootstrap",
                          reason=None, raw=q.raw) for i, q in enumerate(grown.added)]
    skips = [Skip(EXPAND, f"query bootstrap step {step}", why) for step, why in grown.failures]
    log.info("query bootstrapping: %d steps, %d queries added, %d failed%s", cfg.query_steps, len(added),
             len(skips), f" ({grown.stopped})" if grown.stopped else "")
    return induced + added, skips


def _read_seeds(ctx: RunContext, cfg: ExpandConfig, seeds_path, seeds) -> tuple[list[str], list[Skip]]:
    rules = LineRules(cfg.min_words, cfg.max_words, cfg.max_chars)
    if seeds is not None:
        texts, skips = clean_seeds([(f"item {i}", str(t)) for i, t in enumerate(seeds)], "seeds argument", rules)
        source = "the seeds argument"
    elif seeds_path:
        texts, skips = read_seed_file(seeds_path, cfg.seed_column, rules)
        source = str(seeds_path)
    else:
        raise SeedFormatError("no seed attributes: pass --seeds FILE (.txt/.csv/.jsonl)")
    if not texts:
        reasons = Counter(s.reason.split(" of ")[0] for s in skips)
        raise SeedFormatError(f"no usable seed attribute in {source} ({len(skips)} lines skipped: "
                              f"{dict(reasons)}); give one attribute sentence per line")
    if cfg.max_seeds is not None and len(texts) > cfg.max_seeds:
        keep = sorted(random.Random(f"{ctx.config.seed}:seeds").sample(range(len(texts)), cfg.max_seeds))
        texts = [texts[i] for i in keep]
    if len(texts) < 2:
        raise SeedFormatError(f"{source} holds {len(texts)} usable seed attribute(s); expansion needs at least 2")
    return texts, skips


def _queries_of(rows: list[InducedQuery]) -> dict[int, str]:
    return {int(r["category"]): r["query"] for r in rows if r.get("query")}


def _batched(rows: list[dict], fn, desc: str, llm: Any = None) -> list[dict]:
    """`fn` over chunks of LLM_BATCH prompts; with an HTTP LLM many chunks are in flight at once."""
    with tqdm(total=len(rows), desc=desc, unit="prompt", disable=len(rows) < 2 * LLM_BATCH) as bar:
        def chunk(s: int) -> list[dict]:
            got = fn(rows[s:s + LLM_BATCH])
            bar.update(len(got))
            return got
        parts = run_in_flight(chunk, range(0, len(rows), LLM_BATCH), batches_in_flight(llm, LLM_BATCH))
    return [r for part in parts for r in part]


def _bootstrap_round(ctx: RunContext, cfg: ExpandConfig, pool: list[dict], queries: dict[int, str], r: int
                     ) -> Unit:
    """One bootstrapping round: the attributes it adds to the pool, and its figures (`info`)."""
    room = None if cfg.max_attributes is None else max(cfg.max_attributes - len(pool), 0)
    info = RoundInfo(round=r, pool=len(pool))
    if room == 0 or not queries:
        info.stopped = "pool cap reached" if room == 0 else "no category has a query"
        return Unit(tables={"attributes": []}, values={"info": info.to_json()})
    rules = LineRules(cfg.min_words, cfg.max_words, cfg.max_chars)
    if cfg.algorithm == "paper":
        requests = persona_requests(pool, queries, cfg.persona_size, r, ctx.config.seed)
        params, samples = _sampling(cfg, cfg.max_tokens, ctx.config.seed + r), 1
        results = _batched(requests, lambda b: persona_batch(b, ctx.llm, params, rules), f"persona round {r}", ctx.llm)
    else:
        requests = bootstrap_requests(pool, queries, cfg.k, r, ctx.config.seed)
        params = GenerationParams(max_tokens=cfg.max_tokens, temperature=cfg.temperature, top_k=cfg.top_k,
                                  n=cfg.samples_per_query, seed=ctx.config.seed + r)
        samples = cfg.samples_per_query
        results = _batched(requests, lambda b: bootstrap_batch(b, ctx.llm, params, rules, cfg.num_new),
                           f"bootstrap round {r}", ctx.llm)
    drops: Counter = Counter()
    for row in results:
        drops.update(row["drops"])
    if results and drops.get("empty_output", 0) == len(results) * samples:
        raise RuntimeError(f"the LLM returned nothing for all {len(results)} prompts of round {r}; "
                           f"check models.llm with `spc models check`")
    texts = [p["text"] for p in pool]
    survivors, more = filter_candidates(results, texts, ctx.embedder.encode(texts), ctx.embedder.encode,
                                        cfg.redundancy_threshold, room)
    drops.update(more)
    added = [PersonaAttribute(s["text"], category=s["category"], query=s["query"], origin="generated",
                              round=r).to_dict() for s in survivors]
    info = RoundInfo(round=r, prompts=len(results), candidates=sum(len(x["candidates"]) for x in results),
                     added=len(added), pool=len(pool) + len(added), drops=dict(sorted(drops.items())))
    log.info("round %d: %d prompts, %d candidates, %d added (pool %d), drops %s", r, info.prompts,
             info.candidates, info.added, info.pool, info.drops)
    return Unit(tables={"attributes": added}, values={"info": info.to_json()})


def _finish_expand(ctx: RunContext, cfg: ExpandConfig, pool: list[dict], base: Unit, rounds: list[RoundInfo]
                   ) -> JsonObject:
    run = ctx.run
    seed_count, qrows, base_info = len(base.tables["attributes"]), base.tables["queries"], base.values["info"]
    queries = _queries_of(qrows)
    texts = [p["text"] for p in pool]
    cats = [int(p["category"]) for p in pool]
    vecs = ctx.embedder.encode(texts)
    seed_fig = pool_figures(texts[:seed_count], cats[:seed_count], vecs[:seed_count],
                            reclustered=len(set(cats[:seed_count])))  # the seeds' own clustering
    exp_fig = pool_figures(texts, cats, vecs, reclustered=int(cluster_embeddings(
        vecs, cfg.distance_threshold, cfg.exact_limit, cfg.partition_size, ctx.config.seed).max() + 1))
    qsum = QuerySummary(induced=sum(q["source"] == "llm" for q in qrows),
                        fallback=sum(q["source"] == "fallback" for q in qrows),
                        fallback_reasons=dict(Counter(q["reason"] for q in qrows if q["reason"])),
                        categories_without_query=len(set(cats) - set(queries)),
                        bootstrapped=sum(q["source"] == "bootstrap" for q in qrows),
                        failed=sum(q["source"] == "failed" for q in qrows))
    report = expansion_report(seed_fig, exp_fig, rounds, qsum, base_info.get("seed_lines_skipped", 0))
    size, seed_size = Counter(cats), Counter(cats[:seed_count])
    categories = [{"category": c, "query": queries.get(c), "size": size[c], "seed_size": seed_size[c]}
                  for c in sorted(size)]
    run.write_records(EXPAND, "queries", qrows)
    run.write_records(EXPAND, "attributes", pool, schema=ATTRIBUTE_SCHEMA)
    run.write_records(EXPAND, "categories", categories, schema=CATEGORY_SCHEMA)
    run.write_json(f"{EXPAND}/report.json", report.to_json())
    (run.stage_dir(EXPAND) / "report.md").write_text(report_markdown(report), encoding="utf-8")
    drops: Counter = Counter()
    for r in rounds:
        drops.update(r.drops)
    summary = {"algorithm": cfg.algorithm, "seed_attributes": seed_count, "attributes": len(pool), "categories": len(size),
               "queries": len(queries), "rounds": len(rounds), "drops": dict(sorted(drops.items())),
               "seed_lines_skipped": base_info.get("seed_lines_skipped", 0), "llm_usage": ctx.usage()}
    run.mark_done(EXPAND, summary)
    log.info("expand: %d seeds -> %d attributes in %d categories (%d queries); drops %s", seed_count,
             len(pool), len(size), len(queries), summary["drops"])
    return run.stage_summary(EXPAND)


# -- profiles ----------------------------------------------------------------------------------
@resumable_stage(PROFILES)
def run_profiles(ctx: RunContext) -> JsonObject:
    """Expanded pool -> `num_users` consistent profiles (chunks checkpointed)."""
    run = ctx.run
    cfg = ctx.config.section(PROFILES, ProfilesConfig)
    pool = run.read_records(EXPAND, "attributes")
    texts = [p["text"] for p in pool]
    cats = [int(p["category"]) if p["category"] is not None else -1 - i for i, p in enumerate(pool)]
    vecs = ctx.embedder.encode(texts)
    checker = ctx.nli
    contradiction, implied, negations = _consistency(ctx, cfg, checker)
    chunks = Checkpoints(run.path / PROFILES / "chunks",
                         {"profiles": PROFILE_SCHEMA.append(pa.field("user", pa.int64())),
                          "rejections": REJECTION_SCHEMA})
    profiles, rejections, skipped = [], [], []
    starts = range(0, cfg.num_users, cfg.chunk_size)
    for ci, start in enumerate(tqdm(starts, desc="profiles", unit="chunk", disable=len(starts) < 2)):
        users = list(range(start, min(start + cfg.chunk_size, cfg.num_users)))
        build = partial(build_profiles, texts, cats, vecs, users, contradiction, ctx.config.seed, cfg.profile_size,
                        cfg.min_size, cfg.max_tries, cfg.redundancy_threshold, cfg.contradiction_threshold,
                        implied)
        unit = chunks.get(f"chunk_{ci:05d}", partial(_profile_chunk, build))
        profiles.extend(unit.tables["profiles"])
        rejections.extend(unit.tables["rejections"])
        skipped.extend(unit.skips)
    unique, seen = [], set()
    for p in profiles:
        if p["id"] in seen:
            skipped.append(Skip(PROFILES, f"user {p['user']}", "duplicate profile"))
            continue
        seen.add(p["id"])
        unique.append({"attributes": p["attributes"], "categories": p["categories"], "id": p["id"]})
    if not unique:
        raise RuntimeError(f"no profile could be built from {len(pool)} attributes; lower profiles.min_size "
                           f"or expand the pool")
    run.write_records(PROFILES, "profiles", unique, schema=PROFILE_SCHEMA)
    run.write_records(PROFILES, "rejections", rejections, schema=REJECTION_SCHEMA)
    run.set_skips(PROFILES, skipped)
    summary = {"users_requested": cfg.num_users, "profiles": len(unique), "skipped_users": len(skipped),
               "mean_size": round(float(np.mean([len(p["attributes"]) for p in unique])), 3),
               "rejections": dict(Counter(r["reason"] for r in rejections)),
               "checker": checker.describe(), "consistency": cfg.consistency, "llm_usage": ctx.usage()}
    if negations is not None:
        summary["negation_failures"] = dict(negations.failures)
    run.mark_done(PROFILES, summary)
    log.info("profiles: %d built, %d skipped, rejections %s, checker %s", len(unique), len(skipped),
             summary["rejections"], summary["checker"].get("kind"))
    return run.stage_summary(PROFILES)


def _consistency(ctx: RunContext, cfg: ProfilesConfig, checker: Any):
    """(contradiction score fn, implied score fn or None, Negations or None) for `profiles.consistency`."""
    if cfg.consistency == "checker":
        return checker.scores, None, None
    ctx.run.record_prompt("usergen_negation.j2", template_source("negation.j2"))
    ecfg = ctx.config.section(EXPAND, ExpandConfig)
    params = GenerationParams(max_tokens=cfg.negation_max_tokens, temperature=ecfg.temperature, top_k=ecfg.top_k,
                              n=1, seed=ctx.config.seed)
    negations = Negations(ctx.llm, params, LineRules(ecfg.min_words, ecfg.max_words, ecfg.max_chars))
    return partial(both_ways, checker.scores), implied_scores(checker.scores, negations), negations


def _profile_chunk(build) -> Unit:
    """A chunk of users as a checkpoint unit: its profiles, its rejections, its skipped users."""
    out = build()
    return Unit(tables={"profiles": out["profiles"], "rejections": out["rejections"]},
                skips=[Skip(PROFILES, f"user {u}", why) for u, why in out["skipped"]])


# -- pairs -------------------------------------------------------------------------------------
@resumable_stage(PAIRS)
def run_pairs(ctx: RunContext) -> JsonObject:
    """Profiles -> pairs sharing >= `min_shared` categories, each user in <= `max_degree` pairs."""
    run = ctx.run
    cfg = ctx.config.section(PAIRS, PairsConfig)
    profiles = run.read_records(PROFILES, "profiles")
    if len(profiles) < 2:
        raise RuntimeError(f"the pairs stage needs at least 2 profiles, {run.path / PROFILES} holds {len(profiles)}")
    user_of, cat_of, slot_text = [], [], []
    for u, p in enumerate(profiles):
        for text, cat in zip(p["attributes"], p["categories"] or [None] * len(p["attributes"])):
            user_of.append(u)
            cat_of.append(-1 if cat is None else int(cat))
            slot_text.append(text)
    texts, text_of_slot = np.unique(np.array(slot_text, dtype=object), return_inverse=True)  # ~5 slots a user,
    # a few hundred distinct texts; share_threshold -1 (the paper's plain count) reads no vector at all
    vecs = ctx.embedder.encode(texts.tolist()) if cfg.share_threshold > -1 else np.zeros((len(texts), 1), np.float32)
    counts = shared_category_counts(np.array(user_of), np.array(cat_of), vecs, len(profiles), cfg.share_threshold,
                                    min_count=cfg.min_shared, vector_of_slot=text_of_slot)
    chosen = greedy_pairs(counts, cfg.min_shared, cfg.max_degree, cfg.max_pairs, ctx.config.seed)
    rows = [Pair(pair_id=stable_id("pair", profiles[a]["id"], profiles[b]["id"]),
                 user1_id=profiles[a]["id"], user2_id=profiles[b]["id"],
                 user1_persona=profiles[a]["attributes"], user2_persona=profiles[b]["attributes"],
                 similarity=int(s)).to_row() for a, b, s in chosen]
    run.write_records(PAIRS, "pairs", rows, schema=PAIR_SCHEMA)
    report = pairing_report(counts.histogram, chosen, len(profiles), config=vars(cfg))
    run.write_json(f"{PAIRS}/report.json", report.to_json())
    run.mark_done(PAIRS, {"users": report.users, "pairs": report.pairs, "unpaired_users": report.unpaired_users,
                          "similarity_histogram_pairs": report.similarity_histogram_pairs,
                          "min_shared": cfg.min_shared, "max_degree": cfg.max_degree})
    log.info("pairs: %d pairs among %d users, %d unpaired", len(rows), len(profiles), report.unpaired_users)
    if not rows:
        log.warning("no pair reached pairs.min_shared=%d; lower it or build more profiles", cfg.min_shared)
    return run.stage_summary(PAIRS)
