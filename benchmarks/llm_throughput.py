"""LLM throughput of the embedded default, side by side in one run on the same prompts.

    python benchmarks/llm_throughput.py [--prompts 64] [--max-tokens 64] [--batches 8,32,64]
                                        [--backends transformers,continuous,llama-cpp,openai,decode,levers]

Rows (all on the bundled SmolLM2-135M-Instruct Q4_1 GGUF):
- transformers single-stream (batch 1) and static left-padded batches of 8 / 32 / 64, prompts sorted by length
  (what `transformers:smollm2`, the default, does);
- transformers continuous batching (`model.generate_batch`, paged attention), same prompts;
- llama.cpp single-stream (its Python API decodes one sequence at a time), when the optional extra is
  installed (`SPC_LLAMA_CPP=1 bash scripts/setup.sh`);
- the OpenAI-compatible client against llama-cpp-python's server, when installed (concurrency 1 vs N).
Greedy decoding, so every row decodes the same kind of text. Ratios: `vs_llama_cpp` against llama.cpp
single-stream, `vs_single` against the same backend's single-stream row.

`decode` (`--backends decode`): decoding alone, float32 vs int8 vs int8-exact vs int8-fast on the same batch (the prefill
timed apart and subtracted), each with and without fused projections (fused_projections.py: q/k/v and gate/up as
one product per group; `same_texts`: the share of greedy token sequences equal to the unfused row's), best of
`--decode-rounds` interleaved rounds.

`levers` (the #24 decode levers, `--backends levers`): the Generator's own workload, long few-shot prompts
made of packaged SPC sample conversations, m=3 candidates sampled per prompt (top-k 40, temperature 0.7,
one seed), on ONE loaded model whose settings are switched between rows, so every row sees the same
load. Rows: the default (dtype auto = float32 on a CPU without native bf16, one prefill shared by a
prompt's m samples, batch 32, SDPA attention), then one lever changed each: no prefix sharing
(transformers' num_return_sequences: the prompt is prefilled m times), batch 16 / 64, eager attention,
static KV cache, 1 intra-op thread, int8 weights (`quantize: int8`: a second, quantised copy, projections fused;
then `int8-exact`, the same copy with float64 attention; then `int8-fast`, torch quantize_dynamic, per-batch scale)
then the int8 and the demo's rows with projections not fused (as before #24.3)
and bfloat16 weights (the model cast in place, last). `vs_default` is the
tok/s ratio to the default row; `same_texts` the share of the candidates identical to the default row's
(a lever below 1.0 changes the outputs, so it is not a default).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import write_results  # noqa: E402
from synthetic_persona_chat.models import GenerationParams, load_llm  # noqa: E402
from synthetic_persona_chat.models.bundled import smollm2_gguf  # noqa: E402
from synthetic_persona_chat.models.llm.fused_projections import fuse_projections  # noqa: E402
from synthetic_persona_chat.models.llm.int8 import apply_quantize, use_float64_attention  # noqa: E402

TOPICS = ["your dogs", "your job as a nurse", "hiking in the mountains", "your favourite band", "cooking pasta",
          "learning to surf", "your garden", "a trip to Japan", "playing chess", "your new house"]


def prompts(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"Write a short, friendly chat message about {TOPICS[i % len(TOPICS)]}"
              + (" and ask a question back." if i % 3 else ".")}] for i in range(n)]


def timed(llm, chats, params) -> dict:
    start = time.perf_counter()
    out = llm.generate(chats, params)
    seconds = time.perf_counter() - start
    tokens = sum(c.completion_tokens for c in out)
    return {"seconds": round(seconds, 2), "completion_tokens": tokens, "tok_per_s": tokens / seconds}


def bench_transformers(chats, params, batches: list[int], single_prompts: int) -> list[dict]:
    """Single-stream runs on a prefix of the prompts (it is slow); batched runs on all of them."""
    llm = load_llm({"backend": "transformers", "model": "smollm2", "batch_size": 1})
    llm.generate(chats[:2], params.replace(max_tokens=4))  # warm-up
    rows = [{"backend": "transformers", "mode": "single-stream", "prompts": single_prompts,
             **timed(llm, chats[:single_prompts], params)}]
    for batch in batches:
        llm.batch_size = batch
        rows.append({"backend": "transformers", "mode": f"static batch {batch}", "prompts": len(chats),
                     **timed(llm, chats, params)})
    return rows


def bench_continuous(chats, params) -> list[dict]:
    """transformers' continuous batching (paged attention) on the same GGUF, greedy."""
    from transformers import GenerationConfig

    llm = load_llm({"backend": "transformers", "model": "smollm2"})
    tok, model = llm.tokenizer, llm._model
    inputs = [tok.apply_chat_template(c, add_generation_prompt=True, tokenize=True, return_dict=False)
              for c in chats]
    inputs = [list(x["input_ids"]) if isinstance(x, dict) else list(x) for x in inputs]
    cfg = GenerationConfig(max_new_tokens=params.max_tokens, do_sample=False, eos_token_id=tok.eos_token_id,
                           pad_token_id=tok.pad_token_id)
    try:
        model.generate_batch(inputs[:2], generation_config=cfg, max_new_tokens=4)  # warm-up
        start = time.perf_counter()
        out = model.generate_batch(inputs, generation_config=cfg)
        seconds = time.perf_counter() - start
    except Exception as exc:  # an API that fails on CPU is a finding, not a crash of the benchmark
        return [{"backend": "transformers", "mode": "continuous batching", "note": f"failed: {exc}"[:200]}]
    tokens = sum(len(r.generated_tokens) for r in out.values())
    return [{"backend": "transformers", "mode": "continuous batching", "prompts": len(chats),
             "seconds": round(seconds, 2), "completion_tokens": tokens, "tok_per_s": tokens / seconds}]


