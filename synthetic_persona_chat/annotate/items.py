"""Which conversations a study shows, side by side or alone, and to whom.

Why it is built this way:
- A *stratum* is one synthetic dataset at one generation iteration. Turing and quality pairs are spread
  evenly over strata, so the losing rate of iteration 3 rests on as many pairs as that of iteration 1
  (the paper's per-iteration comparison), however many conversations each iteration produced.
- Left/right is randomised but balanced per stratum (half the synthetic conversations on each side),
  then recorded in the item: a judge who always clicks "left" cannot move the losing rate, and the
  answer can be turned back into "named the synthetic one" without trusting the page.
- Faithfulness items (the yes/no contradiction question, and the paper's eight-option attributes question,
  `attributes.py`) are spread over the real dataset and every stratum, so the human figures of generated
  conversations have a human-written baseline beside them.
- A Turing pair shows the synthetic conversation beside the real conversation of the same two users where the
  real data has one (the paper's design; `eval/same_users.py`), and such synthetic conversations are drawn
  first; otherwise a random real one, and the item records which (`pairing`: "same users" or "random: <why>").
- Every item gets exactly `overlap` judges and every annotator exactly `items_per_annotator` items,
  handed out round-robin over a seeded shuffle; each annotator's queue order is shuffled too, so no two
  annotators see the same sequence.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import asdict, dataclass, field

from synthetic_persona_chat.config import ConfigError
from synthetic_persona_chat.eval.same_users import RealIndex
from synthetic_persona_chat.records import Conversation, stable_id
from synthetic_persona_chat.rowtypes import ArrowRow

from . import attributes
from .config import StudyConfig

log = logging.getLogger(__name__)
PAIR_TASKS = ("turing", "quality")
REAL = "real"


@dataclass
class Item:
    """One thing to judge. Pair tasks hold two conversations and say which side is synthetic;
    the faithfulness task holds one conversation and the speaker whose persona is checked."""

    task: str
    dataset: str  # synthetic dataset name, or "real" (faithfulness on a human conversation)
    iteration: int | None
    conversations: list[ArrowRow]  # Conversation.to_dict() rows, left first
    synthetic_side: str | None = None  # "left" | "right" for pair tasks
    speaker: str | None = None  # faithfulness, attributes: "user 1" | "user 2"
    aspects: list[str] = field(default_factory=list)
    id: str = ""
    pairing: str | None = None  # turing: "same users" or "random: <why>" (eval/same_users.py)
    options: list[str] = field(default_factory=list)  # attributes: the eight attributes shown, in page order
    option_kinds: list[str] = field(default_factory=list)  # attributes: "persona" | "negated" | "other user"

    def to_dict(self) -> ArrowRow:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: ArrowRow) -> "Item":
        return cls(**row)

    def conversation(self, side: int) -> Conversation:
        return Conversation.from_dict(self.conversations[side])


Stratum = tuple[str, "int | None"]


def strata(synthetic: dict[str, list[Conversation]]) -> dict[Stratum, list[Conversation]]:
    """(dataset, iteration) -> its conversations sorted by id (file order never changes a sample)."""
    out: dict[Stratum, list[Conversation]] = {}
    for name, convs in synthetic.items():
        for conv in sorted(convs, key=lambda c: c.id):
            out.setdefault((name, conv.iteration), []).append(conv)
    return dict(sorted(out.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1])))


def split_evenly(total: int, parts: int) -> list[int]:
    """`total` as `parts` counts differing by at most one (the first ones get the extra)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def task_counts(config: StudyConfig) -> dict[str, int]:
    return dict(zip(config.tasks, split_evenly(config.total_items, len(config.tasks))))


