"""Make `datasets.load_dataset("synthetic_persona_chat", CONFIG, data_dir=...)` resolve to our builder.

`datasets` 4.0+ removed loading scripts: a bare name resolves either to one of the builders packaged with
the library (`datasets.packaged_modules._PACKAGED_DATASETS_MODULES`: name -> (module path, code hash)) or
to a Hub repository. We add one entry to that table, "synthetic_persona_chat" -> our builder module, so
the name resolves locally, offline, from any working directory.

The entry must exist before the user's first `load_dataset` call, without the user importing us. The
package therefore installs a one-line `synthetic_persona_chat-datasets.pth` file into site-packages (see
setup.py) that calls `install()` at interpreter start. `install()` is cheap: it imports nothing heavy; it
puts a finder on `sys.meta_path` that waits for `datasets.packaged_modules` to be imported, lets the normal
import run, then adds the entry. Processes that never import `datasets` pay nothing.

Set SPC_DATASETS_HOOK=0 to turn it off. Without the .pth file (e.g. running from a source checkout that
was not pip-installed), call `synthetic_persona_chat.builder.datasets_hook.register()` yourself.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import os
import sys

NAME = "synthetic_persona_chat"
BUILDER_MODULE = "synthetic_persona_chat.builder.spc_builder"
TARGET = "datasets.packaged_modules"
# The code the built rows depend on: a change to any of them changes the hash, so `datasets` rebuilds its cache.
HASHED_MODULES = (BUILDER_MODULE, "synthetic_persona_chat.builder.sources", "synthetic_persona_chat.builder.nup",
                  "synthetic_persona_chat.readers.spc_csv", "synthetic_persona_chat.records")


def code_hash() -> str:
    """sha256 over the source of the modules the rows depend on (as `datasets` hashes its own builders)."""
    h = hashlib.sha256()
    for name in HASHED_MODULES:
        spec = importlib.util.find_spec(name)
        if spec and spec.origin and os.path.exists(spec.origin):
            with open(spec.origin, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def register(packaged_modules=None) -> None:
    """Add our builder to the packaged-module table (idempotent)."""
    if packaged_modules is None:
        import datasets.packaged_modules as packaged_modules
    table = packaged_modules._PACKAGED_DATASETS_MODULES
    if NAME not in table:
        table[NAME] = (BUILDER_MODULE, code_hash())


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the real loader of `datasets.packaged_modules` to register after it runs."""

    def find_spec(self, fullname, path, target=None):
        if fullname != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Loader(spec.loader)
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        try:
            register(module)
        except Exception as exc:  # never break `import datasets` for everyone
            print(f"synthetic_persona_chat: could not register the datasets builder ({exc})", file=sys.stderr)

    def __getattr__(self, name):  # get_source, get_filename, ... of the real loader
        return getattr(self.loader, name)


def install() -> None:
    """Called from the .pth file at interpreter start."""
    if os.environ.get("SPC_DATASETS_HOOK", "1") == "0":
        return
    if TARGET in sys.modules:
        register(sys.modules[TARGET])
    elif not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
