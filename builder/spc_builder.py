"""Synthetic-Persona-Chat as a `datasets` builder, over the official release CSVs or one of our run directories.

Configs:
- `full` / `persona-chat-compatible`: the schema of the GitHub release's loading script
  (`user_1_persona`, `user_2_persona`, `utterances`), so code written for SPC keeps working;
  `full` adds the `synthetic` split (the release's new-personas part, or what a run generated).
- `release`: exactly the raw columns of the Hub repo google/Synthetic-Persona-Chat (strings, one item a line).
- `conversations`: speaker-tagged turns, both personas and provenance (source, iteration, generator,
  typed critic verdicts, pair similarity).
- `messages`: chat format for supervised fine-tuning, one row per speaker perspective (`messages.py`).
- `personas`: persona attributes with their category (cluster), its query, origin and round.
- `nup`: next-utterance prediction rows (persona, history, 20 candidates, label), from `nup.nup_examples`.
- `preferences`: DPO pairs (TRL's prompt / chosen / rejected) from the Critic's pairwise votes and filters (`preferences.py`).

    load_dataset("synthetic_persona_chat")                                          # the release (see hub_source)
    load_dataset("synthetic_persona_chat", "nup", data_dir="path/to/spc/data")    # see datasets_hook.py

The builder keeps no state between its steps, as `datasets`' packaged builders (csv, json) keep none:
`_split_generators` reads the source to decide which splits the config has (and to log what it skipped), then
hands `_generate_examples` each split's input files through `gen_kwargs`, never the read `Source`. A list of
files is what `datasets` shards over with `num_proc`; configs whose rows draw on the whole split (`nup`'s
distractors) or the whole source (`personas`, `preferences`) get a tuple, which `datasets` does not split.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator

import datasets
import pyarrow as pa
from datasets.builder import Key

from .features import FEATURES
from .hub_source import default_source
from .nup import NUM_CANDIDATES
from .rows import ConfigRow, config_rows, config_splits
from .skips import reason_class
from .sources import CITATION as _CITATION
from .sources import SPC_FILES, Source, SourceError, load_source, read_spc_files

logger = datasets.utils.logging.get_logger(__name__)

_HOMEPAGE = "https://github.com/google-research-datasets/Synthetic-Persona-Chat"
_LICENSE = "cc-by-4.0"
_DESCRIPTION = """\
Synthetic-Persona-Chat (SPC): persona-based conversations generated with the Generator-Critic framework of
"Faithful Persona-based Conversational Dataset Generation with Large Language Models" (arXiv 2312.10007),
or a dataset generated with the synthetic-persona-chat toolkit.
"""


@dataclass
class SyntheticPersonaChatConfig(datasets.BuilderConfig):
    """BuilderConfig for Synthetic-Persona-Chat.

    Args:
        nup_seed (`int`, defaults to 0): seed of the NUP distractor draw; the same seed gives the same rows.
        num_candidates (`int`, defaults to 20): NUP candidates per row, the gold included.
        partner_persona (`bool`, defaults to False): `messages` also puts the partner's persona in the system
            message.
    """

    nup_seed: int = 0
    num_candidates: int = NUM_CANDIDATES
    partner_persona: bool = False


def _config(name: str, description: str) -> SyntheticPersonaChatConfig:
    return SyntheticPersonaChatConfig(name=name, version=datasets.Version("1.0.0"), description=description)


class SyntheticPersonaChat(datasets.ArrowBasedBuilder):
    """Synthetic-Persona-Chat from the release CSVs (`data_dir`, `data_files`, or by default the release itself)
    or a run directory (`data_dir`)."""

    BUILDER_CONFIG_CLASS = SyntheticPersonaChatConfig
    BUILDER_CONFIGS = [
        _config("full", "GitHub release loader's schema; train/validation/test + synthetic."),
        _config("persona-chat-compatible", "GitHub release loader's schema; Persona-Chat's profile pairs and splits."),
        _config("release", "The Hub repo google/Synthetic-Persona-Chat's raw columns, one item a line."),
        _config("conversations", "Speaker-tagged turns, personas and generation provenance."),
        _config("messages", "Chat format (system persona, user/assistant turns), one row per speaker."),
        _config("personas", "Persona attributes with category, query, origin and round."),
        _config("nup", "Next-utterance prediction: persona, history, candidates, label."),
        _config("preferences", "DPO pairs (prompt, chosen, rejected) from the Critic's pairwise votes and filters."),
    ]
    DEFAULT_CONFIG_NAME = "full"

    def _info(self):
        return datasets.DatasetInfo(description=_DESCRIPTION, features=FEATURES[self.config.name],
                                    homepage=_HOMEPAGE, license=_LICENSE, citation=_CITATION)

    def _split_generators(self, dl_manager):
        source = self._load_source(dl_manager)
        log_skips(source)
        return [datasets.SplitGenerator(name=split, gen_kwargs={"files": split_inputs(self.config.name, source, split),
                                                                "split": split})
                for split in config_splits(self.config.name, source)]

    def _generate_tables(self, files: list[Input] | tuple[Input, ...], split: str) -> Iterator[tuple[Key, pa.Table]]:
        """Rows of `split` from its input files (each file of a list on its own, a shard; a tuple as one), in
        Arrow tables of `BATCH_ROWS`: encoded a column at a time, which is several times faster than `datasets`
        encoding each row of a generator."""
        features = FEATURES[self.config.name]
        groups = [files] if isinstance(files, tuple) else [[f] for f in files]
        for shard, group in enumerate(groups):
            rows = iter(config_rows(self.config, read_inputs(group), split))
            for i, batch in enumerate(iter(lambda: list(islice(rows, BATCH_ROWS)), [])):
                yield Key(shard, i), arrow_table(batch, features)

    def _load_source(self, dl_manager) -> Source:
        if self.config.data_dir:
            return load_source(self.config.data_dir)
        if self.config.data_files:
            files = {split: list(paths) for split, paths in self.config.data_files.items()}
            if any(len(paths) != 1 for paths in files.values()):
                raise SourceError(f"data_files needs one SPC CSV per split, got {files}")
            local = dl_manager.download({split: paths[0] for split, paths in files.items()})
            return read_spc_files(local, location=", ".join(p[0] for p in files.values()))
        return default_source(dl_manager)


# One input file of a split: (split, release CSV) for the release, (RUN, run directory) for a run, whose
# one conversations table holds every split. Plain pairs, so `gen_kwargs` pickle small for `num_proc` workers.
Input = tuple[str, str]
RUN = "run"
WHOLE_SOURCE = frozenset({"personas", "preferences"})  # rows drawn from every split's conversations
WHOLE_SPLIT = frozenset({"nup"})  # distractors drawn from the whole split
BATCH_ROWS = 1000  # rows per Arrow table: `datasets`' own writer batch, so memory stays flat on a large split


def arrow_table(rows: list[ConfigRow], features: datasets.Features) -> pa.Table:
    """Rows (shaped like `features`, `ClassLabel` values as names) as one Arrow table of `features`' schema."""
    columns = features.encode_batch({name: [row.get(name) for row in rows] for name in features})
    return pa.Table.from_pydict(columns, schema=features.arrow_schema)


