"""The annotation app in a real browser: Debian's headless Chromium driven by Selenium (nothing downloads a
browser). Two annotators work at the same time, the server is killed (SIGKILL) and restarted half-way,
both resume where they were, and the report's numbers equal the answers clicked. A bad token, a replayed
submission, a tampered item id and a tampered token are refused with nothing recorded.

Outside CI the test skips, with the reason, when chromium/chromedriver/gradio/selenium are missing
(`bash scripts/setup-browser.sh` installs them); in CI (CI=true) it must run. The screenshot of the
annotation page goes to docs/annotate-page.png with SPC_UPDATE_SCREENSHOTS=1, else to the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from synthetic_persona_chat.annotate.commands import INVITES, create_study
from synthetic_persona_chat.annotate.config import StudyConfig
from synthetic_persona_chat.annotate.store import STUDY_DB, StudyStore

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def _missing() -> str | None:
    for mod in ("gradio", "selenium"):
        try:
            __import__(mod)
        except ImportError:
            return f"{mod} is not installed (bash scripts/setup-browser.sh)"
    if not CHROMIUM or not CHROMEDRIVER:
        return "Debian's chromium / chromium-driver are not installed (bash scripts/setup-browser.sh)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _browser_available():
    reason = _missing()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    if reason:
        pytest.skip(reason)


class Server:
    """`spc annotate serve` in its own process, so the test can kill it like a crash would."""

    def __init__(self, study: Path):
        self.study, self.port, self.proc = study, _free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
        self.proc = subprocess.Popen([sys.executable, "-m", "synthetic_persona_chat.cli", "annotate", "serve",
                                      str(self.study), "--port", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not open its port in 90 s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1100"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


class Page:
    """One annotator's browser tab."""

    def __init__(self, driver, url: str):
        self.d, self.url = driver, url

    def open(self) -> str:
        self.d.get(self.url)
        return self.wait_status(lambda s: s.startswith(("Item", "All done")) or "not valid" in s)

    def status(self) -> str:
        """The status Markdown's text, without Gradio's "processing | 0.3s" progress overlay."""
        text = self.d.find_element("id", "spc-status").text
        return "\n".join(line for line in text.splitlines() if not line.startswith("processing")).strip()

    def wait_status(self, ok, timeout: float = 60) -> str:
        from selenium.common.exceptions import WebDriverException

        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                text = self.status()
                if ok(text):
                    return text
            except WebDriverException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"page status stayed {self.status()!r}")

    def task(self) -> str:
        for task, elem in (("turing", "spc-machine"), ("faithfulness", "spc-contradicts")):
            if self.shown(elem):
                return task
        return "quality"

    def shown(self, elem_id: str) -> bool:
        """Gradio leaves invisible components out of the page, so absent = hidden."""
        found = self.d.find_elements("id", elem_id)
        return bool(found) and found[0].is_displayed()

    def click(self, elem_id: str, value: str) -> None:
        self.d.find_element("css selector", f"#{elem_id} input[value='{value}']").click()

    def answer(self, script: dict[str, str]) -> None:
        """Click the scripted choices; Svelte may re-render a radio between finding and clicking it, or the
        previous event's loading overlay may still cover it, or a shown group not hold its radios yet, for a
        moment (a busy machine), so the click is tried again (a few times) rather than failing the run."""
        from selenium.common.exceptions import (ElementClickInterceptedException, NoSuchElementException,
                                                StaleElementReferenceException)

        for attempt in range(10):
            try:
                return self._answer(script)
            except (StaleElementReferenceException, ElementClickInterceptedException, NoSuchElementException):
                if attempt == 9:
                    raise
                time.sleep(0.3)

    def _answer(self, script: dict[str, str]) -> None:
        task = self.task()
        if task == "turing":
            self.click("spc-machine", script["turing"])
        elif task == "faithfulness":
            self.click("spc-contradicts", script["faithfulness"])
        else:
            for radio in self.d.find_elements("css selector", "fieldset[id^='spc-aspect-']"):
                if radio.is_displayed():
                    self.click(radio.get_attribute("id"), script["quality"])

    def set_hidden(self, elem_id: str, value: str) -> None:
        """What a user with the browser's dev tools can do: rewrite a hidden field."""
        self.d.execute_script(
            "const t = document.querySelector(`#${arguments[0]} textarea`);"
            "Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set.call(t, arguments[1]);"
            "t.dispatchEvent(new Event('input', {bubbles: true})); t.dispatchEvent(new Event('change', {bubbles: true}));",
            elem_id, value)

    def hidden(self, elem_id: str) -> str:
        return self.d.execute_script(f"return document.querySelector('#{elem_id} textarea').value")

    def submit(self) -> None:
        self.d.find_element("id", "spc-submit").click()


# annotator-1 always clicks the left conversation, annotator-2 the right one (quality: tie) and disagrees
# on faithfulness: which of these name the synthetic conversation depends only on the recorded sides.
SCRIPTS = {"annotator-1": {"turing": "left", "quality": "left", "faithfulness": "yes"},
           "annotator-2": {"turing": "right", "quality": "tie", "faithfulness": "no"}}


def _answer_items(page: Page, script: dict[str, str], count: int) -> None:
    for _ in range(count):
        before = page.status()
        page.answer(script)
        page.submit()
        page.wait_status(lambda s, b=before: s.split("\n")[0] not in ("", b.split("\n")[0]))
        assert "⚠" not in page.status(), page.status()


