"""Synthetic-Persona-Chat as a `datasets` builder, over the official release CSVs or one of our run directories.

Configs:
- `full` / `persona-chat-compatible`: exactly the schema of the official SPC release loader
  (`user_1_persona`, `user_2_persona`, `utterances`), so code written for SPC keeps working;
  `full` adds the `synthetic` split (the release's new-personas part, or what a run generated).
- `conversations`: speaker-tagged turns, both personas and provenance (source, iteration, generator,
  critic verdicts, pair similarity).
- `personas`: persona attributes with their category (cluster), its query, origin and round.
- `nup`: next-utterance prediction rows (persona, history, 20 candidates, label), from `nup.nup_examples`.

    load_dataset("synthetic_persona_chat", "nup", data_dir="path/to/spc/data")    # see datasets_hook.py
    SyntheticPersonaChat(config_name="full", data_files=SPC_URLS)                  # the release, over the network
"""

from __future__ import annotations

from collections import Counter

import json
from dataclasses import dataclass
from typing import Any, Iterator

import datasets
from datasets.builder import Key

from synthetic_persona_chat.records import PersonaAttribute

from .nup import NUM_CANDIDATES, nup_examples
from .sources import CITATION as _CITATION
from .sources import PERSONA_CHAT_SPLITS, SPC_FILES, Source, SourceError, load_source, meta_json, read_spc_files

logger = datasets.utils.logging.get_logger(__name__)

_HOMEPAGE = "https://github.com/google-research-datasets/Synthetic-Persona-Chat"
_LICENSE = "cc-by-4.0"
_DESCRIPTION = """\
Synthetic-Persona-Chat (SPC): persona-based conversations generated with the Generator-Critic framework of
"Faithful Persona-based Conversational Dataset Generation with Large Language Models" (arXiv 2312.10007),
or a dataset generated with the synthetic-persona-chat toolkit.
"""

_STRINGS = datasets.Sequence(datasets.Value("string"))
SPC_FEATURES = datasets.Features({"user_1_persona": _STRINGS, "user_2_persona": _STRINGS, "utterances": _STRINGS})
CONVERSATION_FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "split": datasets.Value("string"),
    "source": datasets.Value("string"),
    "iteration": datasets.Value("int32"),
    "user_1_persona": _STRINGS,
    "user_2_persona": _STRINGS,
    "turns": datasets.List({"speaker": datasets.Value("string"), "text": datasets.Value("string")}),
    "generator": datasets.Value("string"),
    "critic_verdicts": datasets.List({"expert": datasets.Value("string"), "verdict": datasets.Value("string"),
                                      "reason": datasets.Value("string")}),
    "pair_similarity": datasets.Value("float32"),
    "meta": datasets.Value("string"),  # every other provenance field, as JSON
})
PERSONA_FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "text": datasets.Value("string"),
    "category": datasets.Value("int32"),  # cluster id from query induction (null for SPC release personas)
    "category_size": datasets.Value("int32"),
    "query": datasets.Value("string"),
    "origin": datasets.Value("string"),  # "seed" or "generated"
    "round": datasets.Value("int32"),  # bootstrapping round (0 = seed)
})
NUP_FEATURES = datasets.Features({
    "id": datasets.Value("string"),
    "conversation_id": datasets.Value("string"),
    "turn": datasets.Value("int32"),
    "speaker": datasets.Value("string"),
    "persona": _STRINGS,
    "history": _STRINGS,
    "candidates": _STRINGS,
    "label": datasets.Value("int32"),
})
FEATURES = {"full": SPC_FEATURES, "persona-chat-compatible": SPC_FEATURES, "conversations": CONVERSATION_FEATURES,
            "personas": PERSONA_FEATURES, "nup": NUP_FEATURES}