def bench_llama_cpp(chats, params, single_prompts: int) -> list[dict]:
    llm = load_llm("llama-cpp:smollm2")
    llm.generate(chats[:1], params.replace(max_tokens=4))  # warm-up
    row = {"backend": "llama-cpp", "mode": "single-stream", "prompts": single_prompts,
           **timed(llm, chats[:single_prompts], params)}
    llm.close()
    return [row]


def bench_openai(chats, params, concurrency: int, single_prompts: int) -> list[dict]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tempfile.NamedTemporaryFile(suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/models", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        load_llm({"backend": "openai", "model": "smollm2", "base_url": url}).generate(
            chats[:1], params.replace(max_tokens=4))  # warm-up: the server's first request is slow
        rows = []
        for conc, mode in ((1, "single-stream"), (concurrency, f"concurrent x{concurrency}")):
            llm = load_llm({"backend": "openai", "model": "smollm2", "base_url": url, "concurrency": conc})
            rows.append({"backend": "openai (llama.cpp server)", "mode": mode, "prompts": single_prompts,
                         **timed(llm, chats[:single_prompts], params)})
        return rows
    finally:
        proc.kill()
        proc.wait()


def fewshot_prompts(n: int, examples: int = 3, turns: int = 10) -> list[list[dict[str, str]]]:
    """Generator-shaped chats: `examples` real SPC sample conversations as few-shot, then the request."""
    from synthetic_persona_chat.readers import read_spc_csv
    from synthetic_persona_chat.sample_data import sample_path

    convs, _ = read_spc_csv(sample_path("valid"))
    chats = []
    for i in range(n):
        shown = [convs[(i * examples + k) % len(convs)] for k in range(examples)]
        text = "\n\n".join("\n".join(f"{t.speaker.title()}: {t.text}" for t in c.turns[:turns]) for c in shown)
        chats.append([{"role": "system", "content": "You write conversations between two people."},
                      {"role": "user", "content": f"Example conversations:\n\n{text}\n\nWrite a new conversation "
                                                  f"between User 1 and User 2, one line per turn."}])
    return chats


LEVERS = [  # (row name, attribute changes on the loaded TransformersLLM, threads or None)
    ("default", {}, None),
    ("no prefix sharing", {"prefix_sharing": False}, None),
    ("batch 16", {"batch_size": 16}, None),
    ("batch 64", {"batch_size": 64}, None),
    ("eager attention", {"attn": "eager"}, None),
    ("static KV cache", {"prefix_sharing": False, "generate_options": {"cache_implementation": "static"}}, None),
    ("1 thread", {}, 1),
    ("int8 weights (quantize: int8)", {"model": "int8"}, None),
    ("int8 weights and float64 attention (quantize: int8-exact)", {"model": "int8", "attn": "sdpa_float64"}, None),
    ("int8 weights with per-batch scale (quantize: int8-fast)", {"model": "int8-fast"}, None),
    ("batch's shared prompt prefix prefilled once (batch_prefix: on)", {"batch_prefix": True}, None),
    ("int8-fast and the batch prefix (the demo's)", {"model": "int8-fast", "batch_prefix": True}, None),
    ("int8 weights with projections not fused (before #24.3)", {"model": "int8-unfused"}, None),
    ("int8-fast and the batch prefix with projections not fused (the demo's before #24.3)",
     {"model": "int8-fast-unfused", "batch_prefix": True}, None),
    ("bfloat16 weights", {"dtype": "bfloat16"}, None),
]

# Quantised copies the lever rows switch to: (quantize, projections fused); the library fuses every quantised model.
LEVER_MODELS = {"int8": ("int8", True), "int8-fast": ("int8-fast", True), "int8-unfused": ("int8", False),
                "int8-fast-unfused": ("int8-fast", False)}

ATTENTION: dict[int, str] = {}  # id(model) -> its own attention implementation, restored between rows


def _apply(llm, changes: dict, models: dict) -> None:
    """Switch the loaded model's settings; `model` swaps in another loaded copy (int8 cannot be undone)."""
    import torch

    llm._model = models[changes.get("model", "default")]
    llm._model.set_attn_implementation(ATTENTION[id(llm._model)])
    for key, value in changes.items():
        if key == "model":
            continue
        if key == "attn":
            llm._model.set_attn_implementation(value)
        elif key == "dtype":
            llm._model.to(getattr(torch, value))
        else:
            setattr(llm, key, value)


def bench_levers(n_prompts: int, max_tokens: int, names: list[str] | None = None) -> list[dict]:
    """Each decode lever against the default, in one process on one model (same load for every row)."""
    import torch

    chats = fewshot_prompts(n_prompts)
    params = GenerationParams(n=3, max_tokens=max_tokens, temperature=0.7, top_k=40, seed=0)
    llm = load_llm({"backend": "transformers", "model": "smollm2"})
    models = {"default": llm._model}
    wanted = {changes.get("model") for name, changes, _ in LEVERS if not names or name in names}
    for key, (quantize, fuse) in LEVER_MODELS.items():  # quantised copies (int8 cannot be undone in place)
        if key in wanted:
            models[key] = load_variant(quantize, fuse)._model
    for key in ("int8", "int8-unfused"):
        if key in models:
            use_float64_attention(models[key])  # registered, then restored to the model's own (SDPA) below
            models[key].set_attn_implementation("sdpa")
    ATTENTION.update({id(m): m.config._attn_implementation for m in models.values()})
    info = llm.describe()
    llm.generate(chats[:2], params.replace(max_tokens=4))  # warm-up
    baseline = {k: getattr(llm, k) for k in ("prefix_sharing", "batch_size", "generate_options", "batch_prefix")}
    threads, rows, reference = torch.get_num_threads(), [], None
    prompt_tokens = None
    for name, changes, n_threads in LEVERS:
        if names and name not in names and name != "default":
            continue
        _apply(llm, {**baseline, **changes}, models)
        torch.set_num_threads(n_threads or threads)
        start = time.perf_counter()
        out = llm.generate(chats, params)
        seconds = time.perf_counter() - start
        torch.set_num_threads(threads)
        texts = [t for c in out for t in c.texts]
        reference = reference or texts
        prompt_tokens = prompt_tokens or sum(c.prompt_tokens for c in out) // params.n
        tokens = sum(c.completion_tokens for c in out)
        rows.append({"backend": "transformers", "mode": f"lever: {name}", "prompts": len(chats),
                     "seconds": round(seconds, 2), "completion_tokens": tokens, "tok_per_s": tokens / seconds,
                     "same_texts": round(sum(a == b for a, b in zip(texts, reference)) / len(texts), 3)})
    for row in rows:
        row["vs_default"] = round(row["tok_per_s"] / rows[0]["tok_per_s"], 2)
    rows[0]["note"] = (f"{info['dtype']} ({info['dtype_reason']}), quantize {info['quantize']} "
                       f"({info['quantize_reason']}), prefix sharing, batch {baseline['batch_size']}; "
                       f"{prompt_tokens // len(chats)} prompt tokens per prompt, m=3 samples, {threads} threads")
    return rows


