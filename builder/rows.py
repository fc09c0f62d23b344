"""Records -> rows of each config. Pure functions of a `Source`: the builder and `export` share them.

Every function returns plain dicts shaped like `features.FEATURES[config]`; `ClassLabel` columns hold
their names (`datasets` encodes them).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, TypedDict, Union, cast

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.records import Conversation, PersonaAttribute

from .features import META, PERSONA_FEATURES, VERDICT
from .messages import MessagesRow, message_rows
from .nup import NUPExample, nup_examples
from .preferences import SPLIT, PreferenceRow, preference_rows
from .sources import PERSONA_CHAT_SPLITS, AttributeRow, Source, SourceError, public_name

# the release's speaker tag per speaker, as its CSVs write it
_TAGS = {"user 1": "User 1", "user 2": "User 2"}


class SpcRow(TypedDict):
    """A `full` / `persona-chat-compatible` row (`features.SPC_FEATURES`): the GitHub release loader's."""

    user_1_persona: list[str]
    user_2_persona: list[str]
    utterances: list[str]


class ConversationMeta(TypedDict):
    """A conversation's provenance (`features.META`): the typed fields, and any other as one JSON string."""

    row: int | None
    pair_id: str | None
    speakers_inferred: bool | None
    unparsed_lines: list[str] | None
    other: str | None


class ConversationRow(TypedDict):
    """A `conversations` row (`features.CONVERSATION_FEATURES`)."""

    id: str
    split: str
    source: str
    iteration: int | None
    user_1_persona: list[str]
    user_2_persona: list[str]
    turns: list[dict[str, str]]  # {"speaker", "text"}
    generator: str | None
    critic_verdicts: list[JsonObject]  # one value per `Verdict` field
    pair_similarity: float | None
    meta: ConversationMeta


class MessagesConfigRow(MessagesRow):
    """A `messages` row (`features.MESSAGES_FEATURES`): one speaker's chat and the conversation's verdicts."""

    critic_verdicts: list[JsonObject]


# A row of any config, as the builder hands it to Arrow (`release` rows are the CSV's own columns).
ConfigRow = Union[SpcRow, dict[str, str], ConversationRow, MessagesConfigRow, AttributeRow, NUPExample, PreferenceRow]


def spc_row(conv: Conversation) -> SpcRow:
    """The GitHub release loader's row."""
    return SpcRow(user_1_persona=list(conv.user1_persona), user_2_persona=list(conv.user2_persona),
                  utterances=conv.utterances)


def release_row(conv: Conversation) -> dict[str, str]:
    """A conversation written the way the Hub repo's CSVs hold one (used for runs; the release is copied verbatim)."""
    return {"user 1 personas": "\n".join(conv.user1_persona), "user 2 personas": "\n".join(conv.user2_persona),
            "Best Generated Conversation": "\n".join(f"{_TAGS[t.speaker]}: {t.text}" for t in conv.turns)}


def verdict_rows(verdicts: Any) -> list[JsonObject]:
    """The Critic's verdicts (a list of `Verdict.to_dict()`), typed: one value per `Verdict` field."""
    if not verdicts:
        return []
    if not isinstance(verdicts, list) or not all(isinstance(v, dict) for v in verdicts):
        raise SourceError(f"critic verdicts must be a list of Verdict records, got {type(verdicts).__name__}: "
                          f"{str(verdicts)[:120]}")
    return [{k: v.get(k) for k in VERDICT} for v in verdicts]


def conversation_row(conv: Conversation, split: str) -> ConversationRow:
    meta = dict(conv.meta)
    generator = meta.pop("generator", None)
    verdicts = meta.pop("verdicts", None)
    similarity = meta.pop("pair_similarity", None)
    typed = {k: meta.pop(k, None) for k in META if k != "other"}
    other = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str) if meta else None
    return ConversationRow(id=conv.id, split=split, source=conv.source, iteration=conv.iteration,
                           user_1_persona=list(conv.user1_persona), user_2_persona=list(conv.user2_persona),
                           turns=[{"speaker": t.speaker, "text": t.text} for t in conv.turns],
                           generator=None if generator is None else str(generator),
                           critic_verdicts=verdict_rows(verdicts),
                           pair_similarity=None if similarity is None else float(similarity),
                           meta=cast(ConversationMeta, {**typed, "other": other}))


