"""The `datasets.Features` of every config, declared once.

Columns with a fixed set of values are `ClassLabel`s (the Hub shows their names, and a typo cannot enter
them). Critic verdicts are typed from the Critic's own `Verdict` dataclass, so a field added there becomes
a column here without a second declaration that could drift from it.
"""

from __future__ import annotations

import datasets
from datasets.features.features import FeatureType, generate_from_arrow_type

from synthetic_persona_chat.generation.critic.base import Verdict
from synthetic_persona_chat.records import SPEAKERS

_STR = datasets.Value("string")
_STRINGS = datasets.Sequence(_STR)
SPEAKER = datasets.ClassLabel(names=list(SPEAKERS))
ORIGINS = ("seed", "generated")
ORIGIN = datasets.ClassLabel(names=list(ORIGINS))


def verdict_feature(cls: type = Verdict) -> dict[str, FeatureType]:
    """The Critic's own Arrow struct of a verdict (`Verdict.arrow_type`) as `datasets` features."""
    return dict(generate_from_arrow_type(cls.arrow_type()))


VERDICT = verdict_feature()
VERDICTS = datasets.List(VERDICT)

# The GitHub release's loading script (`user_1_persona`, `user_2_persona`, `utterances`).
SPC_FEATURES = datasets.Features({"user_1_persona": _STRINGS, "user_2_persona": _STRINGS, "utterances": _STRINGS})
# The Hub repo google/Synthetic-Persona-Chat: its CSVs' raw columns, one item per line.
RELEASE_FEATURES = datasets.Features({"user 1 personas": _STR, "user 2 personas": _STR,
                                      "Best Generated Conversation": _STR})
META = {"row": datasets.Value("int32"),  # row of the release CSV
        "pair_id": _STR,
        "speakers_inferred": datasets.Value("bool"),
        "unparsed_lines": _STRINGS,  # stage directions, kept
        "other": _STR}  # any other provenance field, as JSON
CONVERSATION_FEATURES = datasets.Features({
    "id": _STR,
    "split": _STR,
    "source": _STR,
    "iteration": datasets.Value("int32"),
    "user_1_persona": _STRINGS,
    "user_2_persona": _STRINGS,
    "turns": datasets.List({"speaker": SPEAKER, "text": _STR}),
    "generator": _STR,
    "critic_verdicts": VERDICTS,
    "pair_similarity": datasets.Value("float32"),
    "meta": META,
})
PERSONA_FEATURES = datasets.Features({
    "id": _STR,
    "text": _STR,
    "category": datasets.Value("int32"),  # cluster id from query induction (null for SPC release personas)
    "category_size": datasets.Value("int32"),
    "query": _STR,
    "origin": ORIGIN,
    "round": datasets.Value("int32"),  # bootstrapping round (0 = seed)
})
NUP_FEATURES = datasets.Features({
    "id": _STR,
    "conversation_id": _STR,
    "turn": datasets.Value("int32"),
    "speaker": SPEAKER,
    "persona": _STRINGS,
    "history": _STRINGS,
    "candidates": _STRINGS,
    "label": datasets.Value("int32"),
})
# Chat format for supervised fine-tuning: roles stay strings, which is what chat templates and TRL read.
MESSAGES_FEATURES = datasets.Features({
    "id": _STR,
    "conversation_id": _STR,
    "speaker": SPEAKER,  # whose perspective: the assistant
    "messages": datasets.List({"role": _STR, "content": _STR}),
    "critic_verdicts": VERDICTS,
})
# DPO pairs in TRL's conversational preference format (`preferences.py`): prompt / chosen / rejected messages.
_MESSAGES = datasets.List({"role": _STR, "content": _STR})
PREFERENCE_FEATURES = datasets.Features({
    "id": _STR,
    "pair_id": _STR,
    "iteration": datasets.Value("int32"),
    "prompt": _MESSAGES,
    "chosen": _MESSAGES,
    "rejected": _MESSAGES,
    "experts": _STRINGS,  # the quality experts that preferred `chosen` in a position-consistent comparison
    "margin": datasets.Value("int32"),  # experts for `chosen` minus experts for `rejected`
})
FEATURES = {"full": SPC_FEATURES, "persona-chat-compatible": SPC_FEATURES, "release": RELEASE_FEATURES,
            "conversations": CONVERSATION_FEATURES, "messages": MESSAGES_FEATURES, "personas": PERSONA_FEATURES,
            "nup": NUP_FEATURES, "preferences": PREFERENCE_FEATURES}
