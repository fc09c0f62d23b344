"""The fault suite proves itself: each fault test fails when the fix it guards is taken out.

    python scripts/prove_faults.py [--only NAME ...] [--list] [--out results.md] [--timeout 1500]

For every entry of `REVERTS` (a fix, the code edit that takes it out, and the fault tests that guard it), the
committed tree (`git archive HEAD`) is copied to a temporary folder, the edit is applied there (never in the
working tree), and the guarding tests run against that copy (PYTHONPATH: the CLI the tests start in child
processes imports the copy too). A guard is shown when its test *fails* there. An edit whose old text is no
longer in the code is reported as stale (the fix moved: update the entry), not silently skipped.

The table (markdown) lists per test: the fix taken out, and `failed: <assertion>` (the guard is shown) /
`passed` (the test did not notice the fix was gone) / stale / skipped. Runs are slow (each test starts `spc` several times); --only runs some entries.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITE = "tests/faults/test_faults.py"  # a test named without a file is one of SUITE's
HUB_VERSIONS = "tests/builder/test_hub_versions.py"
# builder/, eval/ and model_cards/ install as sub-packages: the copy gets them where imports look
SUBPACKAGES = {"builder": "builder", "eval": "eval", "model_cards": "model_cards"}


@dataclass(frozen=True)
class Revert:
    name: str
    fix: str  # what the fix does, in a few words
    edits: tuple[tuple[str, str, str], ...]  # (file, old text (exactly once), text that restores the old behaviour)
    tests: tuple[str, ...]  # node ids in SUITE


NEVER = "except ImportError"  # an `except` clause that no longer catches: the error propagates as before the fix


REVERTS = (
    Revert("vouched-files", "a stage marker vouches for its files (size, sha256); a changed or missing one reruns",
           (("synthetic_persona_chat/rundir.py", "        vouched = data.get(VOUCHED)\n",
             "        vouched = None  # REVERTED: the marker is trusted, its files unchecked\n"),),
           ("test_deleted_stage_output_is_rebuilt_from_checkpoints[conversations.parquet]",
            "test_deleted_stage_output_is_rebuilt_from_checkpoints[candidates.parquet]",
            "test_build_and_eval_refuse_a_run_whose_files_do_not_match_their_marker",
            # not test_corrupted_checkpoint[conversations/candidates.parquet-repaired]: it deletes the marker
            # first, so it passed with this fix taken out (2026-12-04); this test keeps the marker
            "test_a_garbled_stage_output_under_its_marker_is_rebuilt")),
    Revert("run-lock", "one process per run directory (flock on the folder and RUN/.lock)",
           (("synthetic_persona_chat/lock.py", "        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n",
             "        pass  # REVERTED: no lock\n"),),
           ("test_second_generate_on_one_run_dir_is_refused",)),
    Revert("config-types", "config values are type-checked before anything is written",
           (("synthetic_persona_chat/config.py", "    if not matches(value, expected):\n",
             "    if False:  # REVERTED: no type check\n"),),
           ("test_bad_config_is_one_line_and_writes_nothing",)),
    Revert("verbose-traceback", "-v prints the traceback before the one line",
           (("synthetic_persona_chat/cli.py", "    if verbose or code == errors.UNEXPECTED.code:\n",
             "    if code == errors.UNEXPECTED.code:  # REVERTED: -v ignored\n"),),
           ("test_verbose_shows_the_traceback",)),
    Revert("llm-error-resume-hint", "a dead endpoint's error says finished batches are saved and to rerun",
           (("synthetic_persona_chat/generation/iterate.py",
             'except LLMError as exc:\n        raise LLMError(f"{exc}\\nfinished batches',
             NEVER + ' as exc:  # REVERTED\n        raise LLMError(f"{exc}\\nfinished batches'),),
           ("test_dead_endpoint_then_rerun",)),
    Revert("http-retries", "429 / 5xx / timeouts are retried with backoff",
           (("synthetic_persona_chat/models/llm/openai_compat.py",
             "        for attempt in range(self.max_retries + 1):\n",
             "        for attempt in range(1):  # REVERTED: one try\n"),),
           ("test_rate_limit_and_server_error_storms[429-4-0]", "test_rate_limit_and_server_error_storms[503-6-0]",
            "test_rate_limit_and_server_error_storms[500-10000-6]")),
    Revert("export-staging-cleanup", "a failed export removes its half-written staging folder",
           (("builder/export.py", "    finally:\n        shutil.rmtree(staging, ignore_errors=True)\n",
             "    finally:\n        pass  # REVERTED: staging left behind\n"),),
           ("test_file_size_limit_mid_run_then_rerun",)),
    Revert("disk-full-fix", "a full disk's line says to free space and rerun",
           (("synthetic_persona_chat/errors.py", '"free disk space (or use a folder on another disk)',
             '"no space (REVERTED)'),),
           ("test_small_tmpfs_fills_up_then_grows",)),
    Revert("os-error-names-file", "an OS error's line names the file the system named",
           (("synthetic_persona_chat/errors.py",
             '    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f) or '
             '"(file not named by the system)"\n',
             '    where = "(file not named by the system)"  # REVERTED\n'),),
           ("test_read_only_folders",)),
    Revert("export-umask", "the export gets 0777 & ~umask, not mkdtemp's 0700",
           (("builder/export.py", "        _open_permissions(staging)\n", "        pass  # REVERTED\n"),),
           ("test_export_respects_umask_and_refuses_a_read_only_export",)),
    Revert("atomic-units", "a checkpoint unit is written in a temporary folder and renamed when complete",
           (("synthetic_persona_chat/checkpoint.py",
             '        tmp = self.directory / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"\n        tmp.mkdir()\n',
             "        tmp = final  # REVERTED: written in place, its marker first\n        tmp.mkdir(exist_ok=True)\n"
             '        (tmp / UNIT_FILE).write_text("{}", encoding="utf-8")\n'),
            ("synthetic_persona_chat/checkpoint.py",
             "            if final.exists():  # a unit is only written again when its caller chose to recompute it\n"
             "                shutil.rmtree(final)\n            os.rename(tmp, final)\n",
             "            pass  # REVERTED\n")),
           ("test_kill_9_during_generation_then_resume[first batch]",
            "test_kill_9_during_generation_then_resume[iteration 1 done]",
            "test_kill_9_during_generation_then_resume[candidates written]",
            "test_kill_9_during_generation_then_resume[units half-written]")),
    Revert("export-recovery", "an export killed mid-way leaves no staging folder after the next build",
           (("builder/export.py", '    for kind in ("staging", "old"):\n        prefix = _leftover_prefix(out, kind)\n',
             '    for kind in ():  # REVERTED: nothing recovered\n        prefix = _leftover_prefix(out, kind)\n'),),
           ("test_kill_9_during_build_export",)),
    Revert("skips-replaced", "a stage's skips replace what it recorded before (a resume records none twice)",
           (("synthetic_persona_chat/rundir.py",
             '        lines = [json.dumps(r, ensure_ascii=False) for r in old if r.get("stage") != stage] + mine\n',
             "        lines = [json.dumps(r, ensure_ascii=False) for r in old] + mine  # REVERTED: appended\n"),),
           # the kill test alone passes without the fix (its kill lands before any skip is published twice):
           # the two below make the repeated publication exactly
           ("test_kill_9_during_expansion_rounds_and_profile_chunks_then_resume",
            "tests/test_rundir.py::test_a_skip_is_recorded_once_when_a_resumed_stage_records_it_again",
            "tests/usergen/test_skips_once.py::test_skips_recorded_before_a_checkpoint_are_not_recorded_again_on_resume")),
    Revert("eval-clip", "eval cuts an overlong utterance and records why",
           (("eval/data.py", "            if len(turn.text) > limit:\n", "            if False:  # REVERTED\n"),),
           ("test_eval_quality_truncates_an_overlong_utterance_and_says_so",)),
    Revert("unit-delete-hint", "a damaged checkpoint unit's line names the folder to delete",
           (("synthetic_persona_chat/checkpoint.py",
             '        fix = f"delete {folder} and rerun the same command: that unit is computed again"\n',
             '        fix = "rerun the same command"  # REVERTED\n'),),
           ("test_corrupted_checkpoint[conversations/iter-1/batch-00000/candidates.parquet-named]",
            "test_corrupted_checkpoint[conversations/iter-1/batch-00000/unit.json-named]")),
    Revert("plan-recomputed", "a damaged plan.json is recomputed from the config",
           (("synthetic_persona_chat/generation/engine.py",
             "        except (json.JSONDecodeError, UnicodeDecodeError):  # damaged",
             f"        {NEVER}:  # REVERTED; damaged"),),
           ("test_corrupted_checkpoint[conversations/iter-1/plan.json-repaired]",)),
    Revert("damaged-marker-reruns", "a damaged _done.json makes the stage run again",
           (("synthetic_persona_chat/rundir.py", "        except RunDirError:\n            data = None\n",
             f"        {NEVER}:  # REVERTED\n            data = None\n"),),
           ("test_corrupted_checkpoint[conversations/_done.json-repaired]",)),
    Revert("skips-lines-tolerated", "a damaged skips.jsonl line is ignored, the rest still counts",
           (("synthetic_persona_chat/rundir.py",
             "            except json.JSONDecodeError:  # a line cut by a kill or a full disk: the rest still counts\n",
             f"            {NEVER}:  # REVERTED\n"),),
           ("test_corrupted_checkpoint[skips.jsonl-repaired]",)),
    Revert("json-names-file", "a damaged JSON file of the run is named with its fix",
           (("synthetic_persona_chat/rundir.py",
             'return json.loads(path.read_text(encoding="utf-8"))\n        except (json.JSONDecodeError, UnicodeDecodeError',
             'return json.loads(path.read_text(encoding="utf-8"))\n        except (ImportError'),),  # REVERTED
           ("test_corrupted_checkpoint[manifest.json-named]",)),
    Revert("yaml-names-file", "a damaged config.yaml is named with its fix",
           (("synthetic_persona_chat/rundir.py", "        except (yaml.YAMLError, UnicodeDecodeError) as exc:\n",
             f"        {NEVER} as exc:  # REVERTED\n"),),
           ("test_corrupted_checkpoint[config.yaml-named]",)),
    Revert("requested-is-an-aid", "a damaged requested.yaml falls back to config.yaml",
           (("synthetic_persona_chat/rundir.py",
             "            except RunDirError as exc:  # only a comparison aid",
             f"            {NEVER} as exc:  # REVERTED; only a comparison aid"),),
           ("test_corrupted_checkpoint[requested.yaml-repaired]",)),
    Revert("sqlite-names-file", "a damaged SQLite cache is named with its fix",
           (("synthetic_persona_chat/kvstore.py", "            raise named_error(exc, self.path, self._table) from exc\n",
             "            raise  # REVERTED: sqlite's words only\n"),),
           ("test_corrupted_checkpoint[cache/llm.sqlite-named]",)),
    Revert("lock-holder-tolerated", "a damaged RUN/.lock is taken over",
           (("synthetic_persona_chat/lock.py", "    except (OSError, ValueError):\n        return {}\n",
             f"    {NEVER}:  # REVERTED\n        return {{}}\n"),),
           ("test_corrupted_checkpoint[.lock-repaired]",)),
    Revert("tag-rollback", "a tag the Hub refuses rolls main back to the files before the push",
           (("builder/publish.py", "        undo = roll_back(api, plan.repo_id, commit, head, plan.revision)\n",
             "        raise  # REVERTED: main keeps the untagged version\n"),),
           (f"{HUB_VERSIONS}::test_a_refused_tag_rolls_main_back_at_once[forbidden]",)),
    Revert("pending-settled", "a version left untagged by a killed push is completed or rolled back next push",
           (("builder/publish.py", "    settled = settle(api, state.pending) if state.pending else None\n",
             "    settled = None  # REVERTED: the pending version is left as it is\n"),),
           (f"{HUB_VERSIONS}::test_a_push_killed_between_commit_and_tag_is_completed_by_the_next",
            f"{HUB_VERSIONS}::test_an_untagged_commit_that_is_not_whole_is_rolled_back")),
)


def snapshot(dest: Path, tree: str = "head", paths: tuple[str, ...] = ()) -> None:
    """The committed tree (others' unfinished edits stay out), any other commit (`tree` names it: to test the
    code as it was), or with `tree="working"` the working tree's files (tracked and untracked, not ignored: for
    when HEAD alone does not run); `paths` limits it to those folders or files; sub-packages in place."""
    if tree != "working":
        rev = "HEAD" if tree == "head" else tree
        data = subprocess.run(["git", "archive", rev, *paths], cwd=REPO, check=True, capture_output=True).stdout
        with tarfile.open(fileobj=BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
    else:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *paths],
                                cwd=REPO,
                                check=True, capture_output=True).stdout.decode().split("\0")
        for rel in filter(None, listed):
            if (REPO / rel).is_file():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(REPO / rel, dest / rel)
    for folder, name in SUBPACKAGES.items():
        if (dest / folder).is_dir():
            shutil.copytree(dest / folder, dest / "synthetic_persona_chat" / name, dirs_exist_ok=True)


SEAL = """\"\"\"Written by scripts/prove_faults.py: this copy imports only its own modules. The editable install's
finder would otherwise find a module the copy lacks (one newer than it) in the working tree.\"\"\"
import sys

