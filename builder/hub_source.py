"""What `load_dataset("synthetic_persona_chat")` reads when the user names no data: the SPC release.

Online, the release comes from its Hub repo (google/Synthetic-Persona-Chat, through huggingface_hub, so
HF_ENDPOINT, tokens and the cache work as everywhere else), else from the GitHub release URLs. Offline, or
when neither can be reached, the sample shipped in the package is read and a warning says it is a sample:
a user on a plane still gets a dataset, and nobody mistakes it for the full release.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from synthetic_persona_chat.sample_data import PREFIX, sample_dir

from .sources import SPC_FILES, SPC_HUB_FOLDER, SPC_HUB_REPO, Source, SourceError, read_spc_files, spc_urls

log = logging.getLogger(__name__)


class SampleWarning(UserWarning):
    """The packaged SPC sample was loaded instead of the full release."""


def default_source(dl_manager: Any = None, repo_id: str = SPC_HUB_REPO, revision: str | None = None) -> Source:
    """The release from the Hub, else from its URLs, else the packaged sample with a warning."""
    import datasets

    reasons = []
    if datasets.config.HF_HUB_OFFLINE:
        reasons.append("offline mode is on (HF_HUB_OFFLINE=1)")
    else:
        for name, read in (("the Hub repo " + repo_id, lambda: hub_release(repo_id, revision)),
                           ("the release URLs", lambda: url_release(dl_manager))):
            try:
                return read()
            except Exception as exc:  # noqa: BLE001 - any failure to reach a copy falls through to the next
                reasons.append(f"{name}: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}")
                log.debug("could not read %s", name, exc_info=True)
    return sample_source("; ".join(reasons))


def hub_release(repo_id: str = SPC_HUB_REPO, revision: str | None = None) -> Source:
    """The release's CSVs from a Hub dataset repo (`data/<file>`); splits whose file is absent are left out."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    files = {}
    for split, name in SPC_FILES.items():
        try:
            files[split] = hf_hub_download(repo_id, f"{SPC_HUB_FOLDER}/{name}", repo_type="dataset",
                                           revision=revision)
        except EntryNotFoundError:
            continue
    if not files:
        raise SourceError(f"{repo_id} holds none of {SPC_HUB_FOLDER}/{list(SPC_FILES.values())}")
    return _relocated(read_spc_files(files), f"hf://datasets/{repo_id}" + (f"@{revision}" if revision else ""))


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
