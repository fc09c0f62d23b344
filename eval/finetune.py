"""Fine-tune a bi-encoder NUP ranker with the sentence-transformers trainer.

Training pairs are (context text, gold next utterance); MultipleNegativesRankingLoss uses
the other golds in the batch as negatives (the in-batch-negatives recipe of ParlAI's
bi-encoder), with a no-duplicates batch sampler so a batch never holds its own positive twice.
The trainer runs on accelerate, which picks the device (GPU when present, else CPU).

Small preset (CPU, minutes): subsampled data, 1 epoch, batch 32, max_seq_length 128.
Full settings for a GPU: all conversations, `epochs=3`, `batch_size=128`, `max_seq_length=256`,
`fp16/bf16` left to accelerate (`--set eval_nup.epochs=3 ...`, see `NUPRunConfig`).
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.models.bundled import embedder_location

from .rankers import BiEncoderRanker

log = logging.getLogger(__name__)


@dataclass
class FineTuneConfig:
    """Hyper-parameters of one fine-tuning run (recorded in the model card)."""

    base_model: str = "minilm"  # bundled all-MiniLM-L6-v2, or any sentence-transformers id/path
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 128
    scale: float = 20.0  # MultipleNegativesRankingLoss temperature (1/scale)
    seed: int = 0

    def to_dict(self) -> JsonObject:  # every field a number, a string or None
        return asdict(self)


@dataclass
class FineTuneResult:
    output_dir: Path
    examples: int
    seconds: float
    train_loss: float | None

    @property
    def examples_per_second(self) -> float:
        return self.examples * 1.0 / self.seconds if self.seconds else 0.0


def training_pairs(contexts: list[str], golds: list[str]) -> "Any":
    """A `datasets.Dataset` with columns anchor/positive (the order MNRL expects)."""
    from datasets import Dataset

    if len(contexts) != len(golds) or not contexts:
        raise ValueError(f"need as many contexts as gold utterances (>0), got {len(contexts)} and {len(golds)}")
    return Dataset.from_dict({"anchor": list(contexts), "positive": list(golds)})


def finetune(contexts: list[str], golds: list[str], output_dir: str | Path,
             config: FineTuneConfig = FineTuneConfig(), card: Any = None) -> FineTuneResult:
    """Train a ranker on (context, gold) pairs; the model is saved to `output_dir`.

    `card`: a `SentenceTransformerModelCardData` (`card.training_card_data`) the model is built with, so the
    README `save()` writes already names the model, license, base model and training set's Hub id.
    """
    from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                       SentenceTransformerTrainingArguments)
    from sentence_transformers.base.sampler import BatchSamplers
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from transformers import set_seed

    output_dir = Path(output_dir)
    set_seed(config.seed)
    model = SentenceTransformer(embedder_location(config.base_model), model_card_data=card)
    model.max_seq_length = config.max_seq_length
    data = training_pairs(contexts, golds)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(output_dir / "checkpoints"), num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size, learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,  # a float < 1 is a ratio in transformers 5
        seed=config.seed, data_seed=config.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="no", report_to="none",
        logging_strategy="no", disable_tqdm=not log.isEnabledFor(logging.INFO), dataloader_num_workers=0)
    loss = MultipleNegativesRankingLoss(model, scale=config.scale)
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data, loss=loss)
    start = time.perf_counter()
    out = trainer.train()
    seconds = time.perf_counter() - start
    model.save(str(output_dir))
    shutil.rmtree(output_dir / "checkpoints", ignore_errors=True)
    return FineTuneResult(output_dir, len(data) * int(max(1, round(config.epochs))), seconds,
                          getattr(out, "training_loss", None))


def load_finetuned(output_dir: str | Path, name: str = "fine-tuned", max_seq_length: int | None = None,
                   backend: str | None = None) -> BiEncoderRanker:
    """The saved model as a ranker; an in-memory cache only (a path may be retrained, so no disk cache).
    `backend` "onnx"/"onnx-int8" exports the saved folder (cached by its content hash, so a retrained model
    is exported again)."""
    return BiEncoderRanker.from_model(str(output_dir), name=name, cache_path=None, max_seq_length=max_seq_length,
                                      backend=backend)