sys.meta_path[:] = [f for f in sys.meta_path if getattr(f, "__name__", "") != "_EditableFinder"]
"""


def seal(dest: Path) -> None:
    """Make the copy self-contained: its sitecustomize (imported at start-up from PYTHONPATH, by the tests and
    by the `spc` children alike) drops the editable install's finder."""
    (dest / "sitecustomize.py").write_text(SEAL, encoding="utf-8")


def apply(dest: Path, edits: tuple[tuple[str, str, str], ...]) -> str | None:
    """Apply the edits in the copy (to the sub-package copy too); None, or why the entry is stale."""
    for rel, old, new in edits:
        targets = [dest / rel] + ([dest / "synthetic_persona_chat" / rel] if rel.split("/")[0] in SUBPACKAGES else [])
        for path in targets:
            text = path.read_text(encoding="utf-8")
            if text.count(old) != 1:
                return f"{rel}: the fix's code was found {text.count(old)} times (expected once)"
            path.write_text(text.replace(old, new), encoding="utf-8")
    return None


def run_tests(dest: Path, tests: tuple[str, ...], timeout: float) -> dict[str, str]:
    """{test: failed | PASSED | skipped | error} for the node ids, run in the copy."""
    nodes = [t if "::" in t else f"{SUITE}::{t}" for t in tests]
    report = pytest_in(dest, nodes, timeout)
    if report is None:
        return {t: "timed out" for t in tests}
    if not report.exists():
        return {t: "error (no report)" for t in tests}
    out = statuses(report)
    return {t: out.get(t.rpartition("::")[2], "not collected") for t in tests}