def _run_both(pages: dict[str, Page], count: int) -> None:
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            _answer_items(pages[name], SCRIPTS[name], count)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in pages]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _answers(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    finally:
        con.close()


def test_two_annotators_survive_a_server_kill_and_the_report_matches(tmp_path, run_dir):
    config = StudyConfig(name="Human study (browser test)", real="spc-sample:test", synthetic={"run": str(run_dir)},
                         tasks=("turing", "quality", "faithfulness"), aspects=("depth", "coherency"),
                         annotators=2, items_per_annotator=9, overlap=2, seed=11).validate()
    study = tmp_path / "study"
    tokens = create_study(study, config)
    (study / INVITES).write_text("\n".join(f"{k}\t{v}" for k, v in tokens.items()))
    db = study / STUDY_DB
    server = Server(study).start()
    drivers = {name: _browser() for name in SCRIPTS}
    try:
        pages = {name: Page(drivers[name], f"{server.url}/?token={tokens[name]}") for name in SCRIPTS}
        for page in pages.values():
            assert page.open() == "Item 1 of 9"
        shot_dir = REPO / "docs" if os.environ.get("SPC_UPDATE_SCREENSHOTS") == "1" else tmp_path
        shot = shot_dir / "annotate-page.png"
        d1 = drivers["annotator-1"]
        d1.set_window_size(1400, min(3000, d1.execute_script("return document.body.scrollHeight") + 120))
        d1.save_screenshot(str(shot))  # the whole page: both conversations, the question and Submit
        d1.set_window_size(1400, 1100)
        assert shot.stat().st_size > 20_000

        _run_both(pages, 4)
        assert _answers(db) == 8
        _refusals(pages["annotator-1"], server, drivers["annotator-1"], db, tokens)

        server.kill()  # a crash: no shutdown handler runs
        server.start()
        for page in pages.values():
            assert page.open() == "Item 5 of 9"  # resumed from the database, not the browser
        _run_both(pages, 5)
        for page in pages.values():
            assert page.status().startswith("All done")
        assert _answers(db) == 18

        admin = Page(drivers["annotator-2"], f"{server.url}/admin?token={tokens['admin']}")
        admin.d.get(admin.url)
        _wait_text(admin.d, "spc-admin-status", "18 of 18 answers in")
        admin.d.get(f"{server.url}/admin?token={tokens['annotator-1']}")  # an annotator is not an admin
        _wait_text(admin.d, "spc-admin-status", "not valid")
    finally:
        for d in drivers.values():
            d.quit()
        server.kill()
    _report_matches_clicks(study, tmp_path / "eval")


def _refusals(page: Page, server: Server, driver, db: Path, tokens: dict[str, str]) -> None:
    """Each refused; the answer count does not move."""
    n = _answers(db)
    done_item = _first_answered(db, "annotator-1")
    current = page.hidden("spc-item-id")
    # a replayed submission: the answered item's id put back into the page and submitted again
    page.set_hidden("spc-item-id", done_item)
    page.answer(SCRIPTS["annotator-1"])
    page.submit()
    page.wait_status(lambda s: "already answered" in s)
    assert _answers(db) == n
    # a tampered item id: one that is not in this annotator's queue
    page.set_hidden("spc-item-id", "f" * 16)
    page.answer(SCRIPTS["annotator-1"])
    page.submit()
    page.wait_status(lambda s: "not in your queue" in s)
    assert _answers(db) == n
    # a tampered token on a valid page
    page.set_hidden("spc-item-id", current)
    page.set_hidden("spc-token", "x" + tokens["annotator-1"])
    page.answer(SCRIPTS["annotator-1"])
    page.submit()
    page.wait_status(lambda s: "not valid" in s)
    assert _answers(db) == n
    # a bad invite link: no queue is shown at all
    bad = Page(driver, f"{server.url}/?token=guessed-token")
    assert "not valid" in bad.open()
    assert not bad.shown("spc-submit") and not bad.shown("spc-machine")
    assert _answers(db) == n


def _first_answered(db: Path, name: str) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT an.item_id FROM answers an JOIN people p ON p.id = an.person_id "
                           "WHERE p.name = ? ORDER BY an.id LIMIT 1", (name,)).fetchone()[0]
    finally:
        con.close()


def _wait_text(driver, elem_id: str, text: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if text in driver.find_element("id", elem_id).text:
                return
        except Exception:  # noqa: BLE001 - element not rendered yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"#{elem_id} never showed {text!r}")


def _report_matches_clicks(study: Path, out: Path) -> None:
    """Expected figures from the scripts and the recorded sides alone, then `spc annotate results` +
    `spc eval report` through the CLI."""
    from synthetic_persona_chat.cli import main

    store = StudyStore(study / STUDY_DB)
    expected: dict = {}
    for item in store.items():
        if item.task != "turing":
            continue
        named = sum(SCRIPTS[n]["turing"] == item.synthetic_side for n in SCRIPTS)
        k, total = expected.get(item.iteration, (0, 0))
        expected[item.iteration] = (k + named, total + 2)
    assert main(["annotate", "results", str(study), "--out", str(out)]) == 0
    assert main(["eval", "report", str(out)]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    for it, (k, n) in expected.items():
        assert f"| run | {it} | {n} | {k / n:.3f} [" in md, md
    assert (out / "plots" / "human_evaluation.png").exists()
