"""What `load_dataset("synthetic_persona_chat")` reads when the user names no data: the SPC release.

Online, the release comes from its Hub repo (google/Synthetic-Persona-Chat, through huggingface_hub, so
HF_ENDPOINT, tokens and the cache work as everywhere else), else, when the Hub answers but lacks the files,
from the GitHub release URLs. A Hub that cannot be reached is a network error, said as one after one short
attempt (`ETAG_TIMEOUT_S`), never a "file absent" (huggingface_hub's LocalEntryNotFoundError, raised when it
cannot connect, subclasses EntryNotFoundError) and never a silent fallback. Only offline mode
(HF_HUB_OFFLINE=1) reads the sample shipped in the package, with a warning that it is a sample, and under a
cache key of its own (`datasets_hook`), so that once online the same call reads the release, not the
sample cached before.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from synthetic_persona_chat.errors import NetworkError
from synthetic_persona_chat.sample_data import PREFIX, sample_dir

from .sources import SPC_FILES, SPC_HUB_FOLDER, SPC_HUB_REPO, Source, SourceError, read_spc_files, spc_urls

log = logging.getLogger(__name__)
ETAG_TIMEOUT_S = 10  # one short attempt per file: an unreachable Hub is said within seconds, not after minutes
# cannot connect / timed out / offline: huggingface_hub's LocalEntryNotFoundError (a subclass of
# EntryNotFoundError!) and httpx's transport errors
NETWORK_FAILURES = {"LocalEntryNotFoundError", "TransportError", "TimeoutException", "ConnectionError",
                    "OfflineModeIsEnabled"}


class SampleWarning(UserWarning):
    """The packaged SPC sample was loaded instead of the full release."""


def default_source(dl_manager: Any = None, repo_id: str = SPC_HUB_REPO, revision: str | None = None) -> Source:
    """The release from the Hub, else (Hub reachable, files absent) from its URLs; offline, the packaged sample."""
    import datasets

    if datasets.config.HF_HUB_OFFLINE:
        return sample_source("offline mode is on (HF_HUB_OFFLINE=1)")
    try:
        return hub_release(repo_id, revision)
    except HubUnreachable:
        raise
    except Exception as exc:  # noqa: BLE001 - the Hub answered without the files: the release URLs are next
        log.info("the Hub repo %s has no release files (%s); reading the release URLs", repo_id, exc)
    return url_release(dl_manager)


class HubUnreachable(NetworkError):
    """The Hub could not be reached: a network failure, not a missing file."""


def hub_release(repo_id: str = SPC_HUB_REPO, revision: str | None = None) -> Source:
    """The release's CSVs from a Hub dataset repo (`data/<file>`); splits whose file is absent are left out.

    One short request first says whether the Hub can be reached at all: huggingface_hub itself, finding no
    cached file, retries an unreachable server for a minute and more before it says so. Unreachable, the
    files already in the local cache are read (as huggingface_hub would); none there is `HubUnreachable`."""
    unreachable = unreachable_because(repo_id)
    files = {}
    for split, name in SPC_FILES.items():
        try:
            files[split] = _download(repo_id, f"{SPC_HUB_FOLDER}/{name}", revision, unreachable is not None)
        except Exception as exc:  # noqa: BLE001 - sorted below: unreachable, absent, or anything else
            if unreachable is None and is_network_failure(exc):
                unreachable = exc
            elif not _absent(exc):
                raise
    if not files and unreachable is not None:
        from huggingface_hub import constants

        raise HubUnreachable(
            f"network: cannot reach the Hub at {constants.ENDPOINT} to read {repo_id} ({type(unreachable).__name__}: "
            f"{_first_line(unreachable)}); check the connection (or HF_ENDPOINT), set HF_HUB_OFFLINE=1 to load "
            f"the 150-conversation sample shipped in the package, or pass data_dir= (an SPC release folder or a "
            f"run directory)") from unreachable
    if not files:
        raise SourceError(f"{repo_id} holds none of {SPC_HUB_FOLDER}/{list(SPC_FILES.values())}")
    return _relocated(read_spc_files(files), f"hf://datasets/{repo_id}" + (f"@{revision}" if revision else ""))


def unreachable_because(repo_id: str) -> BaseException | None:
    """None when the Hub answers (any status), else the network failure of one request of `ETAG_TIMEOUT_S`."""
    from huggingface_hub import constants
    from huggingface_hub.utils import build_hf_headers, get_session

    try:
        get_session().head(f"{constants.ENDPOINT}/api/datasets/{repo_id}", headers=build_hf_headers(),
                           timeout=ETAG_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - only a failure to connect counts; anything else is an answer
        return exc if is_network_failure(exc) else None
    return None


def _download(repo_id: str, filename: str, revision: str | None, cached_only: bool) -> str:
    from huggingface_hub import hf_hub_download

    return hf_hub_download(repo_id, filename, repo_type="dataset", revision=revision, etag_timeout=ETAG_TIMEOUT_S,
                           local_files_only=cached_only)


def _absent(exc: BaseException) -> bool:
    """The Hub (or the cache, when it cannot be reached) says the file is not there."""
    from huggingface_hub.errors import EntryNotFoundError

    return isinstance(exc, EntryNotFoundError)


def is_network_failure(exc: BaseException) -> bool:
    """A failure to reach the server (anywhere in the chain), as opposed to an answer saying "not there"."""
    node: BaseException | None = exc
    while node is not None:
        names = {c.__name__ for c in type(node).__mro__}
        if names & NETWORK_FAILURES:
            return True
        node = node.__cause__ or node.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""


def url_release(dl_manager: Any = None) -> Source:
    import datasets

    dl_manager = dl_manager or datasets.DownloadManager(dataset_name="synthetic_persona_chat")
    urls = spc_urls()
    return _relocated(read_spc_files(dl_manager.download(urls)), ", ".join(urls.values()))


def sample_source(why: str) -> Source:
    try:
        folder = sample_dir()
    except FileNotFoundError as exc:
        raise SourceError(f"no input and no way to get the release ({why}), and the packaged sample is missing "
                          f"({exc}): pass data_dir= (an SPC release folder or a run directory) or data_files="
                          f"{{split: path or URL}} of SPC release CSVs") from exc
    warnings.warn(f"loaded the SPC SAMPLE shipped with synthetic-persona-chat (150 conversations per split), not "
                  f"the full release, because {why}. Pass data_dir= or go online for the release.",
                  SampleWarning, stacklevel=2)
    files = {split: str(folder / name) for split, name in SPC_FILES.items() if (folder / name).exists()}
    return _relocated(read_spc_files(files), PREFIX)


def _relocated(source: Source, location: str) -> Source:
    """Name the source by where it came from, never by a cache path of this machine (the card shows it)."""
    source.location = location
    for skip in source.skips:
        skip["source"] = str(skip.get("source", "")).rsplit("/", 1)[-1]
    return source