@dataclass
class SyntheticPersonaChatConfig(datasets.BuilderConfig):
    """BuilderConfig for Synthetic-Persona-Chat.

    Args:
        nup_seed (`int`, defaults to 0): seed of the NUP distractor draw; the same seed gives the same rows.
        num_candidates (`int`, defaults to 20): NUP candidates per row, the gold included.
    """

    nup_seed: int = 0
    num_candidates: int = NUM_CANDIDATES


class SyntheticPersonaChat(datasets.GeneratorBasedBuilder):
    """Synthetic-Persona-Chat from the release CSVs (`data_dir` or `data_files`) or a run directory (`data_dir`)."""

    BUILDER_CONFIG_CLASS = SyntheticPersonaChatConfig
    BUILDER_CONFIGS = [
        SyntheticPersonaChatConfig(name="full", version=datasets.Version("1.0.0"),
                                   description="Official SPC schema; train/validation/test + synthetic."),
        SyntheticPersonaChatConfig(name="persona-chat-compatible", version=datasets.Version("1.0.0"),
                                   description="Official SPC schema; Persona-Chat's profile pairs and splits."),
        SyntheticPersonaChatConfig(name="conversations", version=datasets.Version("1.0.0"),
                                   description="Speaker-tagged turns, personas and generation provenance."),
        SyntheticPersonaChatConfig(name="personas", version=datasets.Version("1.0.0"),
                                   description="Persona attributes with category, query, origin and round."),
        SyntheticPersonaChatConfig(name="nup", version=datasets.Version("1.0.0"),
                                   description="Next-utterance prediction: persona, history, candidates, label."),
    ]
    DEFAULT_CONFIG_NAME = "full"

    def _info(self):
        return datasets.DatasetInfo(description=_DESCRIPTION, features=FEATURES[self.config.name],
                                    homepage=_HOMEPAGE, license=_LICENSE, citation=_CITATION)

    def _split_generators(self, dl_manager):
        self.source = self._load_source(dl_manager)
        for skip in self.source.skips:
            logger.debug("skipped %s %s: %s", skip.get("source"), skip.get("locator"), skip.get("reason"))
        if self.source.skips:
            reasons = Counter(str(s.get("reason", "")).split(":")[0] for s in self.source.skips)
            logger.warning("%d input records skipped (listed in the card; -vv shows each): %s",
                           len(self.source.skips), dict(reasons.most_common(5)))
        splits = self._splits(self.source)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"split": split}) for split in splits]

    def _generate_examples(self, split: str) -> Iterator[tuple[Key, dict[str, Any]]]:
        for i, row in enumerate(self._rows(split)):
            yield Key(0, i), row

    # -- sources -------------------------------------------------------------------------------
    def _load_source(self, dl_manager) -> Source:
        if self.config.data_dir:
            return load_source(self.config.data_dir)
        if self.config.data_files:
            files = {split: list(paths) for split, paths in self.config.data_files.items()}
            if any(len(paths) != 1 for paths in files.values()):
                raise SourceError(f"data_files needs one SPC CSV per split, got {files}")
            local = dl_manager.download({split: paths[0] for split, paths in files.items()})
            return read_spc_files(local, location=", ".join(p[0] for p in files.values()))
        raise SourceError("no input: pass data_dir= (an SPC release folder or a run directory) or "
                          "data_files={split: path or URL} of SPC release CSVs (see sources.SPC_URLS)")

    def _splits(self, source: Source) -> list[str]:
        if self.config.name == "personas":
            return ["train"]
        splits = list(source.conversations)
        if self.config.name == "persona-chat-compatible":
            splits = [s for s in splits if s in PERSONA_CHAT_SPLITS]
        if self.config.name == "nup":
            sizes = {s: len(source.conversations[s]) for s in splits}
            splits = [s for s in splits if sizes[s] >= 2]
            if not splits:
                raise SourceError(f"{source.location}: the 'nup' config draws distractors from other "
                                  f"conversations of the same split and needs at least 2 per split "
                                  f"(found {sizes}); generate more conversations, or skip this config")
        if not splits:
            raise SourceError(f"{source.location} has no conversations in the splits of config "
                              f"'{self.config.name}' (found {sorted(source.conversations) or 'none'}); "
                              f"use config 'full' or 'conversations'")
        return splits

    # -- rows ----------------------------------------------------------------------------------
    def _rows(self, split: str) -> list[dict[str, Any]] | Iterator[dict[str, Any]]:
        name = self.config.name
        if name == "personas":
            return persona_rows(self.source)
        conversations = self.source.conversations[split]
        if name == "nup":
            return nup_examples(conversations, seed=self.config.nup_seed, num_candidates=self.config.num_candidates)
        if name == "conversations":
            return (conversation_row(c, split) for c in conversations)
        return (spc_row(c) for c in conversations)


