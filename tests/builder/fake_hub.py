"""A small Hugging Face Hub on 127.0.0.1: the routes the real `huggingface_hub` client calls to create a
dataset repo, upload files in one commit (preupload, LFS batch + PUT, NDJSON commit, validate-yaml), tag
it, and the routes `datasets.load_dataset("ns/name")` downloads through (repo info, tree, paths-info,
resolve). Nothing in huggingface_hub is patched: clients reach it with HF_ENDPOINT and HF_HUB_DISABLE_XET=1.

`hub.fail_commits = n` makes the next n commit requests answer 500 (a failed upload); `hub.lost_acks = n` applies
the next n commits and answers them 500 (the acknowledgement lost); `hub.stall["route"] = s` answers that route
after s seconds (a Hub that hangs).
`hub.fail["create_repo"] = [429, 429]` makes the next requests of that route answer those statuses (any route,
by handler name); a 429 carries `Retry-After: 0`.
`/api/validate-yaml` checks the card header as the Hub does: a 400 with `errors` for bad metadata.
`GET /commits/{revision}` lists a commit's history (title = summary, message = description), as the Hub does.
`hub.requests` records (method, path, authorization) of every request, to check the token is sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import yaml
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Blob:
    content: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def git_oid(self) -> str:
        return hashlib.sha1(b"blob %d\0" % len(self.content) + self.content).hexdigest()

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.git_oid

    def entry(self, path: str) -> dict:
        out = {"type": "file", "oid": self.git_oid, "size": len(self.content), "path": path}
        if self.lfs:
            out["lfs"] = {"oid": self.sha256, "size": len(self.content), "pointerSize": 130}
        return out


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: dict[str, dict[str, Blob]] = field(default_factory=dict)  # oid -> snapshot
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # oid -> parent oid (the history is linear)

    def history(self, oid: str) -> list[str]:
        """`oid` and its ancestors, newest first (what /commits/{revision} lists)."""
        out = [oid]
        while out[-1] in self.parents:
            out.append(self.parents[out[-1]])
        return out

    def resolve(self, revision: str) -> str | None:
        revision = unquote(revision)
        if revision in self.branches:
            return self.branches[revision]
        if revision in self.tags:
            return self.tags[revision]
        return revision if revision in self.commits else None


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.fail_commits = 0
        self.fail: dict[str, list[int]] = {}
        self.lost_acks = 0  # the next n commits are applied, then answered 500 (an acknowledgement lost)
        self.stall: dict[str, float] = {}  # route (handler name) -> seconds to wait before answering (a hang)
        self.requests: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seed_repo(self, repo_id: str, files: dict[str, bytes]) -> Repo:
        """A published dataset repo holding `files` (path -> bytes) in one commit on main, as fixtures."""
        repo = self.new_repo(repo_id, private=False)
        snap = dict(repo.commits[repo.branches["main"]])
        for path, content in files.items():
            lfs = path.endswith((".parquet", ".csv"))
            snap[path] = Blob(content, lfs=lfs)
            if lfs:
                self.lfs[hashlib.sha256(content).hexdigest()] = content
        oid = hashlib.sha1(f"seed {repo_id} {sorted(files)}".encode()).hexdigest()
        repo.parents[oid] = repo.branches["main"]
        repo.commits[oid], repo.branches["main"], repo.messages[oid] = snap, oid, "seed"
        return repo

    def new_repo(self, repo_id: str, private: bool) -> Repo:
        root = hashlib.sha1(f"init {repo_id}".encode()).hexdigest()
        attrs = Blob(b"*.parquet filter=lfs diff=lfs merge=lfs -text\n", lfs=False)
        repo = Repo(repo_id, private, commits={root: {".gitattributes": attrs}}, branches={"main": root})
        repo.messages[root] = "initial commit"
        self.repos[repo_id] = repo
        return repo


def _handler(hub: FakeHub):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        # -- plumbing ---------------------------------------------------------------------------
        def _body(self) -> bytes:
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(self, status: int, body: bytes = b"", headers: dict | None = None,
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data, headers: dict | None = None) -> None:
            self._send(status, json.dumps(data).encode(), headers)

        def _error(self, status: int, message: str, code: str | None = None) -> None:
            self._json(status, {"error": message}, {"X-Error-Code": code} if code else {"X-Error-Message": message})

        def _route(self) -> None:
            url = urlparse(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            hub.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
            for method, pattern, fn in ROUTES:
                m = re.fullmatch(pattern, path)
                if method == self.command or (method == "GET" and self.command == "HEAD"):
                    if m:
                        time.sleep(hub.stall.get(fn.__name__, 0))
                        with hub.lock:
                            queued = hub.fail.get(fn.__name__)
                            if queued:
                                return self._failure(queued.pop(0))
                            return fn(self, query, *m.groups())
            self._error(404, f"fake hub: no route for {self.command} {path}", "EntryNotFound")

        do_GET = do_POST = do_PUT = do_HEAD = _route

        def _failure(self, status: int) -> None:
            self._body()
            headers = {"Retry-After": "0"} if status == 429 else {}
            self._json(status, {"error": f"fake hub: simulated HTTP {status}"}, headers)

        def _repo(self, repo_id: str) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(404, f"Repository {repo_id} not found", "RepoNotFound")
            return repo

        def _snapshot(self, repo: Repo, revision: str) -> tuple[str, dict[str, Blob]] | tuple[None, None]:
            oid = repo.resolve(revision)
            if oid is None:
                self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
                return None, None
            return oid, repo.commits[oid]

        # -- write routes -----------------------------------------------------------------------
        def create_repo(self, query) -> None:
            data = json.loads(self._body())
            repo_id = f"{data.get('organization') or 'user'}/{data['name']}"
            if repo_id in hub.repos:  # the Hub answers 409 with the repo's url
                return self._json(409, {"error": "You already created this dataset repo",
                                        "url": f"{hub.url}/datasets/{repo_id}"})
            hub.new_repo(repo_id, data.get("visibility") == "private" or bool(data.get("private")))
            self._json(200, {"url": f"{hub.url}/datasets/{repo_id}", "name": repo_id})

        def preupload(self, query, repo_id, revision) -> None:
            repo = self._repo(repo_id)
            if repo:
                oid, snap = self._snapshot(repo, revision)
                if oid is None:
                    return
                files = json.loads(self._body())["files"]
                self._json(200, {"files": [
                    {"path": f["path"], "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular",
                     "shouldIgnore": False, "oid": snap[f["path"]].etag if f["path"] in snap else None}
                    for f in files]})

        def lfs_batch(self, query, repo_id) -> None:
            if self._repo(repo_id):
                objects = json.loads(self._body())["objects"]
                out = [{"oid": o["oid"], "size": o["size"]} if o["oid"] in hub.lfs else
                       {"oid": o["oid"], "size": o["size"],
                        "actions": {"upload": {"href": f"{hub.url}/lfs-upload/{o['oid']}"}}} for o in objects]
                self._json(200, {"transfer": "basic", "objects": out})

        def lfs_upload(self, query, oid) -> None:
            content = self._body()
            if hashlib.sha256(content).hexdigest() != oid:
                return self._error(400, "sha256 mismatch")
            hub.lfs[oid] = content
            self._json(200, {})

        def commit(self, query, repo_id, revision) -> None:
            repo = self._repo(repo_id)
            if not repo:
                return
            lines = [json.loads(line) for line in self._body().splitlines() if line.strip()]
            if hub.fail_commits > 0:
                hub.fail_commits -= 1
                return self._error(500, "fake hub: commit failed (simulated)")
            branch = unquote(revision)
            parent = repo.branches.get(branch)
            if parent is None:
                return self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            header = next(item["value"] for item in lines if item["key"] == "header")
            if header.get("parentCommit") and header["parentCommit"] != parent:
                return self._error(412, "A commit has happened since. Please refresh and try again.")
            snap = dict(repo.commits[parent])
            for item in lines:
                key, value = item["key"], item["value"]
                if key == "file":
                    snap[value["path"]] = Blob(base64.b64decode(value["content"]), lfs=False)
                elif key == "lfsFile":
                    if value["oid"] not in hub.lfs:
                        return self._error(400, f"LFS object {value['oid']} was never uploaded")
                    snap[value["path"]] = Blob(hub.lfs[value["oid"]], lfs=True)
                elif key == "deletedFile":
                    snap.pop(value["path"], None)
                elif key == "deletedFolder":
                    for p in [p for p in snap if p.startswith(value["path"].rstrip("/") + "/")]:
                        snap.pop(p)
            oid = hashlib.sha1(f"{parent}{time.time_ns()}{sorted(snap)}".encode()).hexdigest()
            repo.commits[oid], repo.branches[branch], repo.messages[oid] = snap, oid, header.get("summary", "")
            repo.parents[oid], repo.descriptions[oid] = parent, header.get("description", "")
            if hub.lost_acks > 0:
                hub.lost_acks -= 1
                return self._error(500, "fake hub: commit applied, answer lost (simulated)")
            self._json(200, {"commitUrl": f"{hub.url}/datasets/{repo_id}/commit/{oid}", "commitOid": oid,
                             "pullRequestUrl": None})

        def tag(self, query, repo_id, revision) -> None:
            repo = self._repo(repo_id)
            if repo:
                name = json.loads(self._body())["tag"]
                if name in repo.tags:
                    return self._error(409, f"Tag {name} already exists")
                oid = repo.resolve(revision)
                if oid is None:
                    return self._error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
                repo.tags[name] = oid
                self._json(200, {})

        def validate_yaml(self, query) -> None:
            content = json.loads(self._body()).get("content", "")
            errors = card_metadata_errors(content)
            self._json(400 if errors else 200, {"errors": [{"message": e} for e in errors], "warnings": []})

        # -- read routes ------------------------------------------------------------------------
        def commits(self, query, repo_id, revision) -> None:
            repo = self._repo(repo_id)
            if repo:
                oid, _ = self._snapshot(repo, revision)
                if oid:
                    self._json(200, [{"id": c, "title": repo.messages.get(c, ""), "message":
                                      repo.descriptions.get(c, ""), "authors": [{"user": "me"}],
                                      "date": "2024-01-01T00:00:00.000Z"} for c in repo.history(oid)])

        def refs(self, query, repo_id) -> None:
            repo = self._repo(repo_id)
            if repo:
                self._json(200, {
                    "branches": [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": o} for b, o in repo.branches.items()],
                    "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": o} for t, o in repo.tags.items()],
                    "converts": [], "pullRequests": []})

        def info(self, query, repo_id, revision=None) -> None:
            repo = self._repo(repo_id)
            if repo:
                oid, snap = self._snapshot(repo, revision or "main")
                if oid:
                    self._json(200, {"id": repo_id, "sha": oid, "private": repo.private, "disabled": False,
                                     "gated": False, "downloads": 0, "likes": 0, "tags": [],
                                     "lastModified": "2024-01-01T00:00:00.000Z",
                                     "siblings": [{"rfilename": p} for p in sorted(snap)]})

        def tree(self, query, repo_id, revision, sub="") -> None:
            repo = self._repo(repo_id)
            if not repo:
                return
            oid, snap = self._snapshot(repo, revision)
            if not oid:
                return
            sub = (sub or "").strip("/")
            recursive = query.get("recursive", ["false"])[0].lower() in ("1", "true")
            prefix = sub + "/" if sub else ""
            entries, dirs = [], set()
            for path, blob in sorted(snap.items()):
                if not path.startswith(prefix):
                    continue
                rest = path[len(prefix):].split("/")
                for i in range(1, len(rest)):
                    d = prefix + "/".join(rest[:i])
                    if (recursive or i == 1) and d not in dirs:
                        dirs.add(d)
                        entries.append({"type": "directory", "oid": hashlib.sha1(d.encode()).hexdigest(),
                                        "size": 0, "path": d})
                if recursive or len(rest) == 1:
                    entries.append(blob.entry(path))
            if sub and not entries and sub not in snap:
                return self._error(404, f"{sub} does not exist", "EntryNotFound")
            self._json(200, entries)

        def paths_info(self, query, repo_id, revision) -> None:
            repo = self._repo(repo_id)
            if not repo:
                return
            oid, snap = self._snapshot(repo, revision)
            if not oid:
                return
            form = parse_qs(self._body().decode())
            out = []
            for p in form.get("paths", []):
                p = p.strip("/")
                if p in snap:
                    out.append(snap[p].entry(p))
                elif any(k.startswith(p + "/") for k in snap):
                    out.append({"type": "directory", "oid": hashlib.sha1(p.encode()).hexdigest(), "size": 0,
                                "path": p})
            self._json(200, out)

        def resolve(self, query, repo_id, revision, path) -> None:
            repo = self._repo(repo_id)
            if not repo:
                return
            oid, snap = self._snapshot(repo, revision)
            if not oid:
                return
            blob = snap.get(path)
            if blob is None:
                return self._send(404, b"Entry not found", {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": oid},
                                  "text/plain")
            headers = {"X-Repo-Commit": oid, "ETag": f'"{blob.etag}"', "Accept-Ranges": "bytes"}
            if blob.lfs:
                headers.update({"X-Linked-Etag": f'"{blob.sha256}"', "X-Linked-Size": str(len(blob.content))})
            content, status = blob.content, 200
            rng = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
            if rng:
                start = int(rng.group(1))
                end = int(rng.group(2)) if rng.group(2) else len(content) - 1
                content, status = content[start:end + 1], 206
                headers["Content-Range"] = f"bytes {start}-{start + len(content) - 1}/{len(blob.content)}"
            self._send(status, content, headers, "application/octet-stream")

    repo = r"([^/]+/[^/]+)"
    ROUTES = [
        ("POST", r"/api/repos/create", Handler.create_repo),
        ("POST", r"/api/validate-yaml", Handler.validate_yaml),
        ("POST", rf"/api/datasets/{repo}/preupload/(.+)", Handler.preupload),
        ("POST", rf"/datasets/{repo}\.git/info/lfs/objects/batch", Handler.lfs_batch),
        ("PUT", r"/lfs-upload/([0-9a-f]{64})", Handler.lfs_upload),
        ("POST", rf"/api/datasets/{repo}/commit/(.+)", Handler.commit),
        ("POST", rf"/api/datasets/{repo}/tag/(.+)", Handler.tag),
        ("GET", rf"/api/datasets/{repo}/refs", Handler.refs),
        ("GET", rf"/api/datasets/{repo}/commits/(.+)", Handler.commits),
        ("GET", rf"/api/datasets/{repo}/revision/(.+)", Handler.info),
        ("GET", rf"/api/datasets/{repo}", Handler.info),
        ("GET", rf"/api/datasets/{repo}/tree/([^/]+)(?:/(.*))?", Handler.tree),
        ("POST", rf"/api/datasets/{repo}/paths-info/(.+)", Handler.paths_info),
        ("GET", rf"/datasets/{repo}/resolve/([^/]+)/(.+)", Handler.resolve),
    ]
    return Handler


SIZE_CATEGORIES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B",
                   "1B<n<10B", "10B<n<100B", "100B<n<1T", "n>1T"}


def card_metadata_errors(readme: str) -> list[str]:
    """What the Hub's validate-yaml rejects: an unparsable header, and the keys it types (license, language,
    size_categories, task lists, configs with config_name + data_files, dataset_info)."""
    if not readme.startswith("---"):
        return []
    parts = readme.split("---", 2)
    if len(parts) < 3:
        return ["YAML header is not closed by a '---' line"]
    try:
        meta = yaml.safe_load(parts[1])
    except yaml.YAMLError as exc:
        return [f"YAML is invalid: {exc}"]
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return ["metadata must be a YAML mapping"]
    errors = []
    for key in ("license", "language", "task_categories", "task_ids", "tags", "size_categories",
                "annotations_creators", "language_creators", "multilinguality", "source_datasets"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, str) or
                                      (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            errors.append(f'"{key}" must be a string or an array of strings')
    sizes = meta.get("size_categories") or []
    for size in [sizes] if isinstance(sizes, str) else sizes:
        if size not in SIZE_CATEGORIES:
            errors.append(f'"size_categories" value {size!r} is not one of the Hub\'s categories')
    configs = meta.get("configs") or []
    if not isinstance(configs, list):
        errors.append('"configs" must be an array')
    else:
        for i, c in enumerate(configs):
            if not isinstance(c, dict) or not isinstance(c.get("config_name"), str):
                errors.append(f'"configs[{i}].config_name" is required')
            elif "data_files" in c and not isinstance(c["data_files"], (str, list, dict)):
                errors.append(f'"configs[{i}].data_files" must be a path, an array or a mapping')
    info = meta.get("dataset_info")
    if info is not None and not isinstance(info, (dict, list)):
        errors.append('"dataset_info" must be an object or an array')
    return errors
