"""Persona coverage: how closely each persona attribute is said by its speaker (one measure, two users).

An attribute counts as *expressed* when some utterance of its speaker has embedding cosine >= a
threshold with it (0.5 with all-MiniLM-L6-v2: on 20 SPC test conversations 39% of a speaker's own
attributes pass it vs 9% of a mismatched persona's). The eval's persona-coverage figure
(`eval/quality.py`) and the Critic's persona-expression gate (`generation/critic/expression.py`) both
call `attribute_similarities`, so the gate a winner passes is the very figure the report prints.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

Group = tuple[Sequence[str], Sequence[str]]  # (a speaker's attributes, what that speaker said)


def attribute_similarities(groups: Sequence[Group], embedder: Any) -> list[np.ndarray]:
    """Per group, each attribute's best cosine over its speaker's utterances (0.0 when the speaker said nothing).

    Every distinct text of all groups is embedded once, in one `embedder.encode` call.
    """
    texts = list(dict.fromkeys(t for attrs, said in groups for t in (*attrs, *said)))
    if not texts:
        return [np.zeros(0, dtype=np.float32) for _ in groups]
    index = {t: i for i, t in enumerate(texts)}
    emb = np.asarray(embedder.encode(texts), dtype=np.float32)
    out = []
    for attrs, said in groups:
        if not attrs or not said:
            out.append(np.zeros(len(attrs), dtype=np.float32))
            continue
        sims = emb[[index[a] for a in attrs]] @ emb[[index[u] for u in said]].T
        out.append(sims.max(axis=1).astype(np.float32))
    return out


def speaker_groups(personas: dict[str, Sequence[str]], turns: Sequence[Any]) -> list[tuple[str, Group]]:
    """(speaker, (attributes, utterances)) for each speaker with attributes; turns are dicts or Turn objects."""
    out = []
    for speaker, attrs in personas.items():
        if attrs:
            said = [_text(t) for t in turns if _speaker(t) == speaker]
            out.append((speaker, (list(attrs), said)))
    return out


def _text(turn: Any) -> str:
    return turn["text"] if isinstance(turn, dict) else turn.text


def _speaker(turn: Any) -> str:
    return turn["speaker"] if isinstance(turn, dict) else turn.speaker
