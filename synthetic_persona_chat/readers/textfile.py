"""Reading a text input file the way every reader must: UTF-8 with or without a BOM, split on newlines only.

Why one helper: the readers each called `read_text(encoding="utf-8").splitlines()`, and fuzzing found three
ways that fails on files people really have. A file saved by Excel or Notepad starts with a BOM, which then
became part of the first column name or line ("lacks column 'user 1 personas'"). A byte that is not UTF-8
raised a bare UnicodeDecodeError that named neither the file nor the line. And `str.splitlines` also splits
on U+2028, U+0085, form feed and other separators that `json.dumps(ensure_ascii=False)` writes raw inside
strings, so our own JSONL did not read back. Here the error names `file:line` and the fix.
"""

from __future__ import annotations

import re
from pathlib import Path

_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_text(path: Path, error: type[Exception]) -> str:
    """The file's text (a leading BOM dropped); `error` (the reader's own class) names file:line when a byte
    is not UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"{path}:{line}: byte 0x{data[exc.start]:02x} is not UTF-8 ({exc.reason}); save the file "
                    f"as UTF-8 and rerun") from exc


def split_lines(text: str) -> list[str]:
    """Lines split on \\n, \\r\\n or \\r only (not on U+2028 and the other separators `splitlines` takes);
    a final newline ends the last line rather than starting an empty one."""
    lines = _NEWLINE.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines
