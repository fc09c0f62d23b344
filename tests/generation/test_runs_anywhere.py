"""The embedded default runs on a machine where no native LLM extension can load, from any directory,
reading nothing outside the installed package (the SPC sample ships inside it)."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq

from synthetic_persona_chat.config import load_config
from synthetic_persona_chat.generation.commands import load_preset
from synthetic_persona_chat.generation.config import critic_config
from synthetic_persona_chat.generation.critic import expression
from synthetic_persona_chat.sample_data import resolve_path, sample_path

# llama_cpp set to None in sys.modules: any `import llama_cpp` raises ImportError in that process.
CHILD = """
import sys
sys.modules["llama_cpp"] = None
from synthetic_persona_chat.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.startswith("llama_cpp") and sys.modules[m] is not None)
print("NATIVE_LLM_MODULES=" + ",".join(loaded))
sys.exit(code)
"""

SHRINK = ["--set", "generation.iterations=1", "--set", "generation.max_pairs=2", "--set", "pairs.max_pairs=2",
          "--set", "expand.max_queries=3", "--set", "profiles.num_users=8", "--set", "generation.max_tokens=128"]


def test_tiny_preset_without_llama_cpp_from_an_unrelated_directory(tmp_path, minilm):
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    run = elsewhere / "run"
    proc = subprocess.run([sys.executable, "-c", CHILD, "generate", "--preset", "tiny", "--run-dir", str(run),
                           *SHRINK], cwd=elsewhere, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NATIVE_LLM_MODULES=\n" in proc.stdout
    config = (run / "config.yaml").read_text()
    assert "spc-sample:valid" in config and "shared/data" not in config  # symbolic, machine-independent seeds
    models = json.loads((run / "models.json").read_text())
    assert models["llm"]["backend"] == "transformers"
    cands = pq.read_table(run / "conversations" / "candidates.parquet").to_pylist()
    assert cands and all(c["generator"] == "transformers:smollm2" for c in cands)
    assert_winners_express_their_personas(cands, minilm)


def assert_winners_express_their_personas(cands, minilm):
    """Issue #28: the tiny preset runs the expression gate, so every winner's persona coverage is above it,
    recomputed here with the gate's own function, and every candidate that reached the gate got its verdict."""
    winners = [c for c in cands if c["selected"]]
    assert winners, "the tiny run made no winner"
    reached = [c for c in cands if any(v["expert"] == "toxicity" and v["passed"] for v in c["verdicts"])]
    assert all(any(v["expert"] == expression.NAME for v in c["verdicts"]) for c in reached)
    cfg = critic_config(load_config(None, base=load_preset("tiny")))
    verdicts = expression.judge(winners, SimpleNamespace(embedder=minilm), cfg)
    assert all(v.passed and v.score >= cfg.min_expressed_share for v in verdicts), [v.reason for v in verdicts]


def test_packaged_sample_is_real_spc():
    from synthetic_persona_chat.readers import read_spc_csv

    for split in ("valid", "test"):
        convs, skips = read_spc_csv(sample_path(split), split=split)
        assert len(convs) + len(skips) == 150 and len(convs) >= 148
    assert resolve_path("spc-sample:").is_dir()
    assert (resolve_path("spc-sample:") / "README.md").read_text().count("CC BY 4.0") >= 1
    assert resolve_path("x.csv") == Path("x.csv")
