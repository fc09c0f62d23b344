"""Config strings for models: "backend:model[@url]" or a dict with `backend`, `model` and options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelSpec:
    backend: str
    model: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: "str | dict[str, Any] | ModelSpec") -> "ModelSpec":
        """`"openai:llama@http://127.0.0.1:8000/v1"` -> backend openai, model llama, base_url option."""
        if isinstance(spec, ModelSpec):
            return spec
        if isinstance(spec, dict):
            opts = dict(spec)
            backend = opts.pop("backend", None)
            if not backend:
                raise ValueError(f"model config {spec!r} needs a 'backend'")
            return cls(backend=str(backend), model=str(opts.pop("model", "")), options=opts)
        backend, _, model = str(spec).partition(":")
        options: dict[str, Any] = {}
        if "@" in model and backend == "openai":
            model, _, options["base_url"] = model.partition("@")
        return cls(backend=backend.strip(), model=model.strip(), options=options)

    def __str__(self) -> str:
        return f"{self.backend}:{self.model}" if self.model else self.backend
