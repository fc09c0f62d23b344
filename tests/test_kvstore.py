"""The SQLite key-value store behind both caches: a damaged or unwritable file is named, with its fix."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from synthetic_persona_chat.errors import one_line
from synthetic_persona_chat.kvstore import KeyValueStore, StoreError
from synthetic_persona_chat.models.llm.cache import CachedLLM
from tests.fakes import ScriptedLLM


def test_values_survive_a_reopen(tmp_path):
    store = KeyValueStore(tmp_path / "c.sqlite", "answers")
    store.put_many({"a": "1", "b": "2"})
    store.close()
    again = KeyValueStore(tmp_path / "c.sqlite", "answers")
    assert again.get_many(["b", "a", "missing"]) == {"a": "1", "b": "2"} and len(again) == 2
    again.close()


@pytest.mark.parametrize("damage", [b"\x00\xffnot a database at all{[" * 40, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_cache_file_is_one_line_naming_it(tmp_path, damage):
    path = tmp_path / "cache" / "llm.sqlite"
    path.parent.mkdir()
    path.write_bytes(damage)
    with pytest.raises(StoreError) as err:
        CachedLLM(ScriptedLLM(lambda chat, i: "hi"), path)
    code, line = one_line(err.value)
    assert code == 8 and line.startswith(f"spc: filesystem error: {path} is damaged (")
    assert "delete it and rerun the same command: only cached answers are lost" in line
    assert isinstance(err.value.__cause__, sqlite3.DatabaseError)  # -v still shows sqlite's own error


FULL = """
import resource, signal, sys
from synthetic_persona_chat.kvstore import KeyValueStore
from synthetic_persona_chat.errors import one_line
store = KeyValueStore(sys.argv[1], "vectors", value_column="vec", value_type="BLOB")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    for i in range(100):
        store.put_many({f"k{i}-{j}": bytes(4096) for j in range(10)})
except Exception as exc:
    print(one_line(exc)[0], one_line(exc)[1])
    print("kept", len(store))
"""


def test_a_full_disk_names_the_cache_file_and_keeps_what_was_committed(tmp_path):
    path = tmp_path / "emb.sqlite"
    out = subprocess.run([sys.executable, "-c", FULL, str(path)], capture_output=True, text=True, timeout=120)
    code, line = out.stdout.splitlines()[0].split(" ", 1)
    assert code == "8" and str(path) in line and line.startswith("spc: filesystem error: database error:"), out
    kept = int(out.stdout.splitlines()[1].split()[1])
    assert 0 < kept < 1000 and kept % 10 == 0  # whole transactions only: a value is stored fully or not at all