def _generate(model, enc, steps: int, pad_id: int) -> tuple[float, object]:
    """(seconds, the tokens) of `steps` greedy tokens for the batch."""
    import torch

    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(**enc, max_new_tokens=steps, min_new_tokens=steps, do_sample=False,
                             pad_token_id=pad_id)
    return time.perf_counter() - start, out


DECODE_VARIANTS = [  # (row name, weights dtype, quantize, projections fused): float32 stays unfused in the library
    ("float32", "float32", "none", False), ("float32, fused projections", "float32", "none", True),
    ("bfloat16", "bfloat16", "none", False),  # fast only where the CPU multiplies bf16 natively
    ("int8", "float32", "int8", False), ("int8, fused projections", "float32", "int8", True),
    ("int8, float64 attention", "float32", "int8-exact", False),
    ("int8, float64 attention, fused projections", "float32", "int8-exact", True),
    ("int8, per-batch scale", "float32", "int8-fast", False),
    ("int8, per-batch scale, fused projections", "float32", "int8-fast", True),
]


def load_variant(dtype: str, quantize: str, fuse: bool):
    """The bundled model in `dtype`, quantised as `quantize`, its shared-input projections fused or not
    (fused_projections.py; the library fuses every quantised model and no float32 one). The dtype is named,
    never `auto`: on a CPU with native bf16, auto would load bf16 weights under every row."""
    llm = load_llm({"backend": "transformers", "model": "smollm2", "quantize": "none", "dtype": dtype})
    if quantize != "none":
        llm._model, llm.quantize = apply_quantize(llm._model, quantize, fuse=fuse), quantize
    elif fuse:
        fuse_projections(llm._model)
    return llm


def bench_decode(n_prompts: int, steps: int, rounds: int = 2, names: list[str] | None = None) -> list[dict]:
    """Decoding alone, each DECODE_VARIANTS row side by side: a batch of `n_prompts` short chat prompts run for
    1 and for `steps` greedy tokens (no early stop); decode tok/s = n_prompts x (steps - 1) / (time(steps) -
    time(1)), so the prefill cancels out; each time the best of `rounds` interleaved rounds (the machine is shared).
    `same_texts`: the share of the batch's greedy token sequences equal to the same setting's unfused row."""
    llms = {f"{name} (quantize: {q})": (load_variant(dtype, q, fuse), (dtype, q), fuse)
            for name, dtype, q, fuse in DECODE_VARIANTS if not names or name in names}
    first = next(iter(llms.values()))[0]
    texts = [first._template(c) for c in prompts(n_prompts)]
    enc = first.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    pad = first.tokenizer.pad_token_id
    full: dict[str, float] = {}
    one: dict[str, float] = {}
    outputs: dict[tuple[tuple[str, str], bool], object] = {}
    for name, (llm, q, fuse) in llms.items():
        outputs[q, fuse] = _generate(llm._model, enc, steps, pad)[1]  # warm-up, and the tokens compared
    for _ in range(rounds):  # each clock's best apart: the best of differences favours a slow 1-step round
        for name, (llm, _, _) in llms.items():
            full[name] = min(full.get(name, float("inf")), _generate(llm._model, enc, steps, pad)[0])
            one[name] = min(one.get(name, float("inf")), _generate(llm._model, enc, 1, pad)[0])
    rows = []
    for name in llms:
        seconds = full[name] - one[name]
        _, q, fuse = llms[name]
        row = {"backend": "transformers", "mode": f"decode only: {name}", "prompts": n_prompts,
               "seconds": round(seconds, 2), "completion_tokens": n_prompts * (steps - 1),
               "tok_per_s": n_prompts * (steps - 1) / seconds,
               "note": f"batch {n_prompts}, prompts of {enc['input_ids'].shape[1]} tokens (padded), {steps} steps"}
        if fuse and (q, False) in outputs:
            same = (outputs[q, True] == outputs[q, False]).all(dim=1).float().mean()
            row["same_texts"] = round(float(same), 3)
        rows.append(row)
    for row in rows:
        row["vs_default"] = round(row["tok_per_s"] / rows[0]["tok_per_s"], 2)
    return rows


