"""Does sentence B contradict sentence A? Three checkers, one calibration path.

- `minilm-polarity` (offline default): bundled MiniLM relatedness x polarity/number rules, logistic
  weights trained on synthetic pairs (contradiction_polarity.py). No NLI model ships on PyPI.
- `llm-judge`: the configured LLM asked "do they contradict?", scored by P(yes) vs P(no) of its next
  token where the backend exposes logits (transformers), else by its greedy answer.
- `cross-encoder:MODEL`: an NLI cross-encoder for users with the network
  (e.g. `cross-encoder:cross-encoder/nli-deberta-v3-base`).

A raw score is only meaningful once measured: `spc critic calibrate` measures a checker on labelled
pairs; the default checkers' measured calibration ships as `contradiction_calibration.json`, and
`calibration_of` / `default_threshold` expose it (a `calibration: PATH` option loads a user's own).
Which checker ran, and how good it measured, is recorded by `describe()`.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..jsontypes import JsonObject
from ..tasks import ask, render_all
from ..tasks.contradiction_judge import FEWSHOT_TEMPLATE, ContradictionJudge
from .llm import LLM, GenerationParams, load_llm
from .bundled import DEFAULT_NLI
from .calibration_record import Calibration
from .contradiction_polarity import PolarityNLI
from .spec import ModelSpec


class ContradictionChecker(Protocol):
    kind: str

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        """Probability-like score in [0, 1] that each hypothesis contradicts its premise."""
        ...

    def describe(self) -> JsonObject:
        ...


def contradicts(checker: ContradictionChecker, premises: list[str], hypotheses: list[str],
                threshold: float | None = None) -> list[bool]:
    """Verdicts at `threshold`, or at the checker's calibrated threshold when None."""
    cut = default_threshold(checker) if threshold is None else threshold
    return [bool(s > cut) for s in checker.scores(premises, hypotheses)]


class CrossEncoderNLI:
    """sentence-transformers CrossEncoder trained on NLI; reads the label order from its config."""

    kind = "cross-encoder"

    def __init__(self, model: str, device: str | None = None, batch_size: int = 32) -> None:
        from sentence_transformers import CrossEncoder

        self.model = model
        self._ce = CrossEncoder(model, device=device)
        self.batch_size = batch_size
        id2label = getattr(self._ce.model.config, "id2label", {}) or {}
        labels = {int(i): str(l).lower() for i, l in id2label.items()}
        matches = [i for i, l in labels.items() if l.startswith("contradict")]
        # sentence-transformers' NLI cross-encoders order labels (contradiction, entailment, neutral).
        self.contradiction_index = matches[0] if matches else 0
        self.calibration: JsonObject | None = None  # the record as written (calibration_record.Calibration reads it)

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        if not premises:
            return np.zeros(0, dtype=np.float32)
        logits = np.asarray(self._ce.predict(list(zip(premises, hypotheses)),
                                             batch_size=self.batch_size, apply_softmax=False))
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return probs[:, self.contradiction_index].astype(np.float32)

    def describe(self) -> JsonObject:
        info: JsonObject = {"kind": self.kind, "model": self.model}
        if getattr(self, "calibration", None):
            info["calibration"] = self.calibration
        return info


class LLMJudgeNLI:
    """An LLM judge; `scoring="logprob"` gives P(yes)/(P(yes)+P(no)) from one forward pass per pair.

    `"greedy"` (any backend) asks whether both can be true and reads the first word: "no" scores 1,
    "yes" 0, anything else 0.5 (counted in `unparsed`). `"auto"` takes logprob where the backend
    exposes next-token logits (transformers), greedy elsewhere (OpenAI-compatible servers).
    """

    kind = "llm-judge"

    def __init__(self, llm: LLM, max_tokens: int = 4, scoring: str = "auto") -> None:
        if scoring not in ("auto", "logprob", "greedy"):
            raise ValueError(f"llm-judge scoring must be auto, logprob or greedy, got {scoring!r}")
        self.llm = llm
        self._logits = _logprob_backend(llm)
        if scoring == "logprob" and self._logits is None:
            raise ValueError(f"llm-judge scoring=logprob needs a backend with next-token logits "
                             f"(transformers), not {llm.backend}")
        self.scoring = "logprob" if scoring == "auto" and self._logits is not None else scoring
        self.scoring = "greedy" if self.scoring == "auto" else self.scoring
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0, top_k=1, n=1)
        self.unparsed = 0
        self.calibration: JsonObject | None = None  # the record as written (calibration_record.Calibration reads it)

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        if not premises:
            return np.zeros(0, dtype=np.float32)
        rows = [{"premise": p, "hypothesis": h} for p, h in zip(premises, hypotheses)]
        if self.scoring == "logprob":
            chats = render_all(ContradictionJudge(FEWSHOT_TEMPLATE), rows)
            lp = self._logits.next_token_logprobs(chats, ["yes", "no", "Yes", "No", " yes", " no"])
            yes, no = np.logaddexp.reduce(lp[:, 0::2], axis=1), np.logaddexp.reduce(lp[:, 1::2], axis=1)
            return (1 / (1 + np.exp(no - yes))).astype(np.float32)
        values = [a.value for a in ask(self.llm, ContradictionJudge(), rows, self.params)]
        self.unparsed += sum(v is None for v in values)
        return np.array([0.5 if v is None else v for v in values], dtype=np.float32)

    def describe(self) -> JsonObject:
        info = {"kind": self.kind, "scoring": self.scoring, "judge": self.llm.describe()}
        if self.calibration:
            info["calibration"] = self.calibration
        return info


