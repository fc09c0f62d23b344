"""A SentenceTransformer exported once to ONNX, for the onnx and openvino backends to run without torch.

Why not sentence-transformers' own `backend="onnx"`: it needs `optimum`, whose releases pin
transformers 4.x / huggingface_hub 0.x, incompatible with this package. So we export the
transformer ourselves with `torch.onnx.export` (the dynamo exporter of torch 2.x: it needs `onnx` and
`onnxscript`), with the SentenceTransformer's mean pooling and L2 normalisation *inside* the graph:
the session returns the same unit vectors `SentenceTransformer.encode(normalize_embeddings=True)` does.

Optional int8: dynamic quantisation (`onnxruntime.quantization.quantize_dynamic`, per-channel int8
weights, activations quantised at run time) after onnxruntime's transformer graph optimisation, so
the fused graph is what gets quantised. Its effect on ranking quality is measured in
`benchmarks/embedding_backends.py`, not assumed.

Runtimes: onnxruntime (`onnx_backend`, CPU execution provider), or OpenVINO (`openvino_backend`) on the fp32 export;
OpenVINO computes in bf16 where the CPU has native bf16 (its own default) and in f32 elsewhere, which it
reports (`describe()["precision"]`), so vectors of the two precisions are cached apart by the Embedder.

What is supported: a SentenceTransformer made of exactly Transformer -> Pooling(mean) [-> Normalize],
with a BERT-like encoder (`SUPPORTED_MODEL_TYPES`). Anything else raises `UnsupportedForOnnx` with
the reason; the caller (`Embedder`) decides to fall back and logs it.

The exported file is built once per (model weights + module config, precision, library versions)
and kept in the user cache dir (`$SPC_CACHE_DIR/onnx/<key>/`), with the tokenizer and a small
`meta.json`: a cache hit loads neither torch nor the SentenceTransformer.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Iterator, TypedDict

import numpy as np

from ...errors import ModelError
from ...paths import user_cache_dir
from ...versions import installed_versions

log = logging.getLogger(__name__)

PRECISIONS = ("fp32", "int8")
# Encoders whose HF forward is (input_ids, attention_mask[, token_type_ids]) -> last_hidden_state and
# that the exporter and onnxruntime's "bert" optimiser handle; each one is exercised in
# tests/models/test_onnx_encoder.py.
SUPPORTED_MODEL_TYPES = ("bert", "roberta", "xlm-roberta", "distilbert", "mpnet")
# Bump when the export recipe changes: old cache entries are then never served.
EXPORT_RECIPE = 1
_VERSIONED = ("torch", "transformers", "sentence-transformers", "onnx", "onnxscript", "onnxruntime")


class UnsupportedForOnnx(ModelError, ValueError):
    """The model cannot be run by this exporter (the message says why); use the torch backend."""


class OnnxUnavailable(ModelError, ImportError):
    """onnxruntime (or, to export, onnx/onnxscript) is not installed: `pip install 'synthetic-persona-chat[onnx]'`."""


def onnx_cache_dir() -> Path:
    """Exports live beside the embedding cache, in the user cache dir (never in the repository)."""
    return user_cache_dir() / "onnx"


def require_runtime(runtime: str) -> Any:
    """The inference engine module ("openvino" or "onnxruntime"), or an error naming the extra to install."""
    module, extra = ("openvino", "openvino") if runtime == "openvino" else ("onnxruntime", "onnx")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OnnxUnavailable(f"the {runtime} embedder backend needs {module}: "
                              f"pip install 'synthetic-persona-chat[{extra}]'") from exc


class Export:
    """An export folder loaded for inference: its meta, its tokenizer, and the inputs a batch becomes.

    Both runtimes (`onnx_backend`, `openvino_backend`) run the same export; this is what they share.
    """

    def __init__(self, location: str | Path, precision: str, max_seq_length: int | None,
                 cache_dir: str | Path | None) -> None:
        from transformers import AutoTokenizer  # heavy library: loaded only when an export is used

        self.path = ensure_export(location, precision, Path(cache_dir) if cache_dir else onnx_cache_dir())
        self.meta = json.loads((self.path / "meta.json").read_text())
        self.dim = int(self.meta["dim"])
        self.native_max_seq_length = int(self.meta["max_seq_length"])
        self.max_seq_length = int(max_seq_length or self.native_max_seq_length)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path / "tokenizer"))

    def _cased(self, texts: list[str]) -> list[str]:
        return [t.lower() for t in texts] if self.meta["do_lower_case"] else list(texts)

    def inputs(self, batch: list[str]) -> dict[str, np.ndarray]:
        """The model's int64 inputs for one padded batch."""
        feats = self.tokenizer(self._cased(batch), padding=True, truncation="longest_first",
                               max_length=self.max_seq_length, return_tensors="np")
        return {k: feats[k].astype(np.int64) for k in self.meta["inputs"]}

    def token_lengths(self, texts: list[str]) -> list[int]:
        ids = self.tokenizer(self._cased(texts), truncation=True, max_length=self.max_seq_length)["input_ids"]
        return [len(i) for i in ids]

    def describe(self, runtime: str, precision: str, threads: int) -> dict[str, str | int]:
        return {"backend": runtime, "runtime": runtime, "precision": precision,
                "model_type": self.meta["model_type"], "threads": threads, "max_seq_length": self.max_seq_length,
                "export": str(self.path), "device": "cpu"}


