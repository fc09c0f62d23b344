"""Section `generator`: how the Generator writes a candidate (one call per conversation, or one per turn).

- `one-call`: the paper's prompt (§3.3): few-shot conversations, the two profiles, one answer holding the
  whole conversation, parsed afterwards. Strong models follow it; the bundled 135M model mostly does not
  (turns that do not alternate, template slots copied from the examples, loops).
- `turns`: one batched call per turn over every live conversation (`turns.py`). Who speaks is decided by
  the loop, never by the model, so turns alternate and lengths stay within [min_turns, max_turns] by
  construction; each turn sees its speaker's persona, one attribute to bring up and the recent history.
- `constrained`: the paper's one-call prompt, its answer decoded inside a `ConversationShape`
  (`models/llm/shape.py`): alternating speaker tags, [min_turns, max_turns] lines, no template slots or
  markup, no repeated 4-grams, all enforced token by token (transformers: a logits processor; servers:
  guided decoding by regex where the openai model spec sets `guided: regex`). One prefill per pair instead of one per
  turn, so it is the cheapest well-formed mode on a CPU.
- `auto` (default): the well-formed modes on local backends (the small models a laptop runs):
  `constrained` on transformers, `turns` on llama.cpp (which cannot enforce the shape here); `one-call`
  on HTTP servers, which usually serve models strong enough for the paper's prompt. On the bundled model
  both passed the structural expert 16 of 16 times, with the same persona coverage, and `constrained` took
  0.6x the time of `turns` (docs/performance.md, "Generator modes"); the paper's unconstrained prompt, 0 of 6.

The resolved mode is part of the stage summary (and so of the dataset card).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, ConfigError

MODES = ("auto", "turns", "one-call", "constrained")
LOCAL_BACKENDS = ("transformers", "llama-cpp", "llama_cpp", "llamacpp")
PREFIX_BACKENDS = ("transformers",)  # continue a trailing assistant message (the forced "User N:" tag)
SHAPE_BACKENDS = ("transformers",)  # enforce a ConversationShape while decoding (servers only with `guided`)


@dataclass
class GeneratorConfig:
    """Section `generator`: the Generator's mode and its turn-level settings."""

    mode: str = "auto"  # auto | turns | one-call (see the module docstring)
    # few-shot examples as the paper shows them: "User 1 Profile", "User 2 Profile", "Conversation" blocks
    fewshot_profiles: bool = True
    turn_template: str = "turn.j2"  # a packaged template name or a path to a Jinja2 file
    turn_system_template: str | None = "turn_system.j2"
    turn_max_tokens: int = 40  # per turn; a line cut mid-sentence is cut back to its last full sentence
    turn_history: int = 2  # the last lines the speaker is shown (0: none); the bundled model copies longer ones
    turn_fewshot: int = 0  # few-shot blocks in each turn's prompt (0: none; each adds prefill to every turn)
    # a turn that is empty, repeats a line of the conversation or leaves a template slot is asked again
    # (another seed, sampling) this many times; then an empty turn ends the conversation
    turn_retries: int = 2
    force_tag: bool = True  # start the answer with "User N:" where the backend continues it (PREFIX_BACKENDS)
    # constrained mode: a line ends at its first sentence end after `line_tokens` tokens (at twice that at
    # the latest); no `no_repeat_ngram` tokens of a line repeat ones said before in the conversation
    line_tokens: int = 18
    no_repeat_ngram: int = 4
    # constrained mode: extra logit for the speaker's persona words not said yet (0: off; shape.py says why)
    persona_bias: float = 4.0
    # constrained mode, tic rules (shape.py): no `line_ngram` tokens twice inside a line, no greeting after the
    # first `greeting_turns` lines, no line opening as its speaker's previous one. Off by default: on 4 SPC pairs
    # they removed every tic but cut the Critic's pass rate 0.75 -> 0.25 and persona coverage 0.30 -> 0.22
    # (benchmarks/generator_modes.py, docs/generation.md); opt in where tics matter more than yield.
    line_ngram: int = 0
    greeting_turns: int = 0
    fresh_openers: bool = False


def generator_config(config: Config) -> GeneratorConfig:
    cfg = config.section("generator", GeneratorConfig)
    if cfg.mode not in MODES:
        raise ConfigError(f"generator.mode must be one of {', '.join(MODES)}, got {cfg.mode!r}")
    for name in ("turn_max_tokens", "line_tokens"):
        if getattr(cfg, name) < 1:
            raise ConfigError(f"generator.{name} must be >= 1, got {getattr(cfg, name)}")
    for name in ("turn_history", "turn_fewshot", "turn_retries", "no_repeat_ngram", "line_ngram", "greeting_turns"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"generator.{name} must be >= 0, got {getattr(cfg, name)}")
    return cfg


def resolve_mode(cfg: GeneratorConfig, backend: str) -> str:
    """The mode a run uses with this LLM backend: `auto` picks a well-formed mode for local models."""
    if cfg.mode != "auto":
        return cfg.mode
    if backend in SHAPE_BACKENDS:
        return "constrained"
    return "turns" if backend in LOCAL_BACKENDS else "one-call"