def pytest_in(dest: Path, nodes: list[str], timeout: float) -> Path | None:
    """Run pytest on the node ids in the copy; its junit report (None: timed out). Its output is kept in
    dest/pytest.out (why a test was not collected)."""
    report = dest / "junit.xml"
    extra = os.environ.get("PYTHONPATH")  # after the copy: e.g. where an optional extra is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(dest), extra])), "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "SPC_SHARED_DATA": os.environ.get("SPC_SHARED_DATA", str(REPO.parent / "shared" / "data"))}
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                               "-o", "junit_logging=system-out",  # what a test prints (figures) stays in the report
                               *nodes], cwd=dest, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    (dest / "pytest.out").write_text(done.stdout + done.stderr, encoding="utf-8")
    return report


def statuses(report: Path) -> dict[str, str]:
    """{test name (with its parameters): passed | failed: <message> | error in setup | skipped (why)}."""
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        status = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                why = " ".join((child.get("message") or "").split())[:90].replace("|", "/")
                status = f"{'failed' if child.tag == 'failure' else 'error in setup'}: {why}"
            elif child.tag == "skipped":
                status = f"skipped ({(child.get('message') or '')[:60]})"
        out[case.get("name", "")] = status
    return out


def prove(revert: Revert, timeout: float, tree: str = "head") -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix=f"spc-prove-{revert.name}-") as tmp:
        dest = Path(tmp)
        snapshot(dest, tree)
        stale = apply(dest, revert.edits)
        started = time.perf_counter()
        results = {t: f"stale: {stale}" for t in revert.tests} if stale else run_tests(dest, revert.tests, timeout)
        seconds = round(time.perf_counter() - started)
    return [{"test": t, "fix taken out": revert.fix, "revert": revert.name, "without the fix": r, "seconds": seconds}
            for t, r in results.items()]