class ExportedEncoder:
    """What the two runtimes of an export share: one `Encoder` surface over `export` and their `_run(batch)`."""

    runtime = ""
    export: Export
    dim: int
    precision: str
    threads: int

    def _load(self, location: str | Path, precision: str, max_seq_length: int | None, threads: int | None,
              cache_dir: str | Path | None) -> None:
        self.location = str(location)
        self.export = Export(location, precision, max_seq_length, cache_dir)
        self.dim, self.max_seq_length = self.export.dim, self.export.max_seq_length
        self.native_max_seq_length = self.export.native_max_seq_length
        self.threads = int(threads or len(os.sched_getaffinity(0)))

    @property
    def tag(self) -> str:
        """Cache-key suffix: "onnx-fp32", "onnx-int8", "openvino-bf16" ... (the precision really computed in)."""
        return f"{'onnx' if self.runtime == 'onnxruntime' else self.runtime}-{self.precision}"

    def encode(self, texts: list[str], batch_size: int | None = None, sort_by_length: bool = False) -> np.ndarray:
        """One batch by default (the protocol); `batch_size` splits it, by length if `sort_by_length`
        (batches of similar lengths waste the least compute on padding)."""
        size = batch_size or max(1, len(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if sort_by_length else list(range(len(texts)))
        for start in range(0, len(order), size):
            idx = order[start:start + size]
            out[idx] = self._run([texts[i] for i in idx])
        return out

    def _run(self, batch: list[str]) -> np.ndarray:
        raise NotImplementedError

    def token_lengths(self, texts: list[str]) -> list[int]:
        return self.export.token_lengths(texts)

    def describe(self) -> dict[str, str | int]:
        return self.export.describe(self.runtime, self.precision, self.threads)


# --- building the export -------------------------------------------------------------------------------

def ensure_export(location: str | Path, precision: str, cache_dir: Path) -> Path:
    """The cached export folder for (model, precision, versions); built on a miss, atomically."""
    local = Path(str(location)).expanduser()
    st = None
    if local.is_dir():
        weights = _folder_digest(local)
    else:  # a Hub id: the weights themselves are the identity
        st = _load_st(str(location))
        weights = _state_digest(st)
    key = _cache_key(weights, precision)
    target = cache_dir / key
    if (target / "meta.json").is_file():
        return target
    st = st if st is not None else _load_st(str(local))
    plan = export_plan(st)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as tmp, _quiet_exporters():
        build = Path(tmp) / key
        build.mkdir()
        start = time.perf_counter()
        _export(st, plan, build, precision)
        plan.update(source=str(location), precision=precision, seconds=round(time.perf_counter() - start, 2),
                    versions=_versions(), recipe=EXPORT_RECIPE)
        (build / "meta.json").write_text(json.dumps(plan, indent=2))
        try:
            build.rename(target)  # another process may have won the race: its export is as good
        except OSError:
            if not (target / "meta.json").is_file():
                raise
    log.info("exported %s to ONNX (%s) in %s", location, precision, target)
    return target


class ExportPlan(TypedDict):
    """What the export needs to know of an encoder. A dict (typed) on purpose: it becomes the export's
    meta.json as-is, with provenance fields added (source, versions, seconds)."""

    model_type: str
    inputs: list[str]
    dim: int
    max_seq_length: int
    do_lower_case: bool
    hidden_size: int
    num_heads: int


def export_plan(st: Any) -> ExportPlan:
    """What the export needs to know, or `UnsupportedForOnnx` naming what does not fit."""
    names = [type(m).__name__ for m in st]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedForOnnx(f"modules {names}: only Transformer -> Pooling(mean) [-> Normalize] is exported")
    transformer, pooling = st[0], st[1]
    modes = pooling.pooling_mode
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if modes != ("mean",):
        raise UnsupportedForOnnx(f"pooling {modes}: only mean pooling is exported")
    hf = getattr(transformer, "auto_model", None)
    model_type = getattr(getattr(hf, "config", None), "model_type", None)
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise UnsupportedForOnnx(f"encoder type {model_type!r}: supported are {', '.join(SUPPORTED_MODEL_TYPES)}")
    tokenizer = transformer.tokenizer
    config = hf.config
    # token_type_ids are all zeros for one sentence, which every supported encoder assumes when they are absent
    return ExportPlan(model_type=model_type, inputs=["input_ids", "attention_mask"], dim=int(config.hidden_size),
                      max_seq_length=int(transformer.max_seq_length or tokenizer.model_max_length),
                      do_lower_case=bool(getattr(transformer, "do_lower_case", False)),
                      hidden_size=int(config.hidden_size),
                      num_heads=int(getattr(config, "num_attention_heads", getattr(config, "n_heads", 0))))


def _export(st: Any, plan: ExportPlan, out: Path, precision: str) -> None:
    import torch

    try:  # torch's dynamo exporter needs onnx + onnxscript but imports them deep inside; the optimiser is ort's
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as exc:
        raise OnnxUnavailable(f"exporting to ONNX needs onnx, onnxscript and onnxruntime ({exc}): "
                              "pip install 'synthetic-persona-chat[onnx]'") from exc
    hf = st[0].auto_model.eval()
    tokenizer = st[0].tokenizer
    tokenizer.save_pretrained(str(out / "tokenizer"))
    sample = tokenizer(["a short one", "and a somewhat longer example sentence"], padding=True, return_tensors="pt")
    args = tuple(sample[k] for k in plan["inputs"])
    batch, seq = torch.export.Dim("batch", min=1, max=65536), torch.export.Dim("seq", min=2, max=8192)
    fp32 = out / "fp32.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        # the exporter warns that two inputs share the batch/seq axis names (they do, on purpose) and about
        # deprecations inside torch.export itself: nothing a user of this package can act on
        warnings.filterwarnings("ignore", message=".*axis name.*", category=UserWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        try:
            program = torch.onnx.export(_mean_pooled(hf).eval(), args, dynamo=True,
                                        input_names=plan["inputs"], output_names=["sentence_embedding"],
                                        dynamic_shapes={k: {0: batch, 1: seq} for k in plan["inputs"]},
                                        verbose=False)
        except Exception as exc:  # an encoder variant the exporter cannot trace: say so, the caller falls back
            raise UnsupportedForOnnx(f"torch.onnx.export failed for this {plan['model_type']} model: "
                                     f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    program.save(str(fp32), external_data=False)
    optimised = out / "optimised.onnx"
    _optimise(fp32, optimised, plan)
    if precision == "int8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(optimised), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True)
        optimised.unlink()
    else:
        optimised.rename(out / "model.onnx")
    fp32.unlink()


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """The exporter, optimiser and quantiser log every graph rewrite at INFO (the quantiser on the root logger)
    and warn about what does not apply to us (torchvision ops, the optimiser's symbolic shape inference, which
    it does without, the quantiser's advice to pre-process, which fails on this graph); an export is one line
    of ours, so they are held back while it runs. Errors still show."""
    levels = {"": logging.ERROR, "onnx_ir": logging.WARNING, "onnxscript": logging.WARNING,
              "torch.onnx": logging.ERROR, "onnx_model": logging.ERROR, "onnx_model_bert": logging.ERROR,
              "fusion_base": logging.ERROR, "fusion_skiplayernorm": logging.ERROR}
    saved = {name: logging.getLogger(name).level for name in levels}
    for name, level in levels.items():
        lg = logging.getLogger(name)
        lg.setLevel(max(level, lg.getEffectiveLevel()))
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the optimiser prints its shape-inference failure
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _optimise(src: Path, dst: Path, plan: ExportPlan) -> None:
    """onnxruntime's transformer optimiser (LayerNorm / bias-GELU fusion) on the exported graph."""
    from onnxruntime.transformers.optimizer import optimize_model

    model = optimize_model(str(src), model_type="bert", num_heads=plan["num_heads"],
                           hidden_size=plan["hidden_size"], opt_level=1)
    model.save_model_to_file(str(dst))


def _mean_pooled(hf: Any) -> Any:
    """The encoder + SentenceTransformer's mean pooling (padding masked out) + L2 normalisation, as one module."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hf = hf

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.hf(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return MeanPooled()


def _load_st(location: str) -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(location, device="cpu")


def _folder_digest(folder: Path) -> str:
    """Content hash of every file in a model folder: a re-trained model saved to the same path is a new key."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not _skipped(p.relative_to(folder))):
        h.update(str(path.relative_to(folder)).encode())
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _skipped(rel: Path) -> bool:
    """Training leftovers and hidden files are not the model."""
    return any(part.startswith((".", "checkpoint")) for part in rel.parts)


def _state_digest(st: Any) -> str:
    h = hashlib.sha256(json.dumps([type(m).__name__ for m in st]).encode())
    for name, tensor in sorted(st.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _versions() -> dict[str, str]:
    return installed_versions(_VERSIONED, missing="missing")


def _cache_key(weights: str, precision: str) -> str:
    parts = json.dumps({"weights": weights, "precision": precision, "recipe": EXPORT_RECIPE,
                        "versions": _versions()}, sort_keys=True)
    return f"{precision}-{hashlib.sha256(parts.encode()).hexdigest()[:20]}"