def spc_row(conv) -> dict[str, Any]:
    """The official release loader's row."""
    return {"user_1_persona": list(conv.user1_persona), "user_2_persona": list(conv.user2_persona),
            "utterances": conv.utterances}


def conversation_row(conv, split: str) -> dict[str, Any]:
    meta = dict(conv.meta)
    generator = meta.pop("generator", None)
    verdicts = meta.pop("verdicts", None)
    similarity = meta.pop("pair_similarity", None)
    return {"id": conv.id, "split": split, "source": conv.source, "iteration": conv.iteration,
            "user_1_persona": list(conv.user1_persona), "user_2_persona": list(conv.user2_persona),
            "turns": [{"speaker": t.speaker, "text": t.text} for t in conv.turns],
            "generator": _generator_name(generator), "critic_verdicts": normalise_verdicts(verdicts),
            "pair_similarity": None if similarity is None else float(similarity), "meta": meta_json(meta)}


def persona_rows(source: Source) -> list[dict[str, Any]]:
    """A run's attribute pool; for the release, each distinct persona sentence once (seed or generated part)."""
    keys = PERSONA_FEATURES.keys()
    if source.attributes is not None:
        return [{k: row.get(k) for k in keys} for row in source.attributes]
    if source.kind == "run":
        raise SourceError(f"{source.location}/expand/attributes.parquet is missing: the 'personas' config needs "
                          f"the user generation stage; run it on this run directory, or skip this config")
    seen, rows = set(), []
    for split, conversations in source.conversations.items():
        origin = "generated" if split == "synthetic" else "seed"
        for conv in conversations:
            for text in (*conv.user1_persona, *conv.user2_persona):
                if text not in seen:
                    seen.add(text)
                    attr = PersonaAttribute(text=text, origin=origin).to_dict()
                    rows.append({**{k: None for k in keys}, **{k: attr[k] for k in keys if k in attr}})
    return rows


def normalise_verdicts(verdicts: Any) -> list[dict[str, str]]:
    """Critic verdicts as rows {expert, verdict, reason}, whether the stage stored a mapping or a list."""
    if not verdicts:
        return []
    items = verdicts.items() if isinstance(verdicts, dict) else (
        ((v.get("expert") or v.get("name") or str(i)), v) if isinstance(v, dict) else (str(i), v)
        for i, v in enumerate(verdicts))
    rows = []
    for expert, value in items:
        reason = ""
        if isinstance(value, dict):
            reason = str(value.get("reason") or "")
            value = next((value[k] for k in ("verdict", "passed", "pass", "ok", "vote", "choice", "winner")
                          if value.get(k) is not None),
                         {k: v for k, v in value.items() if k not in ("reason", "expert", "name")})
        rows.append({"expert": str(expert), "verdict": value if isinstance(value, str) else json.dumps(value),
                     "reason": reason})
    return rows


def _generator_name(generator: Any) -> str | None:
    if generator is None or isinstance(generator, str):
        return generator
    if isinstance(generator, dict):
        return str(generator.get("model") or generator.get("name") or json.dumps(generator, sort_keys=True))
    return str(generator)


__all__ = ["SyntheticPersonaChat", "SyntheticPersonaChatConfig", "FEATURES", "SPC_FEATURES", "SPC_FILES"]
