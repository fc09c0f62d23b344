"""Item 10 of #26: a default `spc` command prints spc's own lines; other libraries' INFO logs and progress bars
(datasets' "Creating parquet...", transformers' weight loading, httpx per request) only with -v."""

from __future__ import annotations

import logging
import subprocess
import sys

from synthetic_persona_chat import logs

from .builder.conftest import subprocess_env


def _build(spc_test_only, out, *flags):
    return subprocess.run([sys.executable, "-m", "synthetic_persona_chat.cli", *flags, "build", str(spc_test_only),
                           "--out", str(out), "--configs", "full,messages"], capture_output=True, text=True,
                          timeout=300, env=subprocess_env(HF_HUB_OFFLINE="1", SPC_GGUF_CACHE="0"))


def test_third_party_bars_and_logs_only_with_v(spc_dir, tmp_path):
    spc_test_only = tmp_path / "release"
    spc_test_only.mkdir()
    (spc_test_only / "Synthetic-Persona-Chat_test.csv").symlink_to(spc_dir / "Synthetic-Persona-Chat_test.csv")
    quiet = _build(spc_test_only, tmp_path / "a")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert "built " in quiet.stdout
    assert "Creating parquet" not in quiet.stderr and " INFO datasets" not in quiet.stderr, quiet.stderr[-2000:]
    loud = _build(spc_test_only, tmp_path / "b", "-v")
    assert loud.returncode == 0 and "Creating parquet" in loud.stderr


def test_levels_ours_at_info_libraries_at_warning_unless_verbose():
    try:
        logs.configure(0)
        assert logging.getLogger("synthetic_persona_chat.builder").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("sentence_transformers.base.model").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
        logs.configure(1)
        assert logging.getLogger("httpx").getEffectiveLevel() == logging.INFO
        assert logging.getLogger("synthetic_persona_chat").getEffectiveLevel() == logging.DEBUG
    finally:
        logging.getLogger().setLevel(logging.WARNING)


def _load_bundled_llm(verbose: int) -> str:
    """stderr of a real load of the bundled GGUF model after `logs.configure(verbose)`, as `spc` does; read from the
    GGUF itself (SPC_GGUF_CACHE=0), the path that draws the bar (a converted folder loads without dequantising)."""
    code = ("from synthetic_persona_chat import logs; logs.configure(%d)\n"
            "from synthetic_persona_chat.models.llm import load_llm; load_llm('transformers:smollm2')" % verbose)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env=subprocess_env(HF_HUB_OFFLINE="1", SPC_GGUF_CACHE="0"))
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_gguf_dequantisation_bar_only_with_v():
    """transformers draws this bar with plain tqdm, past its own switch; a default load prints nothing."""
    assert _load_bundled_llm(0).strip() == ""
    assert "de-quantizing GGUF" in _load_bundled_llm(1)
