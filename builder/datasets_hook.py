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

`datasets` resolves the data files of a packaged builder before the builder runs, from `data_dir` or else
the working directory, and fails on a folder with no data files. For our name alone, with neither
`data_dir` nor `data_files`, the hook skips that resolution, so the bare name reaches the builder, which
reads the release (`hub_source.py`). The same finder patches `datasets.load` after it is imported.

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
LOADER = "datasets.load"
SAMPLE_KEY = "packaged-sample"
# The code the built rows depend on: a change to any of them changes the hash, so `datasets` rebuilds its cache.
# Every builder/ and readers/ module the builder imports, and the row types (tests/builder/test_hashed_modules.py
# fails when one is missing). Listed, not computed, because this runs at every interpreter start.
HASHED_MODULES = tuple(f"synthetic_persona_chat.{m}" for m in (
    "builder.spc_builder", "builder.sources", "builder.hub_source", "builder.nup", "builder.preferences",
    "builder.rows", "builder.features", "builder.messages", "builder.skips", "builder.export_manifest",
    "readers", "readers.spc_csv", "readers.native", "readers.parlai", "readers.sources", "readers.hub_layouts",
    "readers.textfile", "records", "row_contracts", "rowtypes", "text", "iterations"))


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


def patch_bare_name(load_module) -> None:
    """`load_dataset("synthetic_persona_chat")` with no data: hand the builder no data files (idempotent)."""
    factory = load_module.PackagedDatasetModuleFactory
    if getattr(factory.get_module, "_spc_bare_name", False):
        return
    original = factory.get_module

    def get_module(self):
        if self.name == NAME and self.data_dir is None and self.data_files is None:
            return _bare_module(load_module)
        return original(self)

    get_module._spc_bare_name = True
    factory.get_module = get_module


def _bare_module(load_module):
    """Our configs with an empty (not absent) `data_files`: `datasets` then asks for no data, and the builder
    reads the release itself. Offline the builder reads the packaged sample, which gets a hash of its own:
    `datasets` keys its cache by it, so the sample cached offline is never returned for the release online."""
    import dataclasses

    from datasets.data_files import DataFilesDict

    from .spc_builder import SyntheticPersonaChat  # heavy: datasets; this hook runs at every interpreter start

    import datasets

    module_path, hash_ = load_module._PACKAGED_DATASETS_MODULES[NAME]
    if datasets.config.HF_HUB_OFFLINE:  # the packaged sample (hub_source): its own cache key, never the release's
        hash_ = hashlib.sha256(f"{hash_}:{SAMPLE_KEY}".encode()).hexdigest()
    configs = [dataclasses.replace(c, data_files=DataFilesDict()) for c in SyntheticPersonaChat.BUILDER_CONFIGS]
    params = load_module.BuilderConfigsParameters(builder_configs=configs,
                                                   default_config_name=SyntheticPersonaChat.DEFAULT_CONFIG_NAME)
    return load_module.DatasetModule(module_path, hash_, {"dataset_name": NAME}, builder_configs_parameters=params)


AFTER_IMPORT = {TARGET: register, LOADER: patch_bare_name}


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the real loaders of `datasets.packaged_modules` and `datasets.load` to
    register / patch after they run."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in AFTER_IMPORT:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Loader(spec.loader, AFTER_IMPORT[fullname])
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, loader, after) -> None:
        self.loader = loader
        self.after = after

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        try:
            self.after(module)
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
    if LOADER in sys.modules and hasattr(sys.modules[LOADER], "PackagedDatasetModuleFactory"):
        patch_bare_name(sys.modules[LOADER])
    if not all(name in sys.modules for name in AFTER_IMPORT) and \
            not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())
