"""What a dataset repo on the Hub holds, version by version, and the repair of a version left half-made.

A version is one commit on main (its files and its card, whose changelog names it) plus a tag. Those are two
Hub calls: a push killed, or a tag refused, between them leaves main holding a version no tag names, so a
reader asking for `revision="v1.1.0"` gets an error. Such a commit is *pending*: main's head, titled
`Publish <tag>` by `spc push`, with that tag absent. The next push settles it before anything else:

- whole (its manifest's fingerprint is the one its commit description names): tag it, completing the version;
- otherwise, or when its tag name is taken: a commit that restores its parent's files (rolled back).

A push whose own tag step fails rolls back at once the same way, so main never keeps an untagged version
unless the Hub refused the rollback too (then the next push settles it).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .export import MANIFEST
from .hub_calls import hub_call

log = logging.getLogger(__name__)
TITLE = "Publish {revision}"
_TITLE = re.compile(r"^Publish (?P<revision>\S+)$")
_FINGERPRINT = re.compile(r"data fingerprint (?P<fingerprint>\w+)")


def commit_title(revision: str) -> str:
    return TITLE.format(revision=revision)


def commit_description(version: str, fingerprint: str) -> str:
    return f"version {version}, data fingerprint {fingerprint}"


@dataclass
class Pending:
    """main's head: a `spc push` commit whose tag was never made."""
    repo_id: str
    revision: str
    commit: str
    parent: str | None
    fingerprint: str  # what the commit says it holds
    found: str | None  # what its manifest holds (None: no manifest)
    tag_taken: bool = False

    @property
    def whole(self) -> bool:
        return bool(self.fingerprint) and self.found == self.fingerprint and not self.tag_taken


@dataclass
class HubVersions:
    repo_id: str
    exists: bool
    main: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit
    fingerprints: dict[str, str | None] = field(default_factory=dict)  # commit -> manifest fingerprint
    pending: Pending | None = None

    def tags_holding(self, fingerprint: str) -> list[str]:
        return sorted(t for t, c in self.tags.items() if fingerprint and self.fingerprints.get(c) == fingerprint)


def read_versions(api: Any, repo_id: str, with_fingerprints: bool = False) -> HubVersions:
    """The repo's tags, main and its pending version (with every tag's fingerprint when asked: `--status`)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        refs = hub_call("reading the repo's tags", api.list_repo_refs, repo_id, repo_type="dataset")
    except Exception as exc:  # noqa: BLE001 - a missing repo is a state, any other failure is raised
        if isinstance(exc.__cause__, RepositoryNotFoundError):
            return HubVersions(repo_id, exists=False)
        raise
    state = HubVersions(repo_id, True, next((b.target_commit for b in refs.branches if b.name == "main"), None),
                        {t.name: t.target_commit for t in refs.tags})
    if with_fingerprints:
        state.fingerprints = {c: manifest_fingerprint(api, repo_id, c) for c in sorted(set(state.tags.values()))}
    state.pending = _pending(api, state)
    if state.pending and state.main:
        state.fingerprints[state.main] = state.pending.found
    return state


def _pending(api: Any, state: HubVersions) -> Pending | None:
    if state.main is None or state.main in state.tags.values():
        return None
    history = hub_call("reading main's history", api.list_repo_commits, state.repo_id, repo_type="dataset",
                       revision=state.main)
    title = _TITLE.match(history[0].title.strip()) if history else None
    if title is None:
        return None  # not a commit of ours (the user's own edit): left alone
    said = _FINGERPRINT.search(history[0].message or "")
    return Pending(state.repo_id, title["revision"], state.main, history[1].commit_id if len(history) > 1 else None,
                   said["fingerprint"] if said else "", manifest_fingerprint(api, state.repo_id, state.main),
                   tag_taken=title["revision"] in state.tags)


def manifest_fingerprint(api: Any, repo_id: str, revision: str) -> str | None:
    """The data fingerprint of the export at `revision` (None when it holds no export manifest)."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        path = hub_call(f"reading {MANIFEST} at {revision[:12]}", hf_hub_download, repo_id, MANIFEST,
                        repo_type="dataset", revision=revision, endpoint=getattr(api, "endpoint", None))
    except Exception as exc:  # noqa: BLE001 - only "no such file" means "no export here"
        if isinstance(exc.__cause__, EntryNotFoundError):
            return None
        raise
    return json.loads(Path(path).read_text(encoding="utf-8")).get("fingerprint") or None


