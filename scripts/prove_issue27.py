"""Issue #27 proves itself: every item's tests fail on the code the probe found (4abc334) and pass now.

    python scripts/prove_issue27.py [--only ITEM ...] [--list] [--out results.md] [--timeout 1800]
                                    [--tests-from head|working]

Two copies are made in temporary folders (never the working tree), with scripts/prove_faults.py's `snapshot`:

- *old*: the product code of `OLD` (git archive of that commit), with today's `tests/` and `benchmarks/` on top
  (the tests as they are now, their helpers and fakes included) and the few brand-new modules in `TEST_ONLY`
  that today's test helpers import and the old product never does (so a test fails on the old behaviour,
  not on a helper's import); sealed (`prove_faults.seal`): no other module newer than the copy is found in
  the working tree through the editable install;
- *new*: the committed tree (or with `--tests-from working`, the working tree's tests on top of it).

Each item's tests run in both copies (PYTHONPATH: the copy first, so the `spc` children the tests start run
the copy's code too; any PYTHONPATH already set follows it, e.g. where the [annotate] extra is installed).
The table says, per test, what happened on the old code (`failed: <assertion>`: the bug is reproduced;
`passed`: the test did not see it; `not collected`: an import error of a module that did not exist, which
proves little) and now. Item 7's tests print the requests a killed run paid; those lines are listed below
the table for both copies.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prove_faults import pytest_in, seal, snapshot, statuses  # noqa: E402

OLD = "4abc334"  # the HEAD the adversarial probe of #27 ran against
TEST_ONLY = ("synthetic_persona_chat/pause_points.py",)  # standard library only; the old product never imports it
FIGURES = "requests paid"  # the line item 7's tests print


@dataclass(frozen=True)
class Item:
    name: str  # the numbering: "7", "10.b"
    bug: str  # what the probe found, in a few words
    tests: tuple[str, ...]  # pytest node ids


ITEMS = (
    Item("1", "secrets in a config are written to the run, models.json, the card, error lines", (
        "tests/test_redact.py::test_a_run_directory_holds_no_secret_of_the_config",
        "tests/test_redact.py::test_error_lines_and_logs_are_redacted",
        "tests/builder/test_upload_secrets.py::test_the_card_and_every_exported_file_hold_no_secret",
        "tests/builder/test_upload_secrets.py::test_push_refuses_an_export_with_a_secret_in_any_file")),
    Item("2", "a config-chosen template runs arbitrary code; a template typo exits 70", (
        "tests/tasks/test_template_sandbox.py::test_spc_generate_estimate_with_a_hostile_template_exits_2_and_runs_nothing",
        "tests/tasks/test_template_sandbox.py::test_a_template_cannot_reach_python",
        "tests/tasks/test_template_sandbox.py::test_an_undefined_variable_names_file_line_and_the_values_given",
        "tests/tasks/test_template_sandbox.py::test_a_syntax_error_names_file_and_line")),
    Item("3", "Retry-After ignored by the default HTTP client", (
        "tests/models/test_http_bounds.py::test_retry_after_longer_than_the_backoff_is_waited_for",)),
    Item("4", "the annotate server stores unauthenticated uploads of any size", (
        "tests/annotate/test_app_hostile.py::test_a_large_upload_is_refused_and_nothing_is_stored",)),
    Item("5", "a damaged study database gets the advice to delete it", (
        "tests/annotate/test_study_damaged.py::"
        "test_results_on_a_damaged_study_name_the_file_and_the_recovery_never_deletion",)),
    Item("6", "no cap on an LLM response's size", (
        "tests/models/test_http_bounds.py::test_the_default_cap_stops_an_endless_answer",)),
    Item("7", "a killed openai: run pays again for the answers it had received", (
        "tests/models/test_cache_kill.py::test_a_killed_openai_run_pays_again_only_for_requests_in_flight",)),
    Item("8", "a NaN threshold switches the faithfulness filter off; summary.json holds NaN", (
        "tests/test_config_numbers.py::test_spc_refuses_a_nan_threshold_given_on_the_command_line",
        "tests/test_config_numbers.py::test_a_non_finite_threshold_is_a_config_error")),
    Item("9", "a 453-byte YAML alias bomb takes seconds and gigabytes before the error", (
        "tests/test_strict_yaml.py::test_a_billion_laughs_config_is_refused_at_once_naming_the_alias",
        "tests/test_config_numbers.py::test_a_huge_bad_value_is_shown_bounded")),
    Item("10.a", "a lost commit acknowledgement says nothing was published", (
        "tests/builder/test_push_truth.py::test_a_commit_applied_but_answered_500_is_recognised_and_tagged",)),
    Item("10.b", "spc push can hang forever (no Hub timeout)", (
        "tests/builder/test_push_truth.py::test_a_hub_that_never_answers_fails_after_the_timeout",)),
    Item("10.c", "RUN/skips.jsonl.<pid>.tmp left after a full disk survives the rerun", (
        "tests/test_rundir_temporaries.py::test_a_failed_write_leaves_no_temporary_file",
        "tests/test_rundir_temporaries.py::test_a_successful_write_removes_what_a_dead_process_left")),
    Item("10.d", "a NUL byte in a seed CSV flows into attributes and prompts", (
        "tests/usergen/test_seed_controls.py::test_control_characters_in_a_seed_csv_are_recorded_skips",)),
    Item("10.e", "a lone-surrogate token is a traceback; an arity error logs the plaintext token", (
        "tests/annotate/test_app_hostile.py::test_a_token_of_any_encoding_or_type_is_refused_like_a_bad_link",
        "tests/annotate/test_app_hostile.py::test_a_malformed_call_leaves_no_token_in_the_server_output")),
    Item("10.f", "deleting RUN/.lock during a run lets a second process in", (
        "tests/test_lock.py::test_deleting_the_lock_file_during_a_run_does_not_let_a_second_process_in",)),
    Item("10.g", "duplicate YAML keys are silently last-wins", (
        "tests/test_strict_yaml.py::test_duplicate_keys_are_refused_with_both_lines",
        "tests/annotate/test_study_config.py::test_duplicate_keys_and_aliases_are_refused")),
    Item("10.h", "a study YAML with `tasks: turing` becomes ['t','u','r',...]", (
        "tests/annotate/test_study_config.py::test_tasks_given_as_one_string_is_that_one_task",)),
)


def old_tree(dest: Path, tests_from: str) -> None:
    """The old product with today's tests (and their test-only helper modules) on top."""
    snapshot(dest, OLD)
    for folder in ("tests", "benchmarks"):
        shutil.rmtree(dest / folder, ignore_errors=True)
    snapshot(dest, tests_from, ("tests", "benchmarks", *TEST_ONLY))


