"""What a stage needs to run: the config, the run directory and lazily loaded models.

Models load on first use (a stage that needs no LLM never loads one), are
recorded in `models.json`, and the LLM is wrapped in the run's answer cache so
a resumed run never pays twice for the same call.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from .config import Config
from .models import (CachedLLM, ContradictionChecker, Embedder, ToxicityScorer, load_contradiction_checker,
                     load_llm, load_toxicity_scorer)
from .models.contradiction import needs_llm
from .paths import user_cache_dir
from .rundir import RunDir, RunDirError

log = logging.getLogger(__name__)


class RunContext:
    def __init__(self, config: Config, run: RunDir) -> None:
        self.config, self.run = config, run

    @cached_property
    def llm(self) -> CachedLLM:
        llm = CachedLLM(load_llm(self.config.models.llm, self.config.models.max_concurrency), self.run.llm_cache_path)
        self.run.record_model("llm", llm.describe())
        return llm

    @cached_property
    def embedder(self) -> Embedder:
        emb = Embedder(self.config.models.embedder, cache_path=user_cache_dir() / "embeddings.sqlite")
        self.run.record_model("embedder", emb.describe())
        return emb

    @cached_property
    def nli(self) -> ContradictionChecker:
        spec = self.config.models.nli
        checker = load_contradiction_checker(spec, llm=self.llm if needs_llm(spec) else None,
                                             vector_cache=user_cache_dir() / "checker-vectors.sqlite")
        self.run.record_model("nli", checker.describe())
        return checker

    @cached_property
    def toxicity(self) -> ToxicityScorer:
        scorer = load_toxicity_scorer(self.config.models.toxicity, vector_cache=user_cache_dir() / "embeddings.sqlite")
        self.run.record_model("toxicity", scorer.describe())
        return scorer

    def usage(self) -> dict[str, Any]:
        """Token usage so far; only calls that really reached the model count."""
        if "llm" not in self.__dict__:
            return {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cache_hits": 0}
        return {**self.llm.usage.to_dict(), "cache_hits": self.llm.hits}

    def close(self) -> None:
        """Record the checker again with what it did (its vector cache's hit rate), then let models go.

        Runs in `finally` blocks: a run directory that cannot be written (full disk) must not hide the
        error that stopped the run, so that record is only logged as lost."""
        if "nli" in self.__dict__:
            try:
                self.run.record_model("nli", self.nli.describe())
            except (OSError, RunDirError) as exc:
                log.warning("models.json: the checker's final record was not written (%s)", exc)
        if "llm" in self.__dict__:
            self.llm.close()
