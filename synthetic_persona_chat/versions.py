"""The installed versions of named distributions: what a run records and what a cached build is keyed on.

One place for it because three readers need the same lookup (the run directory's manifest, the converted GGUF
folder, the ONNX export) and differ only in what a missing distribution becomes.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version


def installed_versions(names: Iterable[str], missing: str | None = None) -> dict[str, str]:
    """{name: version} for each installed distribution; a missing one is left out (`missing=None`) or
    given the `missing` string, so that a cache key still changes when it is installed later."""
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            if missing is not None:
                found[name] = missing
    return found
