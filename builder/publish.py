"""Publish an export folder to the Hugging Face Hub as one commit, tagged with its version.

A version is published when its tag exists. The steps are ordered so that a failure leaves no tag:
create the repo (if needed) -> settle a version an earlier push left untagged (`hub_versions`) -> upload every
file and remove stale ones in ONE commit (the card's changelog entry included) -> tag that commit.
If the commit fails, nothing changed on the Hub; if the tag fails, main is rolled back to its parent's files;
if the process dies between the two, the next push completes (or rolls back) that version first. A tag
that already points at other data is never moved, and a second push of the same data changes nothing.

The token comes from huggingface_hub itself (HF_TOKEN or `hf auth login`); this module never reads,
prints or stores it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from synthetic_persona_chat.errors import UsageError
from synthetic_persona_chat.pause_points import pause_at

from .card_check import CardReport, check_card, fill_repo_id
from .changelog import with_entry
from .export import CONFIGS, MANIFEST, ExportError, read_manifest
from .hub_calls import PublishError, cause_and_fix, hub_call
from .hub_versions import (commit_description, commit_title, describe, manifest_fingerprint, read_versions,
                           roll_back, settle)
from .upload_check import ScanReport, scan

log = logging.getLogger(__name__)
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_REVISION = re.compile(r"^v?\d+\.\d+\.\d+([.-][\w.]+)?$")


@dataclass
class PublishPlan:
    repo_id: str
    revision: str
    private: bool
    files: list[tuple[str, int]]  # (path in repo, size)
    version: str
    fingerprint: str


@dataclass
class PublishResult:
    plan: PublishPlan
    commit: str | None = None
    url: str | None = None
    already_published: bool = False
    settled: str | None = None  # what was done to a version an earlier push left untagged
    deleted: list[str] = field(default_factory=list)
    card: CardReport | None = None
    scan: ScanReport | None = None  # every uploaded file, checked for machine paths (and any plugged-in check)

    @property
    def ok(self) -> bool:
        return bool(self.card and self.card.ok and self.scan and self.scan.ok)

    def problems(self) -> list[str]:
        return (self.card.lines() if self.card else []) + (self.scan.findings if self.scan else [])


def plan_push(folder: str | Path, repo_id: str, revision: str | None = None, private: bool = False) -> PublishPlan:
    folder = Path(folder)
    if not _REPO_ID.match(repo_id):
        raise UsageError(f"--repo {repo_id!r} is not NAMESPACE/NAME")
    manifest = read_manifest(folder)  # not an export: an export-folder error, never a network one
    if not (folder / "README.md").exists():
        raise ExportError(f"{folder / 'README.md'} is missing: rebuild the export with `spc build ... --out {folder}`")
    version = str(manifest.version)
    revision = revision or f"v{version}"
    if not _REVISION.match(revision):
        raise UsageError(f"--revision {revision!r} is not a version tag like v1.2.0")
    files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return PublishPlan(repo_id, revision, private, files, version, manifest.fingerprint or "")


def push(folder: str | Path, repo_id: str, revision: str | None = None, private: bool = False,
         dry_run: bool = False, api: Any = None, prune: bool = False) -> PublishResult:
    """Validate the card locally, then (unless `dry_run`) publish: every Hub step fails as one PublishError line."""
    plan = plan_push(folder, repo_id, revision, private)
    card_text = fill_repo_id((Path(folder) / "README.md").read_text(encoding="utf-8"), repo_id)
    checked = PublishResult(plan, card=check_card(card_text, folder),
                            scan=scan(folder, [path for path, _ in plan.files], {"README.md": card_text}))
    if dry_run:
        return checked
    if not checked.ok:
        raise ExportError(f"{folder} is not publishable: {'; '.join(checked.problems())}; fix it (or rebuild with "
                          f"`spc build`) and rerun; nothing was contacted")
    report = checked.card
    api = api or hub_api()
    url = hub_call("creating the repo", api.create_repo, repo_id, repo_type="dataset", private=private, exist_ok=True)
    state = read_versions(api, repo_id)
    settled = settle(api, state.pending) if state.pending else None
    if settled:
        log.warning("%s", settled)
        state = read_versions(api, repo_id)
    tags, head = state.tags, state.main
    if plan.revision in tags:
        done = _already_tagged(api, plan, tags[plan.revision], str(url))
        done.settled = settled
        return done
    remote = set(hub_call("listing the repo's files", api.list_repo_files, repo_id, repo_type="dataset",
                          revision=head)) if head else set()
    _refuse_dropping_configs(plan, remote, prune)
    previous = _remote_card(api, repo_id, head) if "README.md" in remote else None
    card_text = with_entry(card_text, previous, plan.revision, _entry_text(folder, plan))
    commit, stale = _commit(api, folder, plan, card_text, remote, head)
    pause_at("push:after-commit")
    _tag_or_roll_back(api, plan, commit.oid, head)
    log.info("published %s@%s (commit %s)", repo_id, plan.revision, commit.oid)
    return PublishResult(plan, commit=commit.oid, url=str(url), deleted=stale, card=report, scan=checked.scan,
                         settled=settled)


def push_status(folder: str | Path, repo_id: str, api: Any = None) -> str:
    """`spc push --status`: reads the Hub, writes nothing (a private repo needs the token, a public one not)."""
    from huggingface_hub import HfApi

    if not _REPO_ID.match(repo_id):
        raise UsageError(f"--repo {repo_id!r} is not NAMESPACE/NAME")
    manifest = read_manifest(folder)
    state = read_versions(api or HfApi(), repo_id, with_fingerprints=True)
    return describe(state, str(manifest.version), manifest.fingerprint or "")


def hub_api() -> Any:
    """The client, refused before any request when no token is set (every write needs one)."""
    from huggingface_hub import HfApi, get_token

    if get_token() is None:
        raise PublishError("no Hugging Face token: set HF_TOKEN in the environment or run `hf auth login`; "
                           "nothing was published")
    return HfApi()


def _tag_or_roll_back(api, plan: PublishPlan, commit: str, head: str | None) -> None:
    """Tag the version's commit; when the Hub refuses, take the commit back off main so no untagged version
    stays there (and if that fails too, the error says the next push settles it)."""
    try:
        hub_call(f"tagging {plan.revision}", api.create_tag, plan.repo_id, repo_type="dataset", tag=plan.revision,
                 revision=commit, tag_message=f"{plan.repo_id} {plan.version}",
                 state=f"commit {commit} holds the files but tag {plan.revision} does not exist")
    except PublishError as exc:
        undo = roll_back(api, plan.repo_id, commit, head, plan.revision)
        raise PublishError(f"{exc}; main was rolled back to the files before this push (commit {undo}), so "
                           f"{plan.revision} is not published: rerun the same command") from exc


def _refuse_dropping_configs(plan: PublishPlan, remote: set[str], prune: bool) -> None:
    """A push replaces main's files of our configs; a config main has and this export lacks (a build of only
    some configs) would be deleted, so that takes `prune`, never happens unasked."""
    local = {path.split("/")[0] for path, _ in plan.files}
    dropped = sorted({p.split("/")[0] for p in remote if p.split("/")[0] in CONFIGS} - local)
    if dropped and not prune:
        raise UsageError(f"{plan.repo_id} (main) holds config(s) {', '.join(dropped)} that this export does not: "
                         f"publishing it would delete them. Build them too (`spc build --configs`), or pass --prune "
                         f"to delete them from main (older tags keep them); nothing was published")


def _commit(api, folder: str | Path, plan: PublishPlan, card_text: str, remote: set[str], head: str | None):
    """Every file in ONE commit (README.md with the repo id and the changelog); stale files of our configs go."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    local = {path for path, _ in plan.files}
    # files of our configs that this version no longer has; anything else the user put in the repo stays
    stale = sorted(p for p in remote - local if p.split("/")[0] in CONFIGS)
    operations = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=card_text.encode("utf-8") if p == "README.md"
                                     else str(Path(folder) / p)) for p, _ in plan.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    try:
        commit = hub_call(f"uploading to {plan.repo_id}", api.create_commit, plan.repo_id, repo_type="dataset",
                          operations=operations, parent_commit=head, commit_message=commit_title(plan.revision),
                          commit_description=commit_description(plan.version, plan.fingerprint),
                          state=f"nothing was published and no tag {plan.revision} exists; rerun the same command")
    except PublishError as exc:
        landed = _landed_commit(api, plan, head)
        if landed is None:
            raise
        log.warning("the Hub answered the upload with an error (%s), but main now holds this export (commit %s): "
                    "the upload landed; continuing with the tag", cause_and_fix(exc.__cause__ or exc), landed)
        return SimpleNamespace(oid=landed), stale
    return commit, stale


