"""Publish an export folder to the Hugging Face Hub as one commit, tagged with its version.

A version is published when its tag exists. The steps are ordered so that a failure leaves no tag:
create the repo (if needed) -> upload every file and remove stale ones in ONE commit -> tag that commit.
If the commit fails, nothing changed on the Hub; if the tag fails, rerunning the same command finds the
files unchanged (the client skips an empty commit) and only creates the tag. A tag that already points
at other data is never moved.

The token comes from huggingface_hub itself (HF_TOKEN or `hf auth login`); this module never reads,
prints or stores it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .export import CONFIGS, MANIFEST, ExportError, read_manifest

log = logging.getLogger(__name__)
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_REVISION = re.compile(r"^v?\d+\.\d+\.\d+([.-][\w.]+)?$")


class PublishError(RuntimeError):
    """The push could not (fully) happen; the message says what is on the Hub now and what to run."""


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
    deleted: list[str] = field(default_factory=list)


def plan_push(folder: str | Path, repo_id: str, revision: str | None = None, private: bool = False) -> PublishPlan:
    folder = Path(folder)
    if not _REPO_ID.match(repo_id):
        raise PublishError(f"--repo {repo_id!r} is not NAMESPACE/NAME")
    try:
        manifest = read_manifest(folder)
    except ExportError as exc:
        raise PublishError(str(exc)) from exc
    if not (folder / "README.md").exists():
        raise PublishError(f"{folder / 'README.md'} is missing: rebuild the export with `spc build ... --out {folder}`")
    version = str(manifest["version"])
    revision = revision or f"v{version}"
    if not _REVISION.match(revision):
        raise PublishError(f"--revision {revision!r} is not a version tag like v1.2.0")
    files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for p in folder.rglob("*")
                   if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return PublishPlan(repo_id, revision, private, files, version, str(manifest.get("fingerprint", "")))


def push(folder: str | Path, repo_id: str, revision: str | None = None, private: bool = False,
         dry_run: bool = False, api: Any = None) -> PublishResult:
    plan = plan_push(folder, repo_id, revision, private)
    if dry_run:
        return PublishResult(plan)
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token

    if api is None:
        if get_token() is None:
            raise PublishError("no Hugging Face token: set HF_TOKEN in the environment or run `hf auth login`")
        api = HfApi()
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    tags = {t.name: t.target_commit for t in refs.tags}
    if plan.revision in tags:
        return _already_tagged(api, plan, tags[plan.revision], str(url))
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    local = {path for path, _ in plan.files}
    remote = set(api.list_repo_files(repo_id, repo_type="dataset", revision=head)) if head else set()
    # files of our configs that this version no longer has; anything else the user put in the repo stays
    stale = sorted(p for p in remote - local if p.split("/")[0] in CONFIGS)
    operations = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(Path(folder) / p)) for p, _ in plan.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    try:
        commit = api.create_commit(repo_id, repo_type="dataset", operations=operations, parent_commit=head,
                                   commit_message=f"Publish {plan.revision}",
                                   commit_description=f"version {plan.version}, data fingerprint {plan.fingerprint}")
    except Exception as exc:
        raise PublishError(f"upload to {repo_id} failed before its commit ({_reason(exc)}): nothing was published "
                           f"and no tag {plan.revision} exists; rerun the same command") from exc
    try:
        api.create_tag(repo_id, repo_type="dataset", tag=plan.revision, revision=commit.oid,
                       tag_message=f"{plan.repo_id} {plan.version}")
    except Exception as exc:
        raise PublishError(f"{repo_id}: commit {commit.oid} holds the files but tag {plan.revision} was not created "
                           f"({_reason(exc)}); rerun the same command to tag it") from exc
    log.info("published %s@%s (commit %s)", repo_id, plan.revision, commit.oid)
    return PublishResult(plan, commit=commit.oid, url=str(url), deleted=stale)


def _already_tagged(api, plan: PublishPlan, target: str, url: str) -> PublishResult:
    """Same data under the tag: nothing to do. Other data: refuse, a published version never changes."""
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(plan.repo_id, MANIFEST, repo_type="dataset", revision=target,
                               endpoint=getattr(api, "endpoint", None))
        remote = json.loads(Path(path).read_text(encoding="utf-8")).get("fingerprint")
    except Exception:  # noqa: BLE001 - no manifest there means it is not this export
        remote = None
    if remote and remote == plan.fingerprint:
        return PublishResult(plan, commit=target, url=url, already_published=True)
    raise PublishError(f"{plan.repo_id} already has tag {plan.revision} with other data: a published version never "
                       f"changes; bump the version (--revision, or `spc build --version`) and push again")


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def describe_plan(plan: PublishPlan) -> str:
    total = sum(size for _, size in plan.files)
    lines = [f"repo: {plan.repo_id} (dataset, {'private' if plan.private else 'public'})",
             f"version: {plan.version} -> tag {plan.revision}", f"files ({len(plan.files)}, {total:,} bytes):"]
    lines += [f"  {path}  {size:,}" for path, size in plan.files]
    return "\n".join(lines)
