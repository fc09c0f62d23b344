"""Result files as standard JSON: NaN and infinity become null.

A leaf module (it imports nothing of ours): the eval reports, the annotation results and the commands that
write them all need the same writer, and none of them should import another's layer to get it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> Path:
    """Write `data` to `path` (parents made), indented, UTF-8, non-finite floats as null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(finite(data), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def finite(obj: Any) -> Any:
    """NaN/inf -> null, so the JSON is standard (other tools reject bare NaN)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    return obj
