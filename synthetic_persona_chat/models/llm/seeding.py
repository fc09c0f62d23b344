"""Per-sample seeds that depend on the prompt, not on batch order.

A sample's seed comes from (run seed, prompt, sample index), so the same prompt
gives the same sample whether it runs alone, in a batch, after a resume or on a
Ray worker.
"""

from __future__ import annotations

import hashlib
import json


def sample_seed(seed: int, chat: list[dict[str, str]], index: int) -> int:
    payload = json.dumps([seed, chat, index], sort_keys=True, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(payload.encode("utf-8")).digest()[:4], "little") & 0x7FFFFFFF