def settle(api: Any, pending: Pending) -> str:
    """Complete `pending` (tag it) when whole, else roll it back; returns the line that says which."""
    repo_id = pending.repo_id
    if pending.whole:
        hub_call(f"tagging the pending {pending.revision}", api.create_tag, repo_id, repo_type="dataset",
                 tag=pending.revision, revision=pending.commit, tag_message=f"{repo_id} {pending.revision}",
                 state=f"commit {pending.commit} still holds {pending.revision} untagged; rerun the same command")
        return f"completed the unfinished {pending.revision}: tagged commit {pending.commit[:12]}"
    why = (f"tag {pending.revision} already names another commit" if pending.tag_taken else
           f"its files do not hold the data its commit names (fingerprint {pending.found or 'none'} != "
           f"{pending.fingerprint or 'none'})")
    undo = roll_back(api, repo_id, pending.commit, pending.parent, pending.revision)
    return f"rolled back the unfinished {pending.revision} ({why}): main is its parent's files again ({undo[:12]})"


def roll_back(api: Any, repo_id: str, commit: str, parent: str | None, revision: str) -> str:
    """A commit on top of `commit` whose files are `parent`'s (the Hub cannot move a branch back): deleted what
    `commit` added, restored what it changed or removed. Returns the new commit id."""
    from huggingface_hub import CommitOperationCopy, CommitOperationDelete

    now, before = _blobs(api, repo_id, commit), _blobs(api, repo_id, parent) if parent else {}
    operations = [CommitOperationDelete(path_in_repo=p) for p in sorted(set(now) - set(before))]
    operations += [CommitOperationCopy(src_path_in_repo=p, path_in_repo=p, src_revision=parent)
                   for p in sorted(before) if now.get(p) != before[p]]
    if not operations:
        return commit
    done = hub_call(f"rolling back the unfinished {revision}", api.create_commit, repo_id, repo_type="dataset",
                    operations=operations, parent_commit=commit, commit_message=f"Roll back unfinished {revision}",
                    state=f"main still holds {revision} untagged (commit {commit}); the next `spc push` settles it")
    log.warning("rolled back the unfinished %s of %s (commit %s)", revision, repo_id, done.oid)
    return done.oid


def _blobs(api: Any, repo_id: str, revision: str) -> dict[str, str]:
    from huggingface_hub.hf_api import RepoFile

    tree = hub_call(f"listing the files of {revision[:12]}", api.list_repo_tree, repo_id, repo_type="dataset",
                    revision=revision, recursive=True)
    return {f.path: f.blob_id for f in tree if isinstance(f, RepoFile)}


def describe(state: HubVersions, version: str, fingerprint: str) -> str:
    """`spc push --status`: the versions on the Hub, the pending one, and where this export stands."""
    if not state.exists:
        return f"{state.repo_id}: no such dataset repo on the Hub; this export ({version}) is not published"
    lines = [f"{state.repo_id}: main at {(state.main or 'none')[:12]}, {len(state.tags)} version(s)"]
    for tag, commit in sorted(state.tags.items()):
        mark = "  <- this export" if fingerprint and state.fingerprints.get(commit) == fingerprint else ""
        lines.append(f"  {tag}  commit {commit[:12]}  data {(state.fingerprints.get(commit) or 'none')[:12]}{mark}")
    p = state.pending
    if p:
        fate = "completes it (tags it)" if p.whole else "rolls it back (it is not whole)"
        mark = " = this export" if p.found and p.found == fingerprint else ""
        lines.append(f"  pending: {p.revision} at commit {p.commit[:12]}, never tagged{mark}; the next "
                     f"`spc push` {fate}")
    held = state.tags_holding(fingerprint)
    where = (f"published as {', '.join(held)}" if held else
             "pending on main" if p and p.found == fingerprint else "not on the Hub")
    lines.append(f"this export: version {version}, data {fingerprint[:12] or 'none'}: {where}")
    return "\n".join(lines)
