"""Where spc keeps what outlives a run: the user cache directory.

A leaf module (it imports nothing of ours) so that any layer — the model backends, the run context, the
eval commands — can find the cache without importing the layer that loads models.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """Shared across runs (embeddings, checker vectors, ONNX exports): $SPC_CACHE_DIR or ~/.cache/synthetic_persona_chat."""
    return Path(os.environ.get("SPC_CACHE_DIR") or Path.home() / ".cache" / "synthetic_persona_chat")