def split_inputs(config: str, source: Source, split: str) -> list[Input] | tuple[Input, ...]:
    """The files `_generate_examples` reads for one split of `config`: a list when each file's rows stand alone
    (`num_proc` may shard it), a tuple when the rows need all of them read together."""
    if source.kind == RUN:
        return (RUN, source.location),  # one table for every split: no shards
    if not source.files:
        raise SourceError(f"{source.location}: the release was read without its files, so the builder cannot "
                          f"hand them to its workers; read it with `read_spc_files`")
    if config in WHOLE_SOURCE:
        return tuple(source.files.items())
    files = [(split, source.files[split])]
    return tuple(files) if config in WHOLE_SPLIT else files


def read_inputs(group: list[Input] | tuple[Input, ...]) -> Source:
    """The `Source` of some input files, read where the rows are made (in a `num_proc` worker, say)."""
    if group and group[0][0] == RUN:
        return load_source(group[0][1])
    return read_spc_files(dict(group))


def log_skips(source: Source) -> None:
    """One summary line for skipped input records, by reason class, saying where each one can be seen.

    Records this read could not use are news: a warning. Records the run's own stages skipped (seed
    duplicates, say) were reported when the run ran and are listed in its skips.jsonl: an info line."""
    for skip in source.skips:
        logger.debug("skipped %s %s: %s", skip.get("source"), skip.get("locator"), skip.get("reason"))
    if not source.skips:
        return
    classes = dict(Counter(reason_class(str(s.get("reason", ""))) for s in source.skips).most_common(5))
    where = (f"each one is in {Path(source.location) / 'skips.jsonl'}" if source.kind == "run" else
             "datasets.logging.set_verbosity_debug() before load_dataset logs each one with its file and row")
    read_now = any(s.get("stage") == "read" for s in source.skips)
    logger.log(logging.WARNING if read_now else logging.INFO, "%d input record(s) skipped, most by reason: %s; %s",
               len(source.skips), classes, where)


__all__ = ["SyntheticPersonaChat", "SyntheticPersonaChatConfig", "FEATURES", "SPC_FILES"]
