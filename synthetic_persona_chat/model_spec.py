"""Model specs of the config's `models` section: "backend:model[@url]" or a mapping with `backend`,
`model` and options, parsed and validated when the config is loaded.

Why typed and validated here: a misspelt backend or option used to surface only when the model loaded,
minutes into a run (or never, for an option a backend silently ignored). `ROLE_BACKENDS` is the one list
of what each role accepts; the config refuses anything else at load time, naming the field, and
`tests/test_model_spec.py` checks the option names against the backends' constructors so the list
cannot drift from the code. A leaf module: the config layer imports it without loading any backend.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .jsontypes import JsonObject


class ModelSpecError(UsageError, ValueError):
    """A model spec names an unknown backend or option, or lacks a model the backend needs: a config error
    (exit 2); still a ValueError for callers that validate specs built in code."""


@dataclass(frozen=True)
class Backend:
    """What one backend of a role accepts. `open_options`: extra options go on to a library (the
    transformers/llama.cpp loaders take their own keyword arguments), so only the named ones are checked."""

    names: tuple[str, ...]  # the spellings accepted; the first is the canonical one
    options: tuple[str, ...] = ()
    needs_model: bool = False
    open_options: bool = False
    usage: str = ""  # how to write it, for the error message


_CALIBRATION = ("calibration",)  # a `spc critic calibrate --out` file, for the contradiction checkers
ROLE_BACKENDS: dict[str, tuple[Backend, ...]] = {
    "llm": (
        Backend(("transformers", "hf"), ("device", "dtype", "batch_size", "gguf_file", "prefix_sharing",
                                         "generate_options", "quantize", "batch_prefix"), open_options=True,
                usage="transformers:MODEL_ID_OR_PATH"),
        Backend(("llama-cpp", "llama_cpp", "llamacpp"), ("n_ctx", "n_threads"), open_options=True,
                usage="llama-cpp[:PATH.gguf]"),
        Backend(("openai",), ("base_url", "api_key", "api_key_env", "concurrency", "max_retries", "timeout",
                              "backoff", "send_top_k", "client", "max_retry_after", "max_response_bytes", "guided"),
                needs_model=True, usage="openai:MODEL@BASE_URL"),
    ),
    "nli": (
        Backend(("minilm-polarity",), ("weights", "precision", "encoder", "workers", "clauses", "cache_path")
                + _CALIBRATION, usage="minilm-polarity"),
        Backend(("llm-judge",), ("max_tokens", "scoring") + _CALIBRATION, usage="llm-judge"),
        Backend(("cross-encoder", "nli"), ("device", "batch_size") + _CALIBRATION, needs_model=True,
                usage="cross-encoder:MODEL"),
    ),
    "toxicity": (
        Backend(("toxicity-ensemble",), ("members",), usage="toxicity-ensemble"),
        Backend(("minilm-lora-toxicity",), ("adapter", "batch_size"),
                usage="minilm-lora-toxicity[:ADAPTER_FOLDER|mined]"),
        Backend(("minilm-toxicity",), ("head",), usage="minilm-toxicity[:HEAD.json]"),
        Backend(("profanity-check",), usage="profanity-check"),
        Backend(("transformers",), ("toxic_label", "device", "batch_size"), needs_model=True,
                usage="transformers:MODEL"),
    ),
}


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """One model of a role. `raw`: the config value it was read from, written back unchanged (a run's
    config.yaml keeps the user's spelling and key order); a spec built in code writes its canonical form."""

    backend: str
    model: str = ""
    options: JsonObject = field(default_factory=dict)  # backend options as the config gives them
    raw: Any = field(default=None, repr=False)

    @classmethod
    def parse(cls, spec: "str | JsonObject | ModelSpec") -> "ModelSpec":
        """`"openai:llama@http://127.0.0.1:8000/v1"` -> backend openai, model llama, base_url option."""
        if isinstance(spec, ModelSpec):
            return spec
        if isinstance(spec, dict):
            opts = dict(spec)
            backend = opts.pop("backend", None)
            if not backend:
                raise ModelSpecError(f"model config {spec!r} needs a 'backend'")
            return cls(backend=str(backend), model=str(opts.pop("model", "")), options=opts,
                       raw=copy.deepcopy(spec))
        backend, _, model = str(spec).partition(":")
        options: JsonObject = {}
        if "@" in model and backend == "openai":
            model, _, options["base_url"] = model.partition("@")
        return cls(backend=backend.strip(), model=model.strip(), options=options, raw=spec)

    @classmethod
    def for_role(cls, role: str, spec: "str | JsonObject | ModelSpec") -> "ModelSpec":
        """`spec` parsed and checked against what `role` accepts (`ROLE_BACKENDS`): a `ModelSpecError`
        says what is wrong and what would be right."""
        if not isinstance(spec, (str, dict, ModelSpec)):
            raise ModelSpecError(f"expected a string 'backend:model' or a mapping with backend, model and "
                                 f"options, got {type(spec).__name__}")
        parsed = cls.parse(spec)
        backend = backend_of(role, parsed.backend)
        if backend.needs_model and not parsed.model:
            raise ModelSpecError(f"backend {parsed.backend!r} needs a model: write {backend.usage}")
        unknown = sorted(set(parsed.options) - set(backend.options))
        if unknown and not backend.open_options:
            known = ", ".join(backend.options) or "none"
            raise ModelSpecError(f"unknown option(s) {', '.join(unknown)} for backend {parsed.backend!r}; "
                                 f"known: {known}")
        return parsed

    def to_config(self) -> "str | JsonObject":
        """The config value of this spec: what it was read from, else a string when that says it all."""
        if self.raw is not None:
            return copy.deepcopy(self.raw)
        if not self.options or (self.backend == "openai" and set(self.options) == {"base_url"}):
            url = self.options.get("base_url")
            return f"{self}@{url}" if url else str(self)
        return {"backend": self.backend, **({"model": self.model} if self.model else {}),
                **copy.deepcopy(self.options)}

    def __eq__(self, other: object) -> bool:
        """Specs are equal when backend, model and options are; a config string or mapping compares
        as the spec it denotes (`config.models.nli == "llm-judge"`)."""
        if isinstance(other, (str, dict)):
            try:
                other = ModelSpec.parse(other)
            except ModelSpecError:
                return False
        if not isinstance(other, ModelSpec):
            return NotImplemented
        return (self.backend, self.model, self.options) == (other.backend, other.model, other.options)

    __hash__ = None  # type: ignore[assignment]  # the options are a mutable mapping

    def __str__(self) -> str:
        return f"{self.backend}:{self.model}" if self.model else self.backend


def backend_of(role: str, name: str) -> Backend:
    """The backend `name` of `role`, or a `ModelSpecError` listing the role's backends."""
    for backend in ROLE_BACKENDS[role]:
        if name in backend.names:
            return backend
    choices = ", ".join(b.usage for b in ROLE_BACKENDS[role])
    raise ModelSpecError(f"unknown {_ROLE_NOUNS[role]} backend {name!r}; use {choices}")


_ROLE_NOUNS = {"llm": "LLM", "nli": "contradiction checker", "toxicity": "toxicity scorer"}