def table(rows: list[dict[str, str]]) -> str:
    lines = ["| fault test | fix taken out | test without the fix |", "|---|---|---|"]
    lines += [f"| `{r['test']}` | {r['fix taken out']} | {r['without the fix']} |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="revert names (see --list)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--check", action="store_true", help="only check that every edit still applies (no tests)")
    ap.add_argument("--out", type=Path, help="also write the table (markdown) here, updated after each entry")
    ap.add_argument("--timeout", type=float, default=1500, help="seconds per entry")
    ap.add_argument("--tree", choices=("head", "working"), default="head",
                    help="copy the committed tree (default) or the working tree")
    ap.add_argument("--baseline", action="store_true", help="run the chosen entries' tests with no edit first")
    args = ap.parse_args()
    if args.list:
        for r in REVERTS:
            print(f"{r.name}: {r.fix} ({len(r.tests)} test(s))")
        return
    chosen = [r for r in REVERTS if not args.only or r.name in args.only]
    if args.check:
        for revert in chosen:
            with tempfile.TemporaryDirectory() as tmp:
                snapshot(Path(tmp), args.tree)
                print(f"{revert.name}: {apply(Path(tmp), revert.edits) or 'applies'}")
        return
    rows: list[dict[str, str]] = []
    if args.baseline:  # the tests pass on the copy as it is: a failure below is the edit's doing
        base = Revert("none", "nothing (baseline)", (), tuple(t for r in chosen for t in r.tests))
        rows += prove(base, args.timeout * len(chosen), args.tree)
    for revert in chosen:
        rows += prove(revert, args.timeout, args.tree)
        for row in rows[-len(revert.tests):]:
            print(f"{row['test']}: {row['without the fix']} ({row['seconds']} s)", flush=True)
        if args.out:
            args.out.write_text(table(rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
