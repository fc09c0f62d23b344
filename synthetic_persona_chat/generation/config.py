"""The `generation` and `critic` config sections, with the paper's values as documented defaults.

Every threshold of the Generator–Critic stage lives here, so a run directory's
`config.yaml` says exactly how its conversations were made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Config, ConfigError

DEFAULT_SEEDS = "spc-sample:valid"  # the packaged SPC sample (sample_data.py); any path works
PAPER_QUALITIES = ["depth", "coherency", "consistency", "diversity", "likability"]
# `expression` (the persona-expression gate) and `leakage` are opt-in: add them to critic.experts before
# "quality". The tiny preset turns the gate on; on the main job's demo run it would drop 13 of 59 winners
# (critic/expression.py), so the default leaves the choice to the preset.
PAPER_EXPERTS = ["structural", "faithfulness", "toxicity", "quality"]


@dataclass
class GenerationConfig:
    """Section `generation`: the Generator and the iteration loop."""

    # Seed conversations for iteration 0's few-shot pool: an SPC CSV, a ParlAI Persona-Chat .txt, or our
    # .jsonl/.parquet Conversation records. Relative paths are resolved against the working directory.
    seed_conversations: str = DEFAULT_SEEDS
    # Seed persona attributes for user generation (`spc generate --seeds` overrides): one per line (.txt), an SPC
    # CSV (its persona columns) or .jsonl; see the `expand` section for how they are read.
    seed_personas: str = DEFAULT_SEEDS
    max_seed_conversations: int = 500  # read at most this many seeds (the pool only needs a sample)
    pairs_file: str | None = None  # bring your own pairs (Parquet/JSONL rows like pairs/pairs.parquet): skips usergen
    max_pairs: int | None = None  # use at most this many pairs (None: all)
    # SPC's first part (seed_pairs.py): conversation sources whose own profile pairs are talked about too, beside
    # the generated users' pairs (e.g. Persona-Chat's ParlAI files); None: only generated pairs
    seed_pairs: list[str] | None = None
    max_seed_pairs: int | None = None  # take at most this many seed profile pairs (None: all)
    iterations: int = 3  # I (paper: 3)
    pair_schedule: str = "split"  # "split": each iteration gets its own share of the pairs; "repeat": all, every time
    candidates: int = 3  # m candidate conversations per pair
    fewshot: int = 5  # k example conversations per prompt (paper: 5)
    fewshot_max_turns: int = 12  # examples are cut to this many turns to bound the prompt (0: whole)
    min_turns: int = 8  # asked for in the prompt (the critic checks its own minimum)
    max_turns: int = 16
    max_tokens: int = 512  # per candidate
    temperature: float = 0.7  # paper: 0.7
    top_k: int = 40  # paper: 40
    top_p: float = 1.0
    template: str = "generator.j2"  # a packaged template name or a path to a Jinja2 file
    system_template: str | None = "generator_system.j2"  # the system message (None: none)
    batch_size: int = 8  # pairs per checkpointed batch: a kill loses at most one batch of uncached work
    # retry.py: a pair with no surviving candidate is asked again (a new few-shot draw, hence a new prompt and
    # sampling seed) up to `retries` more times; with `target_winners` > 0 retrying stops once the run has that many
    retries: int = 2
    target_winners: int = 0


@dataclass
class CriticConfig:
    """Section `critic`: which experts judge the candidates, and their thresholds."""

    experts: list[str] = field(default_factory=lambda: list(PAPER_EXPERTS))  # run in this order
    min_turns: int = 6  # structural: fewer turns is a rejection
    max_alternation_errors: int = 0  # structural: same speaker twice in a row, this many times is allowed
    allow_placeholders: bool = False  # structural: "[User 1's name]" left in an utterance rejects
    max_repeated_utterances: int = 2  # structural: lines a speaker says again (released SPC: >2 in 2.3%)
    max_copied_lines: int = 1  # structural: lines of 4+ words copied from the partner (SPC: >1 in 2.4%)
    min_distinct_2: float = 0.4  # structural: unique word bigrams / all, per conversation (SPC: <0.4 in <0.5%)
    # faithfulness: score above this is a contradiction; None: the threshold the checker was calibrated to
    contradiction_threshold: float | None = field(default=None, metadata={"range": (0.0, 1.0)})
    max_contradictions: int = 0  # faithfulness: this many contradicting utterance×attribute pairs are tolerated
    max_nli_pairs: int = 0  # faithfulness: utterance×attribute pairs checked per candidate (0: all); with a cap
    #                          the most word-overlapping pairs are checked first, and the cap is recorded in the reason
    # toxicity: an utterance scoring above this rejects the candidate; None: the scorer's calibrated threshold
    toxicity_threshold: float | None = field(default=None, metadata={"range": (0.0, 1.0)})
    # expression (critic/expression.py): each speaker expresses >= this share of their attributes (rounded up;
    # 0 turns the gate off), an attribute counting when an own utterance reaches this cosine (eval's coverage)
    min_expressed_share: float = field(default=0.2, metadata={"range": (0.0, 1.0)})
    expression_threshold: float = field(default=0.5, metadata={"range": (-1.0, 1.0)})
    expression_measure: str = "embedding"  # or "llm": the paper's P(π|D) >= P(π) + margin (transformers backend)
    expression_margin: float = 0.0
    # leakage (critic/leakage.py): a first-person statement this close (cosine) to a partner's attribute, and closer
    # by the margin than to any own attribute, claims the partner's persona; more than max_leaks drops the candidate
    leakage_threshold: float = field(default=0.9, metadata={"range": (-1.0, 1.0)})
    leakage_margin: float = 0.1
    max_leaks: int = 0
    qualities: list[str] = field(default_factory=lambda: list(PAPER_QUALITIES))  # one LLM expert each
    quality_questions: dict[str, str] = field(default_factory=dict)  # extra or replaced FED-style questions
    quality_max_tokens: int = 8  # an expert answers with a letter
    quality_template: str = "pairwise.j2"  # one comparison of two conversations, asked in both orders


def generation_config(config: Config) -> GenerationConfig:
    gen = config.section("generation", GenerationConfig)
    for name, value in (("iterations", gen.iterations), ("candidates", gen.candidates),
                        ("batch_size", gen.batch_size), ("max_tokens", gen.max_tokens)):
        if int(value) < 1:
            raise ConfigError(f"generation.{name} must be >= 1, got {value}")
    if gen.fewshot < 0:
        raise ConfigError(f"generation.fewshot must be >= 0, got {gen.fewshot}")
    if gen.retries < 0 or gen.target_winners < 0:
        raise ConfigError(f"generation.retries and generation.target_winners must be >= 0, got "
                          f"{gen.retries} and {gen.target_winners}")
    if gen.pair_schedule not in ("split", "repeat"):
        raise ConfigError(f"generation.pair_schedule must be 'split' or 'repeat', got {gen.pair_schedule!r}")
    return gen


def critic_config(config: Config) -> CriticConfig:
    cfg = config.section("critic", CriticConfig)
    if isinstance(cfg.experts, str) or isinstance(cfg.qualities, str):
        raise ConfigError("critic.experts and critic.qualities are lists, e.g. [structural, quality]")
    return cfg