def new_tree(dest: Path, tests_from: str) -> None:
    snapshot(dest, "head")
    if tests_from == "working":
        snapshot(dest, "working", ("tests",))


def run(build, nodes: tuple[str, ...], tests_from: str, timeout: float) -> tuple[dict[str, str], list[str]]:
    """{test name with its parameters: result} for the node ids (a parametrized test: each case), and the
    figure lines the tests printed. One pytest per test file: a file that cannot be imported on the old code
    (it names a module that did not exist) must not stop the others."""
    results: dict[str, str] = {}
    printed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="spc-prove27-") as tmp:
        dest = Path(tmp)
        build(dest, tests_from)
        seal(dest)  # a module the old code lacks is an ImportError, not today's module from the working tree
        for file in dict.fromkeys(n.partition("::")[0] for n in nodes):
            mine = [n for n in nodes if n.startswith(file + "::")]
            report = pytest_in(dest, mine, timeout)
            if report is None or not report.exists():
                results.update({n.rpartition("::")[2]: "timed out" if report is None else "error (no report)"
                                for n in mine})
                continue
            results.update(statuses(report))
            printed += [f"{case.get('name')}: {line.strip()}" for case in ET.parse(report).getroot().iter("testcase")
                        for out in case.iter("system-out") for line in (out.text or "").splitlines()
                        if FIGURES in line]
            if any(not cases(n, results) for n in mine):
                why = (dest / "pytest.out").read_text(encoding="utf-8")
                missing = [line for line in why.splitlines() if line.startswith("E   ")][:1]
                results.update({n.rpartition("::")[2]: f"not collected: {' '.join(missing)[4:90]}"
                                for n in mine if not cases(n, results)})
    return results, printed


def cases(node: str, results: dict[str, str]) -> list[str]:
    """The names of a node id's cases in the results (one, or each parameter set)."""
    base = node.rpartition("::")[2]
    return [name for name in results if name == base or name.startswith(base + "[")]


def table(items: list[Item], old: dict[str, str], new: dict[str, str]) -> str:
    lines = [f"| item | what the probe found | test | on {OLD} | now |", "|---|---|---|---|---|"]
    seen: set[str] = set()  # one row per test case, however many node ids name it
    for item in items:
        for node in item.tests:
            path = node.partition("::")[0]
            for name in cases(node, new) or cases(node, old) or [node.rpartition("::")[2]]:
                if name in seen:
                    continue
                seen.add(name)
                shown = name.encode("unicode_escape").decode("ascii")
                lines.append(f"| {item.name} | {item.bug} | `{path}::{shown}` | {old.get(name, 'not collected')} | "
                             f"{new.get(name, 'not collected')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="item names (see --list)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", type=Path, help="also write the table (markdown) here")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per test file")
    ap.add_argument("--tests-from", choices=("head", "working"), default="head",
                    help="today's tests as committed (default) or as in the working tree")
    args = ap.parse_args()
    if args.list:
        for item in ITEMS:
            print(f"{item.name}: {item.bug} ({len(item.tests)} test(s))")
        return
    items = [i for i in ITEMS if not args.only or i.name in args.only]
    nodes = tuple(n for i in items for n in i.tests)
    old, old_printed = run(old_tree, nodes, args.tests_from, args.timeout)
    new, new_printed = run(new_tree, nodes, args.tests_from, args.timeout)
    text = table(items, old, new)
    figures = [f"- on {OLD}: {line}" for line in dict.fromkeys(old_printed)]
    figures += [f"- now: {line}" for line in dict.fromkeys(new_printed)]
    text += ("\n" + "\n".join(figures) + "\n") if figures else ""
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
