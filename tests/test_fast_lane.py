"""The fast lane's rules (tests/conftest.py) put the tests that start `spc`, the tiny preset or Ray in the slow lane."""

from pathlib import Path
from types import SimpleNamespace

from tests.conftest import _module_is_slow, is_slow

TESTS = Path(__file__).resolve().parent


def item(path: Path, fixtures=()):
    return SimpleNamespace(fspath=str(path), fixturenames=list(fixtures))


def test_modules_that_start_spc_run_the_tiny_preset_or_ray_are_slow():
    for name in ("generation/test_resume_kill.py", "generation/test_runs_anywhere.py",
                 "generation/test_ray_engine.py", "builder/test_hub_versions.py"):
        assert _module_is_slow(TESTS / name), name


def test_a_module_of_plain_unit_tests_is_fast():
    assert not is_slow(item(TESTS / "test_records.py"))
    assert not is_slow(item(Path(__file__)))  # this module names the patterns only through conftest


def test_real_model_fixtures_and_the_fault_suite_are_slow():
    assert is_slow(item(TESTS / "test_records.py", fixtures=["minilm"]))
    assert is_slow(item(TESTS / "faults" / "test_anything.py"))