def _logprob_backend(llm: LLM) -> Any:
    """The model that can give next-token log-probabilities, looking through a run's answer cache."""
    for candidate in (llm, getattr(llm, "inner", None)):
        if candidate is not None and callable(getattr(candidate, "next_token_logprobs", None)):
            return candidate
    return None


DEFAULT_CHECKER = DEFAULT_NLI
CALIBRATION_FILE = "contradiction_calibration.json"


def needs_llm(spec: "str | JsonObject | None") -> bool:
    """Only the LLM judge needs the configured LLM loaded."""
    return bool(spec) and ModelSpec.parse(spec).backend == "llm-judge"


def load_contradiction_checker(spec: "str | JsonObject | None", llm: LLM | None = None,
                               vector_cache: str | Path | None = None) -> ContradictionChecker:
    """`minilm-polarity` (or nothing), `llm-judge` on `llm`, or `cross-encoder:MODEL`.

    Option `calibration: PATH` (dict spec) attaches a `spc critic calibrate --out` file; otherwise
    the shipped calibration of this checker, if one was measured. `minilm-polarity` also takes
    `precision: auto|fp32|bf16` and `encoder: torch|onnx`, and keeps its sentence vectors in `vector_cache` (a file) when given.
    """
    s = ModelSpec.parse(spec or DEFAULT_CHECKER)
    options = dict(s.options)
    calibration_path = options.pop("calibration", None)
    checker: Any
    if s.backend in ("cross-encoder", "nli"):
        checker = CrossEncoderNLI(s.model, **options)
    elif s.backend == "minilm-polarity":
        options.setdefault("cache_path", vector_cache)
        checker = PolarityNLI(weights=options.pop("weights", None) or s.model or None, **options)
    elif s.backend == "llm-judge":
        if llm is None:
            raise ValueError("the llm-judge contradiction checker needs an LLM")
        checker = LLMJudgeNLI(llm, **options)
    else:
        raise ValueError(f"unknown contradiction checker {spec!r}; use minilm-polarity, llm-judge "
                         "or cross-encoder:MODEL")
    checker.calibration = read_calibration(calibration_path) if calibration_path \
        else shipped_calibration(checker_key(checker))
    return checker


def checker_from_config(models: Any) -> ContradictionChecker:
    """The checker of a `ModelsConfig`, loading the LLM only when the judge needs it."""
    llm = None
    if needs_llm(models.nli):
        llm = load_llm(models.llm)
    return load_contradiction_checker(models.nli, llm=llm)


def checker_key(checker: Any) -> str:
    """Which shipped calibration belongs to a checker: its kind, scoring and model."""
    if isinstance(checker, LLMJudgeNLI):
        judge = checker.llm.describe()
        return f"llm-judge/{checker.scoring}:{judge.get('backend')}:{judge.get('model')}"
    if isinstance(checker, CrossEncoderNLI):
        return f"cross-encoder:{checker.model}"
    return str(getattr(checker, "calibration_key", None) or getattr(checker, "kind", type(checker).__name__))


def shipped_calibrations() -> dict[str, JsonObject]:
    """Every calibration measured for this release, keyed by `checker_key`."""
    path = resources.files("synthetic_persona_chat.models") / CALIBRATION_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def shipped_calibration(key: str) -> JsonObject | None:
    return shipped_calibrations().get(key)


def read_calibration(path: str | Path) -> JsonObject:
    """A `spc critic calibrate --out` file, checked for the fields a threshold needs."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a calibration file (not a JSON object); "
                         "write one with `spc critic calibrate --labels FILE --out PATH`")
    cal = Calibration.from_json(data)
    missing = [k for k in ("threshold", "auroc", "f1") if getattr(cal, k) is None]
    if missing:
        raise ValueError(f"{path} is not a calibration file (missing {', '.join(missing)}); "
                         "write one with `spc critic calibrate --labels FILE --out PATH`")
    return {k: v for k, v in data.items() if k != "checker"}  # as written; who measured it is not the loader's


def calibration_of(checker: Any) -> JsonObject | None:
    """The checker's measured threshold, AUROC, F1, precision, recall, n and source, or None."""
    return getattr(checker, "calibration", None) or shipped_calibration(checker_key(checker))


def default_threshold(checker: Any) -> float:
    """The calibrated threshold when one was measured, else 0.5 (an uncalibrated guess)."""
    cal = calibration_of(checker)
    threshold = Calibration.from_json(cal).threshold if cal else None
    return float(threshold) if threshold is not None else 0.5