def add_ratios(rows: list[dict]) -> None:
    llama = next((r for r in rows if r["backend"] == "llama-cpp" and "tok_per_s" in r), None)
    for row in rows:
        if "tok_per_s" not in row:
            continue
        base = next((r for r in rows if r["backend"] == row["backend"] and r["mode"] == "single-stream"), None)
        if base:
            row["vs_single"] = round(row["tok_per_s"] / base["tok_per_s"], 2)
        if llama:
            row["vs_llama_cpp"] = round(row["tok_per_s"] / llama["tok_per_s"], 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--single-prompts", type=int, default=8, help="prompts for the (slow) single-stream rows")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--batches", default="8,32,64")
    ap.add_argument("--backends", default="transformers,continuous,llama-cpp,openai,decode,levers")
    ap.add_argument("--lever-prompts", type=int, default=16, help="few-shot prompts for the levers rows (x3 samples)")
    ap.add_argument("--decode-batch", type=int, default=32, help="batch of the decode-only rows")
    ap.add_argument("--decode-steps", type=int, default=32, help="greedy steps of the decode-only rows")
    ap.add_argument("--decode-rounds", type=int, default=2, help="interleaved rounds of the decode-only rows")
    ap.add_argument("--decode-variants", default="", help="semicolon-separated decode row names (default: all)")
    ap.add_argument("--levers", default="", help="comma-separated lever names to run (default: all)")
    args = ap.parse_args()
    chats = prompts(args.prompts)
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.0, top_k=1, seed=0)
    batches = [int(b) for b in args.batches.split(",")]
    backends = args.backends.split(",")
    has_llama = importlib.util.find_spec("llama_cpp") is not None
    rows: list[dict] = []
    if "llama-cpp" in backends:
        rows += bench_llama_cpp(chats, params, args.single_prompts) if has_llama else [
            {"backend": "llama-cpp", "mode": "single-stream", "note": "optional extra not installed"}]
    if "transformers" in backends:
        rows += bench_transformers(chats, params, batches, args.single_prompts)
    if "continuous" in backends:
        rows += bench_continuous(chats, params)
    if "openai" in backends and has_llama and importlib.util.find_spec("llama_cpp.server"):
        rows += bench_openai(chats, params, max(batches), args.single_prompts)
    if "decode" in backends:
        rows += bench_decode(args.decode_batch, args.decode_steps, args.decode_rounds,
                             [n for n in args.decode_variants.split(";") if n])
    if "levers" in backends:
        rows += bench_levers(args.lever_prompts, args.max_tokens, [n for n in args.levers.split(",") if n])
    add_ratios(rows)
    write_results("llm_throughput", rows,
                  ["backend", "mode", "prompts", "seconds", "completion_tokens", "tok_per_s", "vs_single",
                   "vs_llama_cpp", "vs_default", "same_texts", "note"],
                  {"prompts": args.prompts, "max_tokens": args.max_tokens, "decoding": "greedy (levers: sampled)",
                   "load_average_at_end": list(os.getloadavg())})


if __name__ == "__main__":
    main()