def _landed_commit(api, plan: PublishPlan, head: str | None) -> str | None:
    """The commit on main holding this export when an upload's answer was lost (applied, then a 500; the
    client's retry then got 412 because main had moved), else None. Saying "nothing was published" there
    was false: main held every file. A check that itself fails says the state is unknown, not "nothing"."""
    from huggingface_hub import hf_hub_download

    try:
        refs = api.list_repo_refs(plan.repo_id, repo_type="dataset")
        main = next((b.target_commit for b in refs.branches if b.name == "main"), None)
        if main is None or main == head:
            return None  # main did not move: the upload really failed
        path = hf_hub_download(plan.repo_id, MANIFEST, repo_type="dataset", revision=main,
                               endpoint=getattr(api, "endpoint", None))
        remote = json.loads(Path(path).read_text(encoding="utf-8")).get("fingerprint")
    except Exception as exc:  # noqa: BLE001 - the Hub is failing: the state is unknown, and said so
        raise PublishError(f"uploading to {plan.repo_id} failed and checking what reached the Hub failed too "
                           f"({cause_and_fix(exc)}); main may or may not hold this version, and no tag "
                           f"{plan.revision} exists; rerun the same command (it finds the files if they are there "
                           f"and only tags them)") from exc
    return main if remote and remote == plan.fingerprint else None


