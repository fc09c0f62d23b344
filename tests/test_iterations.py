"""Item 5 of #26: iterations are counted from 1 everywhere (as the paper counts), and run directories written
when they were counted from 0 still read, with the same numbers as a new run."""

from __future__ import annotations

from synthetic_persona_chat.builder.sources import read_run_dir
from synthetic_persona_chat.config import Config
from synthetic_persona_chat.iterations import FIRST, first_iteration, one_based
from synthetic_persona_chat.readers.sources import read_run
from synthetic_persona_chat.records import Conversation, Turn
from synthetic_persona_chat.rundir import RunDir


def _conv(i: int, iteration: int | None) -> Conversation:
    return Conversation([f"I like {i}."], ["I run."], [Turn("user 1", f"hi {i}"), Turn("user 2", "hello")],
                        source="run:old", iteration=iteration, id=f"c{i}")


def test_a_zero_based_run_is_shifted_and_a_one_based_run_is_kept():
    assert [c.iteration for c in one_based([_conv(0, 0), _conv(1, 1), _conv(2, None)])] == [1, 2, None]
    assert [c.iteration for c in one_based([_conv(0, 1), _conv(1, 2)])] == [1, 2]
    assert [r["iteration"] for r in one_based([{"iteration": 0}, {"iteration": 2}])] == [1, 3]


def test_a_run_begun_with_iter_0_resumes_in_its_own_numbering(tmp_path):
    assert first_iteration(tmp_path) == FIRST == 1
    (tmp_path / "iter-0").mkdir()
    assert first_iteration(tmp_path) == 0


def test_an_old_run_directory_reads_with_one_based_iterations(tmp_path):
    run = RunDir(tmp_path / "old").init(Config.from_dict({"seed": 1}))
    (run.stage_dir("conversations") / "iter-0").mkdir()
    run.write_records("conversations", "conversations", [_conv(i, i % 2).to_dict() for i in range(4)])
    run.mark_done("conversations", {"conversations": 4})
    convs, _ = read_run(run.path)
    assert sorted({c.iteration for c in convs}) == [1, 2]
    source = read_run_dir(run.path)
    assert sorted({c.iteration for split in source.conversations.values() for c in split}) == [1, 2]
