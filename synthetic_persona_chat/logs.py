"""What `spc` prints while it works: its own progress and INFO lines; other libraries' only when asked (-v).

A default run used to print GGUF de-quantisation bars, sentence-transformers INFO lines with site-packages
paths, one httpx line per Hub request and `datasets`' "Creating parquet..." bar once per file: noise that
buries the lines that say what spc is doing. So by default the root logger (every library) is at WARNING
and only spc's own loggers at INFO; the progress bars of `datasets`, huggingface_hub and transformers
(which follows huggingface_hub's switch) are off, while spc's own bars stay. `-v` shows the libraries'
INFO lines and bars, `-vv` everything at DEBUG. A user's explicit HF_*_DISABLE_PROGRESS_BARS is respected.
transformers' GGUF loader draws its de-quantisation bar with plain tqdm, past transformers' own switch:
`gguf_bar_follows_switch` routes it through that switch, so it too shows only with -v.
"""

from __future__ import annotations

import logging
import os
import sys

OURS = "synthetic_persona_chat"
LIBRARIES = ("datasets", "transformers", "huggingface_hub", "sentence_transformers", "httpx", "httpcore",
             "urllib3", "filelock", "fsspec")
BAR_SWITCHES = {"HF_HUB_DISABLE_PROGRESS_BARS": ("huggingface_hub.utils", "disable_progress_bars"),
                "HF_DATASETS_DISABLE_PROGRESS_BARS": ("datasets", "disable_progress_bars")}
GGUF_LOADER = "transformers.modeling_gguf_pytorch_utils"  # its module-level `tqdm` is plain tqdm.auto
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(verbose: int) -> None:
    """Levels and progress bars for a command run with `verbose` times -v."""
    libraries = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=libraries, format=FORMAT)
    logging.getLogger().setLevel(libraries)
    logging.getLogger(OURS).setLevel(logging.INFO if verbose == 0 else logging.DEBUG)
    for name in LIBRARIES:  # some set their own level at import (datasets, transformers): ours wins
        logging.getLogger(name).setLevel(libraries)
    if verbose == 0:
        quiet_bars()


def quiet_bars() -> None:
    """Third-party progress bars off: for libraries imported later through the environment they read at
    import, for those already imported through their own switch."""
    for variable, (module, function) in BAR_SWITCHES.items():
        if os.environ.setdefault(variable, "1") != "1":
            continue  # the user asked for bars explicitly
        if module.split(".")[0] in sys.modules:
            getattr(__import__(module, fromlist=[function]), function)()
    transformers_logging = sys.modules.get("transformers.utils.logging")
    if transformers_logging is not None and os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1":
        transformers_logging.disable_progress_bar()


def gguf_bar_follows_switch() -> None:
    """Make transformers' GGUF de-quantisation bar obey transformers' progress-bar switch (set by
    `quiet_bars`). Called where a GGUF model is about to load: importing the loader earlier would cost every
    command the transformers import."""
    import importlib

    loader = importlib.import_module(GGUF_LOADER)
    from transformers.utils import logging as transformers_logging
    loader.tqdm = transformers_logging.tqdm  # off when huggingface_hub's bars are off (quiet_bars)
