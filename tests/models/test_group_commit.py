"""The answer cache's writer: answers put from many threads are all committed before flush returns, a key put
twice counts twice (no hang), and a failed commit (a full disk) reaches the caller."""

import sqlite3
import threading

import pytest

from synthetic_persona_chat.kvstore import KeyValueStore
from synthetic_persona_chat.models.llm.group_commit import GroupCommit


def test_everything_put_is_committed_when_flush_returns(tmp_path):
    store = KeyValueStore(tmp_path / "a.sqlite", "answers")
    commits = GroupCommit(store.put_many)
    batches = []
    original = store.put_many

    def counting(items):
        batches.append(len(items))
        original(items)

    commits._commit = counting
    threads = [threading.Thread(target=lambda t=t: [commits.put(f"{t}-{i}", "x") for i in range(200)])
               for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    commits.put("0-0", "again")  # the same key twice: one row, and flush must not wait for a second one
    commits.flush()
    assert len(store) == 800 and store.get_many(["0-0"]) == {"0-0": "again"}
    assert sum(batches) <= 801 and len(batches) < 801  # answers that arrived together shared a transaction


def test_a_failed_commit_is_raised_by_flush_and_the_writer_goes_on(tmp_path):
    calls = []

    def commit(items):
        calls.append(dict(items))
        if len(calls) == 1:
            raise sqlite3.OperationalError("database or disk is full")

    commits = GroupCommit(commit)
    commits.put("a", 1)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        commits.flush()
    commits.put("b", 2)
    commits.flush()
    assert calls[-1] == {"b": 2}
