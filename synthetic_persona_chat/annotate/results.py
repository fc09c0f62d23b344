"""A study's answers as figures: the paper's losing rate per iteration, quality win rates, faithfulness,
agreement. The "Human evaluation" section of `spc eval report` renders them (`eval/human_report.py`).

Definitions (also written into human.json, so a reader of the numbers need not read this code):
- *losing rate* (the paper's): share of Turing judgements that name the synthetic conversation as the
  machine-written one; the synthetic dataset "loses" the pair. 0 = never caught. The other answers are
  *fooled* (the human conversation named) and *unsure*.
- *quality win rate* per aspect: share of judgements preferring the synthetic conversation; ties, losses
  and "cannot tell" (unsure) are reported beside it.
- *contradiction rate*: share of faithfulness judgements saying the speaker contradicts their persona,
  per dataset (the human-written one included, as a baseline).
- Intervals are 95% Wilson score intervals over judgements (eval/stats.py). Judgements of one item by
  `overlap` people are not independent, so read the interval as a lower bound on the uncertainty.
- Agreement: Fleiss' kappa (complete items) and Krippendorff's alpha (all answers) on the raw answers
  (left/right/unsure...), per task; quality pools aspects, each (item, aspect) one unit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from synthetic_persona_chat.eval.figures import Estimate
from synthetic_persona_chat.eval.human_report import HUMAN_JSON
from synthetic_persona_chat.eval.human_result import (AspectRate, Agreement, ContradictionRate,
                                                      HumanResult, TuringRate)
from synthetic_persona_chat.eval.same_users import SAME_USERS
from synthetic_persona_chat.eval.stats import proportion
from synthetic_persona_chat.json_output import write_json

from . import attributes
from .agreement import fleiss_kappa, krippendorff_alpha
from .store import RecordedAnswer, StudyStore

DEFINITIONS = {
    "losing_rate": "share of Turing judgements naming the synthetic conversation as machine-written (paper's losing rate)",
    "fooled_rate": "share of Turing judgements naming the human-written conversation as machine-written",
    "win_rate": "share of pairwise quality judgements preferring the synthetic conversation",
    "contradiction_rate": "share of faithfulness judgements saying the speaker contradicts their persona",
    "precision": "attributes task (the paper's eight options): share of picked attributes that are the speaker's own",
    "same_users": "Turing judgements of pairs showing the real conversation of the same two users",
    "ci": "95% Wilson score interval over judgements",
    "agreement": "Fleiss' kappa over items with all judgements in; Krippendorff's alpha (nominal) over all answers",
}


@dataclass(frozen=True)
class Judgement:
    """One (answer, question): the raw value and what it means for the synthetic side ("synthetic", "real",
    "tie", "unsure", or the value itself where the item has no synthetic side)."""

    item_id: str
    task: str
    question: str
    value: str
    outcome: str
    dataset: str | None
    iteration: int | None
    annotator: str


def judgements(answers: list[RecordedAnswer]) -> list[Judgement]:
    """One judgement per (answer, question), the side an answer names read as synthetic or real; a ticked
    attributes option reads as its kind ("persona", "negated", "other user"), an unticked one as "not picked"."""
    rows = []
    for a in answers:
        item = a["item"]
        for question, value in a["answer"].items():
            outcome = value
            if item.synthetic_side:
                other = "right" if item.synthetic_side == "left" else "left"
                outcome = {item.synthetic_side: "synthetic", other: "real"}.get(value, value)
            elif item.task == "attributes":
                outcome = attributes.outcome(item, question, value)
            rows.append(Judgement(item_id=item.id, task=item.task, question=question, value=value, outcome=outcome,
                                  dataset=item.dataset, iteration=item.iteration, annotator=a["annotator"]))
    return rows


def _rate(rows: list[Judgement], outcome: str) -> Estimate:
    return Estimate.from_json(proportion(sum(r.outcome == outcome for r in rows), len(rows), "judgements"))


def _by(rows: list[Judgement], *keys: str) -> dict[tuple, list[Judgement]]:
    out: dict[tuple, list[Judgement]] = defaultdict(list)
    for r in rows:
        out[tuple(getattr(r, k) for k in keys)].append(r)
    return dict(sorted(out.items(), key=lambda kv: tuple((v is None, v if v is not None else 0) for v in kv[0])))


def _agreement(rows: list[Judgement], overlap: int) -> Agreement:
    ratings = [((r.item_id, r.question), r.value) for r in rows]
    units = {u for u, _ in ratings}
    return Agreement(fleiss_kappa=fleiss_kappa(ratings, raters=overlap), krippendorff_alpha=krippendorff_alpha(ratings),
                     units=len(units), judgements=len(ratings))


def compute(store: StudyStore) -> HumanResult:
    """Every figure of the study, from the answers recorded so far."""
    config = store.config()
    answers = store.answers()
    rows = judgements(answers)
    task = {t: [r for r in rows if r.task == t] for t in ("turing", "quality", "faithfulness", "attributes")}
    same = {a["item"].id for a in answers if a["item"].pairing == SAME_USERS}
    return HumanResult(
        study=config.name, config=config.to_dict(), definitions=dict(DEFINITIONS),
        answers=len({(r.item_id, r.annotator) for r in rows}),
        expected_answers=config.annotators * config.items_per_annotator, items=len(store.items()),
        turing=[TuringRate(dataset=d, iteration=it, judgements=len(rs), losing_rate=_rate(rs, "synthetic"),
                           fooled_rate=_rate(rs, "real"), unsure_rate=_rate(rs, "unsure"),
                           same_users=sum(r.item_id in same for r in rs))
                for (d, it), rs in _by(task["turing"], "dataset", "iteration").items()],
        quality=[AspectRate(aspect=a, judgements=len(rs), win_rate=_rate(rs, "synthetic"), tie_rate=_rate(rs, "tie"),
                            lose_rate=_rate(rs, "real"), unsure_rate=_rate(rs, "unsure"))
                 for (a,), rs in _by(task["quality"], "question").items()],
        faithfulness=[ContradictionRate(dataset=d, iteration=it, judgements=len(rs),
                                        contradiction_rate=_rate(rs, "yes"))
                      for (d, it), rs in _by(task["faithfulness"], "dataset", "iteration").items()],
        agreement={t: _agreement(rs, config.overlap) for t, rs in task.items() if rs},
        attributes=attributes.figures(answers) or None)


def write_results(store: StudyStore, out_dir: str | Path) -> Path:
    """OUT/human.json, which `spc eval report OUT` turns into its "Human evaluation" section."""
    return write_json(Path(out_dir) / HUMAN_JSON, compute(store).to_json())