def persona_origin_split(source: Source) -> str:
    """The `personas` config's one split, named for where its attributes come from, so nobody trains on
    test personas believing they are a training set."""
    if source.attributes is not None:
        return "from_run"
    return "from_" + "_".join(source.conversations)


def persona_rows(source: Source) -> list[AttributeRow]:
    """A run's attribute pool; for the release, each distinct persona sentence once (seed or generated part)."""
    keys = PERSONA_FEATURES.keys()
    if source.attributes is not None:
        return [cast(AttributeRow, {k: row.get(k) for k in keys}) for row in source.attributes]
    if source.kind == "run":
        raise SourceError(f"{public_name(source)}: expand/attributes.parquet is missing: the 'personas' config needs "
                          f"the user generation stage; run it on this run directory, or skip this config")
    seen, rows = set(), []
    for split, conversations in source.conversations.items():
        origin = "generated" if split == "synthetic" else "seed"
        for conv in conversations:
            for text in (*conv.user1_persona, *conv.user2_persona):
                if text not in seen:
                    seen.add(text)
                    attr = PersonaAttribute(text=text, origin=origin).to_dict()
                    row = {**{k: None for k in keys}, **{k: attr[k] for k in keys if k in attr}}
                    rows.append(cast(AttributeRow, row))
    return rows


def config_rows(config: Any, source: Source, split: str) -> Iterable[ConfigRow]:
    """The rows of one split of one config (`config` is a `SyntheticPersonaChatConfig`)."""
    name = config.name
    if name == "personas":
        return persona_rows(source)
    if name == "preferences":
        return preference_rows(source.candidates or [])
    if name == "release" and source.release is not None:
        return source.release[split]
    conversations = source.conversations[split]
    if name == "nup":
        return nup_examples(conversations, seed=config.nup_seed, num_candidates=config.num_candidates)
    if name == "conversations":
        return (conversation_row(c, split) for c in conversations)
    if name == "messages":
        return _messages(conversations, config.partner_persona)
    if name == "release":
        return (release_row(c) for c in conversations)
    return (spc_row(c) for c in conversations)


def _messages(conversations: list[Conversation], partner: bool) -> Iterator[MessagesConfigRow]:
    for conv in conversations:
        verdicts = verdict_rows(conv.meta.get("verdicts"))
        for row in message_rows(conv, partner_persona=partner):
            yield MessagesConfigRow(**row, critic_verdicts=verdicts)


def preference_split(source: Source) -> str:
    """`preferences` needs the Critic's recorded votes: a run with candidates.parquet and at least one pair."""
    if source.candidates is None:
        raise SourceError(f"{public_name(source)} holds no Critic votes (a run's conversations/candidates.parquet): "
                          f"the 'preferences' config is built from a generated run only")
    if next(iter(preference_rows(source.candidates)), None) is None:
        raise SourceError(f"{public_name(source)}: no Critic vote separated a winner from another candidate "
                          f"(no filter dropped a readable candidate and no pairwise vote was position-"
                          f"consistent), so there is no preference pair; generate with candidates >= 2")
    return SPLIT


def config_splits(name: str, source: Source) -> list[str]:
    """The splits one config has for this source; a config the source cannot fill is a `SourceError` naming why."""
    if name == "personas":
        return [persona_origin_split(source)]
    if name == "preferences":
        return [preference_split(source)]
    splits = list(source.conversations)
    if name == "persona-chat-compatible":
        splits = [s for s in splits if s in PERSONA_CHAT_SPLITS]
    if name == "nup":
        sizes = {s: len(source.conversations[s]) for s in splits}
        splits = [s for s in splits if sizes[s] >= 2]
        if not splits:
            raise SourceError(f"{public_name(source)}: the 'nup' config draws distractors from other "
                              f"conversations of the same split and needs at least 2 per split "
                              f"(found {sizes}); generate more conversations, or skip this config")
    if not source.conversations:
        raise SourceError(f"{public_name(source)} has no conversations at all" + (
            ": the run selected no winner (each pair's outcome is in conversations/pair_outcomes.parquet, each "
            "candidate's verdicts in conversations/candidates.parquet); generate more, or relax the Critic"
            if source.kind == "run" else ""))
    if not splits:
        raise SourceError(f"{public_name(source)} has no conversations in the splits of config "
                          f"'{name}' (found {sorted(source.conversations) or 'none'}); "
                          f"use config 'full' or 'conversations'")
    return splits
