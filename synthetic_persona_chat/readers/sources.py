"""One input layer: every command that reads conversations names them the same way.

| spec                                | read as                                                        |
|-------------------------------------|----------------------------------------------------------------|
| `spc-sample:valid` / `spc-sample:test` / `spc-sample:` | the SPC sample shipped in the package   |
| `PATH.csv`                          | an SPC release CSV                                             |
| `DIR` holding SPC CSVs               | the split's file (train / valid / test)                        |
| `PATH.txt`                          | Persona-Chat / ConvAI2 in ParlAI format                        |
| `PATH.jsonl` / `.json` / `.parquet` | our `Conversation` records                                     |
| `RUN` (a run directory)             | its selected conversations, only when the run is complete      |
| `hub:ID[@split]`                    | a Hub dataset in any layout `hub_layouts` detects              |

The evaluation suite, the Generator's few-shot seeds, `spc critic judge` and the annotation study all read
through `open_source`, so a source that works for one works for all, and a half-written run is refused
everywhere by the same rule (`RunDir.require_complete`, the rule `spc build` applies).
"""

from __future__ import annotations

from pathlib import Path
from ..records import Conversation, Skip
from ..sample_data import resolve_path
from .native import read_records
from .parlai import read_parlai
from .spc_csv import SPLIT_FILES, read_spc_csv
from ..errors import InputError
from ..iterations import one_based
from ..rundir import RunDir
from .hub_layouts import read_rows

RUN_CONVERSATIONS = Path("conversations") / "conversations.parquet"
RUN_MARKERS = ("config.yaml", "manifest.json", "conversations")
RECORD_SUFFIXES = (".jsonl", ".json", ".parquet")


class SourceFormatError(InputError, ValueError):
    """A source names something none of the readers take; the message lists what they take."""


def is_run_dir(path: str | Path) -> bool:
    """A run directory, as opposed to a folder of release files: it holds what `RunDir.init` writes."""
    path = Path(path)
    return path.is_dir() and any((path / name).exists() for name in RUN_MARKERS)


def open_source(spec: str | Path, split: str = "test") -> tuple[list[Conversation], list[Skip]]:
    """The conversations `spec` names (see the module table) and the records that could not be read.

    Raises FileNotFoundError for a path that is not there or a folder without the split's file,
    SourceFormatError for an unknown file type; reader errors propagate with the file named.
    """
    text = str(spec)
    if text.startswith("hub:"):
        return read_hub(text[4:], split)
    path = resolve_path(text)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        return _read_folder(path, split)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_spc_csv(path, split=split)
    if suffix == ".txt":
        return read_parlai(path, split=split)
    if suffix in RECORD_SUFFIXES:
        return read_records(path, Conversation.from_dict)
    raise SourceFormatError(f"{path}: unknown dataset format {suffix!r}; give an SPC .csv or folder, a ParlAI .txt, "
                            f"our .jsonl/.parquet records, a run directory, spc-sample:SPLIT or hub:ID")


def _read_folder(path: Path, split: str) -> tuple[list[Conversation], list[Skip]]:
    if is_run_dir(path):
        return read_run(path)
    file = path / SPLIT_FILES.get(split, f"Synthetic-Persona-Chat_{split}.csv")
    if not file.exists():
        raise FileNotFoundError(f"{path} has no {file.name} (SPC {split} split) and is not a run directory")
    return read_spc_csv(file, split=split)


def read_run(run_dir: str | Path) -> tuple[list[Conversation], list[Skip]]:
    """A generated run's selected conversations, once the run's conversation stage is complete."""
    path = Path(run_dir) / RUN_CONVERSATIONS
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run conversation generation first")
    RunDir(run_dir).require_complete(("conversations",))
    conversations, skips = read_records(path, Conversation.from_dict)
    return one_based(conversations), skips  # runs written before iterations counted from 1 read the same


def read_hub(spec: str, split: str) -> tuple[list[Conversation], list[Skip]]:
    """`ID[@split]` through `datasets.load_dataset` (network or a local HF cache), in any layout
    `hub_layouts` knows (SPC, and Persona-Chat/ConvAI2 as rows, dialogs or ParlAI text)."""
    import datasets

    repo, _, hub_split = spec.partition("@")
    rows = datasets.load_dataset(repo, split=hub_split or hub_split_name(split))
    return read_rows(rows, split, f"hub:{repo}")


def hub_split_name(split: str) -> str:
    """Our split names -> the Hub's ("valid" is "validation" there)."""
    return {"valid": "validation"}.get(split, split)