def balanced_sides(n: int, rng: random.Random, odd: str = "left") -> list[str]:
    """n sides, half "left" and half "right" (`odd` takes the odd one), shuffled."""
    sides = ["left", "right"] * (n // 2) + ([odd] if n % 2 else [])
    rng.shuffle(sides)
    return sides


def _draw(pool: list[Conversation], n: int, rng: random.Random) -> list[Conversation]:
    """n conversations without replacement while the pool lasts, then again from a fresh shuffle."""
    out: list[Conversation] = []
    while len(out) < n:
        batch = list(pool)
        rng.shuffle(batch)
        out.extend(batch[: n - len(out)])
    return out


def build_items(config: StudyConfig, real: list[Conversation], synthetic: dict[str, list[Conversation]]
                ) -> list[Item]:
    """The study's items, deterministic for a seed and the same data."""
    if not real:
        raise ConfigError(f"the real dataset {config.real!r} has no conversations")
    by_stratum = strata(synthetic)
    if not by_stratum:
        raise ConfigError("the synthetic datasets hold no conversations")
    real_sorted = sorted(real, key=lambda c: c.id)
    items: list[Item] = []
    for task, count in task_counts(config).items():
        rng = random.Random(f"study:{config.seed}:{task}")
        if task in PAIR_TASKS:
            items += _pair_items(task, count, by_stratum, real_sorted, config, rng)
        elif task == "attributes":
            items += _attribute_items(count, by_stratum, real_sorted, rng)
        else:
            items += _faithfulness_items(count, by_stratum, real_sorted, rng)
    for i, item in enumerate(items):
        ids = [c["id"] for c in item.conversations]
        item.id = stable_id("item", str(config.seed), item.task, str(i), *ids, str(item.synthetic_side),
                            str(item.speaker))
    return items


def _pair_items(task: str, count: int, by_stratum: dict[Stratum, list[Conversation]], real: list[Conversation],
                config: StudyConfig, rng: random.Random) -> list[Item]:
    items = []
    odd = rng.choice(["left", "right"])  # strata with an odd count take turns, so the whole task stays balanced
    if count < len(by_stratum):
        log.warning("%s: %d item(s) for %d strata (dataset x iteration): some strata get none; raise "
                    "items_per_annotator or annotators", task, count, len(by_stratum))
    index = RealIndex(real) if task == "turing" else None
    match_rng = random.Random(f"study:{config.seed}:same-users")  # the draws and sides stay those of before
    for (name, iteration), n in zip(by_stratum, split_evenly(count, len(by_stratum))):
        synth = _draw_synthetic(by_stratum[(name, iteration)], n, rng, index)
        reals = _draw(real, n, rng)
        sides = balanced_sides(n, rng, odd)
        if n % 2:
            odd = "right" if odd == "left" else "left"
        for s, r, side in zip(synth, reals, sides):
            pairing = None
            if index is not None:
                match = index.match(s, match_rng)
                r, pairing = (match.real if match.same_users else r), match.reason
            if task == "quality":
                s, r = same_length(s, r)
            pair = [s, r] if side == "left" else [r, s]
            items.append(Item(task, name, iteration, [c.to_dict() for c in pair], synthetic_side=side,
                              aspects=list(config.aspects) if task == "quality" else [], pairing=pairing))
    return items


def _draw_synthetic(pool: list[Conversation], n: int, rng: random.Random, index: RealIndex | None
                    ) -> list[Conversation]:
    """n synthetic conversations of a stratum; for the Turing task those with a same-users real partner first."""
    if index is None:
        return _draw(pool, n, rng)
    matched = [c for c in pool if index.has_pair(c)]
    if len(matched) >= n:
        return _draw(matched, n, rng)
    return matched + _draw([c for c in pool if not index.has_pair(c)] or pool, n - len(matched), rng)


def same_length(a: Conversation, b: Conversation) -> tuple[Conversation, Conversation]:
    """Both conversations cut to the turns they both have: a 31-turn human conversation beside a 4-turn
    generated one gave the quality answer away by its length alone. (The Turing task keeps whole
    conversations, as the paper's did.)"""
    n = min(len(a.turns), len(b.turns))
    return tuple(dataclasses.replace(c, turns=list(c.turns[:n])) if len(c.turns) > n else c for c in (a, b))


def _faithfulness_items(count: int, by_stratum: dict[Stratum, list[Conversation]], real: list[Conversation],
                        rng: random.Random) -> list[Item]:
    groups: list[tuple[Stratum, list[Conversation]]] = [((REAL, None), real), *by_stratum.items()]
    items = []
    for ((name, iteration), pool), n in zip(groups, split_evenly(count, len(groups))):
        for conv in _draw(pool, n, rng):
            speakers = [s for s in ("user 1", "user 2") if conv.persona_of(s)] or ["user 1"]
            items.append(Item("faithfulness", name, iteration, [conv.to_dict()], speaker=rng.choice(speakers)))
    return items


def _attribute_items(count: int, by_stratum: dict[Stratum, list[Conversation]], real: list[Conversation],
                     rng: random.Random) -> list[Item]:
    """The paper's eight-option question, spread like the faithfulness items; distractors of the "other user"
    kind come from the same data set's other conversations."""
    groups: list[tuple[Stratum, list[Conversation]]] = [((REAL, None), real), *by_stratum.items()]
    items = []
    for ((name, iteration), pool), n in zip(groups, split_evenly(count, len(groups))):
        for conv in _draw(pool, n, rng):
            speakers = [s for s in ("user 1", "user 2") if conv.persona_of(s)]
            if not speakers:
                raise ConfigError(f"{name}: conversation {conv.id} has no persona: the attributes task needs "
                                  f"conversations with personas (drop the task or the data set)")
            speaker = rng.choice(speakers)
            others = [a for c in pool if c.id != conv.id for s in ("user 1", "user 2") for a in c.persona_of(s)]
            texts, kinds = attributes.build_options(conv, speaker, others, rng)
            items.append(Item("attributes", name, iteration, [conv.to_dict()], speaker=speaker, options=texts,
                              option_kinds=kinds))
    return items


def assign(items: list[Item], config: StudyConfig) -> dict[int, list[str]]:
    """Annotator index -> ordered item ids: `overlap` distinct judges per item, equal loads."""
    a, k = config.annotators, config.overlap
    order = list(items)
    random.Random(f"assign:{config.seed}").shuffle(order)
    queues: dict[int, list[str]] = {i: [] for i in range(a)}
    for i, item in enumerate(order):
        for r in range(k):
            queues[(i * k + r) % a].append(item.id)
    for i, queue in queues.items():
        random.Random(f"queue:{config.seed}:{i}").shuffle(queue)
    return queues


TURING_CHOICES = ("left", "right", "unsure")
QUALITY_CHOICES = ("left", "right", "tie", "unsure")  # unsure: cannot judge (not "equally good")
FAITHFULNESS_CHOICES = ("yes", "no")


def questions(item: Item) -> dict[str, tuple[str, ...]]:
    """The answer an item takes: question key -> allowed values. The store refuses anything else."""
    if item.task == "turing":
        return {"machine": TURING_CHOICES}
    if item.task == "quality":
        return {aspect: QUALITY_CHOICES for aspect in item.aspects}
    if item.task == "attributes":
        return attributes.questions(item.options)
    return {"contradicts": FAITHFULNESS_CHOICES}
