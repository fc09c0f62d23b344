"""The model layer: LLMs, sentence embedder, contradiction checker, toxicity scorer."""

from .contradiction import (ContradictionChecker, calibration_of, contradicts, default_threshold,
                            load_contradiction_checker)
from .embedder import DEFAULT_EMBEDDER, Embedder
from .llm import DEFAULT_LLM, LLM, CachedLLM, Completion, GenerationParams, LLMError, load_llm
from .spec import ModelSpec
from .toxicity import DEFAULT_TOXICITY, ToxicityScorer, load_toxicity_scorer

__all__ = ["ContradictionChecker", "calibration_of", "contradicts", "default_threshold", "load_contradiction_checker", "DEFAULT_EMBEDDER",
           "Embedder", "DEFAULT_LLM", "LLM", "CachedLLM", "Completion", "GenerationParams", "LLMError",
           "load_llm", "ModelSpec", "DEFAULT_TOXICITY", "ToxicityScorer", "load_toxicity_scorer"]
