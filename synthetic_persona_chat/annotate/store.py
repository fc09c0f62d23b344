"""A study's state in one SQLite file: items, invite tokens (hashed), queues and answers.

Why SQLite, and how it is used:
- The app may be killed at any moment (a laptop closed, a Space restarted). Each answer is one
  committed transaction, written with `synchronous=FULL` in WAL mode, so what an annotator saw as
  "saved" survives a crash, and a restarted server continues every queue where it stopped.
- A submission is checked and written inside one `BEGIN IMMEDIATE` transaction (the write lock is
  taken before the checks), so two annotators submitting at the same moment are serialised by the
  database, never by luck; `busy_timeout` makes the second one wait instead of failing.
- The page is never trusted: the token, the item id and the answer all come from the browser, so
  every submission is re-checked here: the token must be an annotator's, the item must be that
  annotator's *current* item, not answered yet (UNIQUE(annotator, item) backs this up), and the
  answer must use the item's allowed values. A refused submission writes nothing.
- Only sha256 hashes of tokens are stored: a leaked study file does not leak the invite links.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, TypedDict

from synthetic_persona_chat.errors import StorageError

from .config import StudyConfig
from .items import Item, questions

STUDY_DB = "study.sqlite"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (id TEXT PRIMARY KEY, task TEXT NOT NULL, dataset TEXT NOT NULL, iteration INTEGER,
                    body TEXT NOT NULL);
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL
                     CHECK (role IN ('annotator', 'admin')), token_sha256 TEXT NOT NULL UNIQUE);
CREATE TABLE assignments (person_id INTEGER NOT NULL REFERENCES people(id), item_id TEXT NOT NULL REFERENCES items(id),
                          position INTEGER NOT NULL, served_at REAL,
                          PRIMARY KEY (person_id, item_id), UNIQUE (person_id, position));
CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, person_id INTEGER NOT NULL REFERENCES people(id),
                      item_id TEXT NOT NULL REFERENCES items(id), answer TEXT NOT NULL, answered_at REAL NOT NULL,
                      seconds REAL, UNIQUE (person_id, item_id),
                      FOREIGN KEY (person_id, item_id) REFERENCES assignments(person_id, item_id));
"""


class Refused(ValueError):
    """A submission or page request the study does not accept; the message is shown to the annotator."""


class StudyDamagedError(StorageError):
    """The study database is not a readable SQLite file; the message names it and how to recover it."""



def study_file(study_dir: str | Path) -> Path:
    """The study's database, or an error saying how to create it (every command but `create` needs one)."""
    path = Path(study_dir) / STUDY_DB
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: create the study first with `spc annotate create {study_dir} ...`")
    return path

@dataclass
class Person:
    id: int
    name: str
    role: str


@dataclass
class Current:
    """What an annotator's page shows: their next item (None when done) and their progress."""

    person: Person
    item: Item | None
    done: int
    total: int


TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def well_formed(token: object) -> bool:
    """Whether `token` could be one of ours (`new_token`: 32 URL-safe characters). Anything else (a lone
    surrogate that cannot even be encoded, a megabyte of text, a list) is refused before it is hashed,
    like a wrong token, instead of raising inside the app."""
    return isinstance(token, str) and 0 < len(token) <= 128 and TOKEN_CHARS.issuperset(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class RecordedAnswer(TypedDict):
    """One stored answer as `StudyStore.answers` gives it: who answered which item what, when and how fast.
    A TypedDict rather than a dataclass because its readers (results, export, tests) index it by key."""

    answer_id: int
    annotator: str
    item: Item
    answer: dict[str, str]  # question -> the answer given (validated: `validate_answer`)
    answered_at: float
    seconds: float | None


class ProgressRow(TypedDict):
    """One annotator's line of the admin page's progress table."""

    annotator: str
    answered: int
    assigned: int
    last_answer: str  # local time "%Y-%m-%d %H:%M:%S", "" before the first answer


class StudyStore:
    """One study file. Every call opens its own connection: Gradio runs handlers on worker threads."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path} does not exist: create the study with `spc annotate create`")

    @classmethod
    def create(cls, path: str | Path, config: StudyConfig, items: list[Item], queues: dict[int, list[str]],
               names: list[str] | None = None) -> tuple["StudyStore", dict[str, str]]:
        """Write a new study; returns the store and {person name: token} (the admin is "admin").
        The tokens are shown once: only their hashes are kept."""
        path = Path(path)
        if path.exists():
            raise FileExistsError(f"{path} already holds a study: use a new study folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        names = names or [f"annotator-{i + 1}" for i in range(config.annotators)]
        tokens = {name: new_token() for name in [*names, "admin"]}
        con = _connect(path)
        try:
            con.executescript(SCHEMA)
            with _transaction(con):
                con.executemany("INSERT INTO meta VALUES (?, ?)", [
                    ("schema_version", str(SCHEMA_VERSION)), ("created_at", str(time.time())),
                    ("config", json.dumps(config.to_dict(), ensure_ascii=False))])
                con.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?)", [
                    (it.id, it.task, it.dataset, it.iteration, json.dumps(it.to_dict(), ensure_ascii=False))
                    for it in items])
                for name, token in tokens.items():
                    role = "admin" if name == "admin" else "annotator"
                    con.execute("INSERT INTO people (name, role, token_sha256) VALUES (?, ?, ?)",
                                (name, role, token_hash(token)))
                ids = {n: i for i, n in con.execute("SELECT id, name FROM people WHERE role = 'annotator'")}
                con.executemany("INSERT INTO assignments (person_id, item_id, position) VALUES (?, ?, ?)", [
                    (ids[names[a]], item_id, pos) for a, queue in queues.items() for pos, item_id in enumerate(queue)])
        finally:
            con.close()
        return cls(path), tokens

    @contextmanager
    def _con(self) -> Iterator[sqlite3.Connection]:
        with damaged_named(self.path):
            con = _connect(self.path)
            try:
                yield con
            finally:
                con.close()

    def config(self) -> StudyConfig:
        with self._con() as con:
            (text,) = con.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        return StudyConfig.from_dict(json.loads(text))

    def person(self, token: str | None, role: str = "annotator") -> Person:
        """The person a token belongs to, in the role asked for; refused otherwise (same message either way,
        so a guesser learns nothing about which tokens exist)."""
        if well_formed(token):
            with self._con() as con:
                row = con.execute("SELECT id, name, role FROM people WHERE token_sha256 = ?",
                                  (token_hash(token),)).fetchone()
            if row and row[2] == role:
                return Person(*row)
        raise Refused("this link is not valid: ask the study's organiser for your invite link")

    def current(self, token: str | None) -> Current:
        """The annotator's first unanswered item in queue order (marked as served for timing)."""
        person = self.person(token)
        with self._con() as con, _transaction(con):
            return self._current(con, person, mark_served=True)

    def _current(self, con: sqlite3.Connection, person: Person, mark_served: bool) -> Current:
        total, done = con.execute(
            "SELECT COUNT(*), COUNT(an.id) FROM assignments a LEFT JOIN answers an "
            "ON an.person_id = a.person_id AND an.item_id = a.item_id WHERE a.person_id = ?", (person.id,)).fetchone()
        row = con.execute(
            "SELECT i.body, a.served_at FROM assignments a JOIN items i ON i.id = a.item_id "
            "WHERE a.person_id = ? AND NOT EXISTS (SELECT 1 FROM answers an WHERE an.person_id = a.person_id "
            "AND an.item_id = a.item_id) ORDER BY a.position LIMIT 1", (person.id,)).fetchone()
        if row is None:
            return Current(person, None, done, total)
        item = Item.from_dict(json.loads(row[0]))
        if mark_served and row[1] is None:
            con.execute("UPDATE assignments SET served_at = ? WHERE person_id = ? AND item_id = ?",
                        (time.time(), person.id, item.id))
        return Current(person, item, done, total)

    def submit(self, token: str | None, item_id: str | None, answer: Any) -> Current:
        """Record one answer and return the next item; `Refused` (nothing written) when anything is off.
        `answer` is the page's JSON as sent, untrusted: `validate_answer` checks its shape first."""
        person = self.person(token)
        if not isinstance(item_id, str):  # the page is not trusted: an id of another type is no item of ours
            raise Refused("this item is not in your queue: nothing was recorded")
        with self._con() as con, _transaction(con):
            assigned = con.execute("SELECT served_at FROM assignments WHERE person_id = ? AND item_id = ?",
                                   (person.id, item_id)).fetchone()
            if assigned is None:
                raise Refused("this item is not in your queue: nothing was recorded")
            if con.execute("SELECT 1 FROM answers WHERE person_id = ? AND item_id = ?",
                           (person.id, item_id)).fetchone():
                raise Refused("you already answered this item: your first answer stands, nothing was recorded")
            cur = self._current(con, person, mark_served=False)
            if cur.item is None or cur.item.id != item_id:
                raise Refused("this is not your current item (the page is out of date): reload the page")
            clean = validate_answer(cur.item, answer)
            now = time.time()
            con.execute("INSERT INTO answers (person_id, item_id, answer, answered_at, seconds) VALUES (?, ?, ?, ?, ?)",
                        (person.id, item_id, json.dumps(clean, sort_keys=True), now,
                         None if assigned[0] is None else round(now - assigned[0], 3)))
            return self._current(con, person, mark_served=True)

    def progress(self, admin_token: str | None) -> list[ProgressRow]:
        """Per annotator: answered / assigned and the time of the last answer (admin only)."""
        self.person(admin_token, role="admin")
        with self._con() as con:
            rows = con.execute(
                "SELECT p.name, COUNT(a.item_id), COUNT(an.id), MAX(an.answered_at) FROM people p "
                "JOIN assignments a ON a.person_id = p.id LEFT JOIN answers an ON an.person_id = a.person_id "
                "AND an.item_id = a.item_id WHERE p.role = 'annotator' GROUP BY p.id ORDER BY p.id").fetchall()
        return [ProgressRow(annotator=n, answered=d, assigned=t,
                            last_answer=time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last)) if last else "")
                for n, t, d, last in rows]

    def answers(self) -> list[RecordedAnswer]:
        """Every recorded answer with its item, in the order they were given."""
        with self._con() as con:
            rows = con.execute(
                "SELECT an.id, p.name, i.body, an.answer, an.answered_at, an.seconds FROM answers an "
                "JOIN people p ON p.id = an.person_id JOIN items i ON i.id = an.item_id ORDER BY an.id").fetchall()
        return [RecordedAnswer(answer_id=aid, annotator=name, item=Item.from_dict(json.loads(body)),
                               answer=json.loads(ans), answered_at=at, seconds=secs)
                for aid, name, body, ans, at, secs in rows]

    def item(self, item_id: str | None) -> Item | None:
        if not isinstance(item_id, str):
            return None
        with self._con() as con:
            row = con.execute("SELECT body FROM items WHERE id = ?", (item_id,)).fetchone()
        return Item.from_dict(json.loads(row[0])) if row else None

    def items(self) -> list[Item]:
        with self._con() as con:
            return [Item.from_dict(json.loads(b)) for (b,) in con.execute("SELECT body FROM items ORDER BY rowid")]