def _remote_card(api, repo_id: str, head: str) -> str | None:
    from huggingface_hub import hf_hub_download

    path = hub_call("reading the published card", hf_hub_download, repo_id, "README.md", repo_type="dataset",
                    revision=head, endpoint=getattr(api, "endpoint", None))
    return Path(path).read_text(encoding="utf-8")


def _entry_text(folder: str | Path, plan: PublishPlan) -> str:
    rows = read_manifest(folder).rows
    sizes = ", ".join(f"{config} {sum(splits.values()):,}" for config, splits in rows.items())
    return f"version {plan.version}: {sizes} rows; data fingerprint `{plan.fingerprint[:12]}`"


def _already_tagged(api, plan: PublishPlan, target: str, url: str) -> PublishResult:
    """Same data under the tag: nothing to do. Other data: refuse, a published version never changes."""
    remote = manifest_fingerprint(api, plan.repo_id, target)  # None: no manifest there, so not this export
    if remote and remote == plan.fingerprint:
        return PublishResult(plan, commit=target, url=url, already_published=True)
    raise PublishError(f"{plan.repo_id} already has tag {plan.revision} with other data: a published version never "
                       f"changes; bump the version (--revision, or `spc build --version`) and push again")


def describe_plan(plan: PublishPlan) -> str:
    total = sum(size for _, size in plan.files)
    lines = [f"repo: {plan.repo_id} (dataset, {'private' if plan.private else 'public'})",
             f"version: {plan.version} -> tag {plan.revision}", f"files ({len(plan.files)}, {total:,} bytes):"]
    lines += [f"  {path}  {size:,}" for path, size in plan.files]
    return "\n".join(lines)
