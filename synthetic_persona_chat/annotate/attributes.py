"""The paper's human faithfulness question: which of eight persona attributes can you infer about this speaker?

The paper (arXiv:2312.10007, human evaluation of faithfulness) shows a conversation without its personas and a
list of eight attributes: the speaker's own ones mixed with distractors, and asks which the conversation lets
you infer. A faithful conversation lets a reader pick its speaker's attributes and none of the distractors, so
the figure is *precision*: of the attributes picked, the share that are the speaker's. A yes/no "does it
contradict?" question measured only the absence of contradiction, not that the persona shows.

The options, why these:
- up to `TRUE_OPTIONS` (4) of the speaker's own attributes, sampled when they have more;
- distractors up to `OPTIONS` (8), alternating two kinds: a *negated* own attribute (the paper negates
  with an LLM; here the rule-based `models.nli_features.negate`, so a study needs no model to be created),
  which a reader should reject when the conversation is faithful, and an *other user's* attribute from
  another conversation of the same data set, which nothing in the conversation supports.
The order is shuffled with the study's seed and each option's kind is recorded in the item, so the results
never rely on the page. Picks are stored one question per option ("o0".."o7": "yes"/"no"), which the study
store validates like any other answer and the agreement measures count as one unit each.

Precision and recall get Wilson intervals over the picks (resp. the shown true options); picks from one item
are not independent, so read the interval as a lower bound on the uncertainty (as the other human figures).
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from synthetic_persona_chat.eval.figures import Estimate
from synthetic_persona_chat.eval.human_result import AttributeRate
from synthetic_persona_chat.eval.stats import proportion
from synthetic_persona_chat.models.nli_features import negate
from synthetic_persona_chat.records import Conversation

if TYPE_CHECKING:  # annotations only: the store imports the items, which import this module
    from .store import RecordedAnswer

OPTIONS = 8
TRUE_OPTIONS = 4
PERSONA, NEGATED, OTHER = "persona", "negated", "other user"
CHOICES = ("yes", "no")
QUESTION = "Which of these can you tell about {speaker} from the conversation? Tick every one that applies."


def option_key(i: int) -> str:
    return f"o{i}"


def build_options(conv: Conversation, speaker: str, others: list[str], rng: random.Random
                  ) -> tuple[list[str], list[str]]:
    """(texts, kinds), shuffled: the speaker's own attributes, then negated / other users' distractors."""
    own = list(conv.persona_of(speaker))
    shown = rng.sample(own, min(TRUE_OPTIONS, len(own)))
    taken = {a.lower() for a in own}
    negations = [negate(a) for a in rng.sample(own, len(own))]
    strangers = [a for a in dict.fromkeys(others) if a.lower() not in taken]
    rng.shuffle(strangers)
    options = [(a, PERSONA) for a in shown]
    pools = {NEGATED: negations, OTHER: strangers}
    kind = NEGATED
    while len(options) < OPTIONS and (pools[NEGATED] or pools[OTHER]):
        if not pools[kind]:
            kind = OTHER if kind == NEGATED else NEGATED
        text = pools[kind].pop(0)
        if text.lower() not in {t.lower() for t, _ in options}:
            options.append((text, kind))
        kind = OTHER if kind == NEGATED else NEGATED
    rng.shuffle(options)
    return [t for t, _ in options], [k for _, k in options]


def questions(options: list[str]) -> dict[str, tuple[str, ...]]:
    """One yes/no question per option: what the store accepts for an attributes item."""
    return {option_key(i): CHOICES for i in range(len(options))}


def outcome(item: Any, question: str, value: str) -> str:
    """What one option's answer means: the option's kind where it was ticked, else "not picked" (the exported
    `annotations` rows carry it, so a reader sees which kind each tick chose without the item)."""
    return item.option_kinds[int(question[1:])] if value == "yes" else "not picked"


def figures(answers: list[RecordedAnswer]) -> list[AttributeRate]:
    """Per (dataset, iteration): precision of the picks, recall of the speaker's attributes, and how often each
    distractor kind was picked; `answers` are the store's recorded answers (attributes items only are read)."""
    picks: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    judgements: dict[tuple, int] = defaultdict(int)
    for a in answers:
        item = a["item"]
        if item.task != "attributes":
            continue
        key = (item.dataset, item.iteration)
        judgements[key] += 1
        for i, kind in enumerate(item.option_kinds):
            counts = picks[key][kind]
            counts[0] += a["answer"].get(option_key(i)) == "yes"
            counts[1] += 1
    return [_row(key, judgements[key], picks[key]) for key in sorted(
        picks, key=lambda k: (k[0], k[1] is None, k[1] or 0))]


def _row(key: tuple, n: int, kinds: dict[str, list[int]]) -> AttributeRate:
    picked = sum(k[0] for k in kinds.values())
    true_picked, true_shown = kinds[PERSONA]
    return AttributeRate(dataset=key[0], iteration=key[1], judgements=n,
                         precision=Estimate.from_json(proportion(true_picked, picked, "selections")),
                         recall=Estimate.from_json(proportion(true_picked, true_shown, "options")),
                         negated_picked=Estimate.from_json(proportion(*kinds[NEGATED], "options")),
                         other_picked=Estimate.from_json(proportion(*kinds[OTHER], "options")))