def validate_answer(item: Item, answer: Any) -> dict[str, str]:
    """Exactly the item's questions, each with one of its allowed values."""
    allowed = questions(item)
    if not isinstance(answer, dict) or set(answer) != set(allowed):
        missing = sorted(set(allowed) - set(answer or {})) if isinstance(answer, dict) else sorted(allowed)
        raise Refused(f"please answer every question ({', '.join(missing) or 'unexpected fields'}): nothing was "
                      f"recorded")
    for key, value in answer.items():
        if value not in allowed[key]:
            raise Refused(f"{key}: {value!r} is not one of {list(allowed[key])}: nothing was recorded")
    return {k: str(v) for k, v in answer.items()}


@contextmanager
def damaged_named(path: Path) -> Iterator[None]:
    """sqlite's "file is not a database" names no file, and the generic advice for a damaged cache is to
    delete it: for a study that deletes every human answer. So a damaged study file is named, with the
    ways to get the answers back."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        if not any(word in str(exc).lower() for word in ("not a database", "malformed", "corrupt")):
            raise
        raise StudyDamagedError(
            f"{path} is damaged ({exc}). It holds every annotator's answers: keep it, and do not let the app "
            f"write to it. Restore it from a backup (stop `spc annotate serve` first), or recover what is "
            f"readable into a new file with `sqlite3 {path} .recover | sqlite3 recovered.sqlite`, then move "
            f"the damaged file aside and put recovered.sqlite in its place") from exc


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=30000")
    return con


@contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (a refusal included)."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
