"""The CLI's failure line stands on a line of its own, even when a progress bar was cut off by the failure."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from tqdm.auto import tqdm
from synthetic_persona_chat.errors import one_line, print_line
bar = tqdm(total=3, desc="conversations iter 1/2", leave=%s, file=sys.stderr, mininterval=0)
bar.update(1)  # the stage fails mid-bar: nothing closes it
code, line = one_line(OSError(28, "No space left on device", "/tmp/run/cache/llm.sqlite"))
print_line(line)
"""


def test_the_failure_line_is_not_glued_to_an_interrupted_progress_bar():
    for leave in ("True", "False"):
        err = subprocess.run([sys.executable, "-c", SCRIPT % leave], capture_output=True, text=True,
                             timeout=120).stderr
        lines = [line for line in err.splitlines() if line.startswith("spc: ")]
        assert lines == ["spc: filesystem error: No space left on device: /tmp/run/cache/llm.sqlite; free disk "
                         "space (or use a folder on another disk), then rerun the same command: finished work "
                         "is kept"], err


# --- one SpcError hierarchy: the class says the exit code -------------------------------------------------------

import ast  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from synthetic_persona_chat import errors  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("synthetic_persona_chat", "builder", "eval")
BUILTIN_BASES = {"Exception", "ValueError", "RuntimeError", "OSError", "ConnectionError", "TimeoutError",
                 "FileNotFoundError", "ImportError", "KeyError", "TypeError", "LookupError"}
CATEGORIES = {cls.__name__ for cls in errors.SpcError.__subclasses__()}
# shown to an annotator on the study page, never reaching the CLI's boundary
NOT_CLI = {"Refused"}


def _exception_classes():
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    if bases & BUILTIN_BASES:
                        yield f"{path.relative_to(ROOT)}:{node.name}", node.name, bases


def test_every_exception_class_of_ours_has_its_exit_code_through_the_spc_hierarchy():
    missing = [where for where, name, bases in _exception_classes()
               if name not in NOT_CLI and where != "synthetic_persona_chat/errors.py:SpcError"
               and not bases & (CATEGORIES | {"SpcError"})]
    assert not missing, f"exception classes outside the SpcError hierarchy (no exit code): {missing}"


def test_the_name_list_holds_only_third_party_exceptions():
    ours = {name for _, name, _ in _exception_classes()}
    listed = {name.split(":")[0] for cls in errors.THIRD_PARTY for name in cls.names}
    assert not listed & ours


def test_source_format_error_is_bad_input_exit_3():
    from synthetic_persona_chat.readers.sources import SourceFormatError

    assert errors.one_line(SourceFormatError("bad.csv: no 'text' column; name one with --text-column")) == (
        3, "spc: input error: bad.csv: no 'text' column; name one with --text-column")


@pytest.mark.parametrize("exc, code", [
    (ValueError("unknown thing"), 1), (RuntimeError("odd"), 1),
    (json.JSONDecodeError("Expecting value", "x", 0), 3), (OSError(28, "No space left on device", "/x"), 8),
])
def test_no_failure_line_says_error_twice(exc, code):
    got, line = errors.one_line(exc)
    assert got == code and "error error" not in line and line.startswith("spc: ")


def test_exit_codes_of_each_category_are_distinct_and_documented_classes_keep_them():
    from synthetic_persona_chat.config import ConfigError
    from synthetic_persona_chat.lock import RunLockedError
    from synthetic_persona_chat.rundir import RunDirError
    from synthetic_persona_chat.builder.export import ExportError
    from synthetic_persona_chat.builder.hub_calls import PublishError
    from synthetic_persona_chat.kvstore import StoreError

    expected = {ConfigError: 2, RunDirError: 4, RunLockedError: 5, PublishError: 7, StoreError: 8, ExportError: 9,
                errors.NothingMeasuredError: 10}
    assert {cls: errors.one_line(cls("x: fix it"))[0] for cls in expected} == expected
    codes = [cls.exit_code for cls in errors.SpcError.__subclasses__()]
    assert len(codes) == len(set(codes))


def test_a_library_wrapper_around_ours_is_classified_by_ours():
    from synthetic_persona_chat.builder.sources import SourceError

    class DatasetGenerationError(Exception):
        pass

    try:
        try:
            raise SourceError("run/conversations.parquet row 3 is not a conversation record")
        except SourceError as inner:
            raise DatasetGenerationError("An error occurred while generating the dataset") from inner
    except DatasetGenerationError as outer:
        assert errors.one_line(outer) == (3, "spc: input error: run/conversations.parquet row 3 is not a "
                                             "conversation record")


def test_an_unknown_preset_is_a_usage_error_exit_2():
    from synthetic_persona_chat.generation.commands import load_preset

    with pytest.raises(Exception) as info:
        load_preset("small")
    code, line = errors.one_line(info.value)
    assert code == 2 and line.startswith("spc: config error: unknown preset 'small'; available:"), line
