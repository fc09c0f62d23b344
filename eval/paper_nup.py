"""The paper's published next-utterance-prediction (NUP) figures: a labelled reference column, never a target.

Source (read, not reconstructed): Jandaghi, Sheng, Bai, Pujara, Sidahmed, "Faithful Persona-based Conversational
Dataset Generation with Large Language Models", arXiv:2312.10007v1 (15 Dec 2023), §4.2, **Table 2** "Results of the
next utterance prediction experiment": column groups = the training set (Persona-Chat, Synthetic-Persona-Chat),
sub-columns "None" / "Persona" (personas given to the model or not); plain numbers = the Persona-Chat test split,
numbers in parentheses = the Synthetic-Persona-Chat test split (only reported for the models trained on SPC).
hit@1 is printed in percent there; it is stored here as a fraction, like ours.

Why it is shown beside our figures but not compared cell by cell (what differs from `--preset paper`):
- models: ParlAI's implementations (Miller et al., 2017) — "Transformer (Ranker)", a BERT-based encoder of the
  context and of each candidate, the most similar by dot product wins (Humeau et al., 2020), and an "IR
  Baseline" (tf-idf retrieval of the utterance following the most similar *training* utterance). Ours: a
  MiniLM bi-encoder fine-tuned with in-batch negatives, and a tf-idf ranker that retrieves nothing from a
  training set.
- candidates: the paper does not state how many candidates hit@1 is over (ParlAI's Persona-Chat task, whose
  implementations it used, ships 20 per example — an assumption, not the paper's statement); ours: 20 (1 + 19).
- context: the paper says "the context of the conversation"; ours (`--preset paper`): the whole history.
- persona: Table 2's "Persona" column does not say whose persona; its appendix Table 12 separates self / their /
  both. Ours: the responding speaker's persona ("self").
- its SPC training set is "a subset of SPC containing conversations among user pairs included in PC" (the
  Persona-Chat-compatible part, i.e. SPC's train split); the paper reports no Persona-Chat-trained model on the
  SPC test split and no SPC+Persona-Chat training.
- the same version's appendix Table 12 ("conditioned on different user personas", test split not stated)
  gives other numbers for the same models (e.g. Transformer (Ranker), Persona-Chat, no persona: 0.2513 there,
  14.24 in Table 2). We show Table 2, the main-text table whose test splits are stated. The ACL Findings 2024
  version was not checked.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TypedDict

from synthetic_persona_chat.jsontypes import JsonObject

SOURCE = ("Jandaghi et al., arXiv:2312.10007v1 (15 Dec 2023), §4.2 Table 2 (hit@1 in %, "
          "plain = Persona-Chat test, parentheses = Synthetic-Persona-Chat test)")
SOURCE_URL = "https://arxiv.org/abs/2312.10007v1"
REFERENCE_MODEL = "Transformer (Ranker)"  # the paper's ranker closest to our fine-tuned bi-encoder
COLUMN_LABEL = "paper (published, other models)"


@dataclass(frozen=True)
class PaperFigure:
    """One hit@1 cell of the paper's Table 2, in our train/test set names."""

    model: str
    train: str
    test: str
    persona: bool  # Table 2's "Persona" sub-column (True) or "None" (False)
    hits_at_1: float  # fraction (the paper prints percent)
    printed: str  # the number exactly as printed, for checking against the paper


def _f(model: str, train: str, test: str, persona: bool, printed: str) -> PaperFigure:
    return PaperFigure(model, train, test, persona, round(float(printed) / 100, 6), printed)


PC, SPC, PC_TEST, SPC_TEST = "Persona-Chat", "SPC", "Persona-Chat test", "SPC test"
# Table 2, hit@1 rows, as printed (percent). No Persona-Chat-trained figure on the SPC test split exists there.
PAPER_NUP_FIGURES: tuple[PaperFigure, ...] = (
    _f("IR Baseline", PC, PC_TEST, False, "18.69"), _f("IR Baseline", PC, PC_TEST, True, "36.86"),
    _f("IR Baseline", SPC, PC_TEST, False, "19.37"), _f("IR Baseline", SPC, SPC_TEST, False, "19.92"),
    _f("IR Baseline", SPC, PC_TEST, True, "39.6"), _f("IR Baseline", SPC, SPC_TEST, True, "26.23"),
    _f(REFERENCE_MODEL, PC, PC_TEST, False, "14.24"), _f(REFERENCE_MODEL, PC, PC_TEST, True, "19.21"),
    _f(REFERENCE_MODEL, SPC, PC_TEST, False, "9.71"), _f(REFERENCE_MODEL, SPC, SPC_TEST, False, "64.24"),
    _f(REFERENCE_MODEL, SPC, PC_TEST, True, "11.74"), _f(REFERENCE_MODEL, SPC, SPC_TEST, True, "68.82"),
)

# (train set, test set) -> hits@1 of the paper's Transformer (Ranker) given personas: the reference column for
# our fine-tuned rows (our preset gives the ranker the responding speaker's persona).
PAPER_NUP_REFERENCE: dict[tuple[str, str], float] = {
    (f.train, f.test): f.hits_at_1 for f in PAPER_NUP_FIGURES if f.model == REFERENCE_MODEL and f.persona}

PROTOCOL_NOTE = (
    f"{COLUMN_LABEL} column: {REFERENCE_MODEL} with personas, {SOURCE} ({SOURCE_URL}). Other models than ours "
    "(ParlAI's BERT-based Transformer Ranker, not our fine-tuned MiniLM bi-encoder); the paper does not state its "
    "candidate count (ours: 20), whose persona, or how much history; its SPC training set is the "
    "Persona-Chat-compatible part; it reports no Persona-Chat-trained model on the SPC test split (\"not in paper\"). "
    "For scale only, not a like-for-like comparison. The same paper's IR Baseline with personas (tf-idf retrieval "
    "from the training set, not our tf-idf ranker): "
    + ", ".join(f"{f.train} → {f.test} {f.hits_at_1:.3f}" for f in PAPER_NUP_FIGURES
                if f.model == "IR Baseline" and f.persona)
    + ". Its appendix Table 12 prints other values for the same models (test split not stated); see docs/eval.md")


def reference_cell(ranker: str, train: str, test: str) -> str:
    """The reference column's text for one row of our table: a value only beside fine-tuned rows."""
    if ranker != "fine-tuned":
        return "—"
    value = PAPER_NUP_REFERENCE.get((train, test))
    return f"{value:.3f}" if value is not None else "not in paper"


class PaperReferenceJson(TypedDict):
    """The published figures as nup.json and report.json carry them (`as_json`)."""

    source: str
    url: str
    reference_model: str
    label: str
    note: str
    figures: list[JsonObject]  # one `PaperFigure` each, field for field


def as_json() -> PaperReferenceJson:
    """The figures with their provenance, for nup.json / report.json."""
    return PaperReferenceJson(source=SOURCE, url=SOURCE_URL, reference_model=REFERENCE_MODEL, label=COLUMN_LABEL,
                              note=PROTOCOL_NOTE, figures=[asdict(f) for f in PAPER_NUP_FIGURES])
