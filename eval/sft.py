"""Supervised fine-tuning of a persona chatbot on the `messages` config, with TRL's `SFTTrainer`.

Why TRL and not a loop of our own: it already knows chat templates, assistant-only loss masks, LoRA through
`peft`, checkpoints and accelerate's device choice; we only pick the data and the hyper-parameters.

- Data: every conversation becomes the `messages` config's rows (`builder.messages.message_rows`, the one
  converter): the responding speaker is the assistant, its persona the system message, one row per speaker.
- Loss only on the assistant turns: `SFTConfig(assistant_only_loss=True)` needs a chat template with
  `{% generation %}` markers. SmolLM2's ChatML template has none and TRL ships no patch for it, so
  `training_template` gives the same template with the markers around each assistant reply and its
  `<|im_end|>` (it renders the very same text: the model learns to stop, the prompt side is never trained).
- Default model: the bundled SmolLM2-135M-Instruct GGUF, dequantised by transformers into a float32 model
  that trains like any other; any Hub id or local folder works too.
- Outputs: `OUT/sft/<train set>/checkpoints/` (the trainer's, when `save_steps` asks for them) and the final
  model + tokenizer in `OUT/sft/<train set>/` (LoRA adapters are merged first, so it loads as a plain model).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from synthetic_persona_chat.builder.messages import message_rows
from synthetic_persona_chat.models.bundled import LLM_ALIASES, SMOLLM2_TOKENIZER_ID, resolve_gguf
from synthetic_persona_chat.models.llm.gguf_dense import dense_gguf_kwargs, detach_gguf_quantizer
from synthetic_persona_chat.presets import section_presets
from synthetic_persona_chat.jsontypes import JsonObject
from synthetic_persona_chat.records import Conversation

log = logging.getLogger(__name__)

# SmolLM2-Instruct's ChatML template writes every message with this one expression (the strings hold real newlines) ...
CHATML_TURN = "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
# ... which, for training, becomes: the same text, with the assistant's reply and end-of-turn token marked.
CHATML_TRAINING_TURN = (
    "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}{% generation %}"
    "{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}{% else %}" + CHATML_TURN + "{% endif %}")


@dataclass
class SFTRunConfig:
    """`[eval_sft]` config section. Defaults = full settings (a GPU); `PRESETS["small"]` fits 2 CPU cores.

    base_model: "smollm2" (the bundled GGUF, dequantised), a Hub id or a local model folder.
    max_train_conversations / max_test_conversations: seeded subsample per dataset (None = all).
    max_test_examples: NUP examples per test set after that (None = all), seeded.
    epochs / max_steps: training length (max_steps > 0 wins); batch_size x grad_accum = effective batch.
    lora: train LoRA adapters (rank lora_r, alpha lora_alpha, all linear layers) instead of every weight.
    max_length: tokens per training row (longer rows are cut). dtype: "float32", or "bfloat16" (autocast over
        float32 weights; fast only where the CPU/GPU has native bf16, see benchmarks/sft_throughput.py).
    save_steps: a checkpoint every N steps under OUT/sft/<set>/checkpoints (0 = none, only the final model).
    max_new_tokens: greedy reply length for unigram F1 and persona consistency.
    generate_batch: prompts per greedy `generate` call (candidates are scored one example at a time, 20 per pass).
    contradiction_threshold: a reply is flagged when the checker's contradiction probability exceeds it.
    train_sets: which training sets get a fine-tuned row (None = all given).
    license, dataset_repos: the model cards' license and dataset name -> Hub dataset id (as `eval nup`).
    """

    seed: int = 0
    base_model: str = "smollm2"
    max_train_conversations: int | None = None
    max_test_conversations: int | None = None
    max_test_examples: int | None = None
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 8
    grad_accum: int = 1
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.03
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    max_length: int = 1024
    dtype: str = "float32"
    save_steps: int = 500
    max_new_tokens: int = 48
    generate_batch: int = 16
    contradiction_threshold: float = 0.5
    train_sets: tuple[str, ...] | None = None
    license: str = "apache-2.0"
    dataset_repos: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# `--preset NAME`: eval/presets/sft/NAME.yaml (small: 2 CPU cores, ≤ 10 minutes; full: the defaults above).
PRESETS = section_presets(Path(__file__).resolve().parent / "presets" / "sft", "eval_sft", SFTRunConfig)


class LocationKwargs(TypedDict, total=False):
    """`from_pretrained` keyword arguments that say which file of a folder to load (a GGUF's name)."""

    gguf_file: str


class FitJson(TypedDict):
    """What one fine-tuning run did, as `generative.json`'s model entry (`generative_result.SFTModel`) stores it."""

    path: str
    rows: int
    steps: int
    train_tokens: int
    seconds: float
    train_loss: float | None
    tokens_per_second: float


def model_location(name: str) -> tuple[str, LocationKwargs]:
    """(folder or id, from_pretrained kwargs): the bundled alias and `.gguf` paths load through `gguf_file`."""
    if name in LLM_ALIASES or str(name).endswith(".gguf"):
        path = resolve_gguf(name)
        return str(path.parent), LocationKwargs(gguf_file=path.name)
    return str(name), LocationKwargs()


def base_hub_id(name: str) -> str | None:
    """The Hub id a card names as base model (the bundled alias names the original repository; None for a path)."""
    if name in LLM_ALIASES or str(name).endswith(".gguf"):
        return SMOLLM2_TOKENIZER_ID
    return None if Path(name).exists() else str(name)


def load_model(name: str, dtype: str = "float32") -> tuple[Any, Any]:
    """(model, tokenizer) ready to train or score; a GGUF is dequantised into a trainable `dtype` model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    location, kw = model_location(name)
    tokenizer = AutoTokenizer.from_pretrained(location, **kw)
    model = AutoModelForCausalLM.from_pretrained(location, dtype=getattr(torch, dtype), **kw,
                                                 **dense_gguf_kwargs(kw.get("gguf_file")))
    detach_gguf_quantizer(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def training_template(tokenizer: Any) -> str:
    """A chat template with `{% generation %}` markers for `tokenizer`, or a clear error naming the way out."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    current = tokenizer.chat_template
    if current and has_generation_markers(current):
        return current
    if current and current.count(CHATML_TURN) == 1:
        return current.replace(CHATML_TURN, CHATML_TRAINING_TURN)
    try:
        patched = get_training_chat_template(tokenizer)
    except ValueError as exc:
        raise ValueError(f"the model's chat template has no {{% generation %}} markers and TRL cannot patch it "
                         f"({exc}); give a model whose template has them (loss must be on assistant turns only)"
                         ) from exc
    return patched or current


def sft_rows(conversations: list[Conversation]) -> list[dict[str, list[dict[str, str]]]]:
    """The `messages` config's rows of these conversations (one per responding speaker), as TRL reads them."""
    rows = [{"messages": r["messages"]} for c in conversations for r in message_rows(c)]
    if not rows:
        raise ValueError("no conversation has an assistant reply to train on")
    return rows


@dataclass
class SFTResult:
    output_dir: Path
    rows: int
    steps: int
    train_tokens: int
    seconds: float
    train_loss: float | None

    @property
    def tokens_per_second(self) -> float:
        return self.train_tokens / self.seconds if self.seconds else 0.0

    def to_dict(self) -> FitJson:
        return FitJson(path=str(self.output_dir), rows=self.rows, steps=self.steps, train_tokens=self.train_tokens,
                       seconds=round(self.seconds, 2), train_loss=self.train_loss,
                       tokens_per_second=round(self.tokens_per_second, 1))


def sft_config(config: SFTRunConfig, output_dir: Path) -> Any:
    """TRL's `SFTConfig` from ours: assistant-only loss, no packing (rows stay conversations), seeded."""
    from trl import SFTConfig
    from transformers.utils import is_torch_bf16_gpu_available

    bf16 = config.dtype == "bfloat16"
    return SFTConfig(
        # bf16 without an accelerator that has it means CPU autocast: transformers refuses it unless told so
        use_cpu=bf16 and not is_torch_bf16_gpu_available(),
        output_dir=str(output_dir / "checkpoints"), num_train_epochs=config.epochs, max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size, gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate, warmup_steps=config.warmup_ratio, seed=config.seed,
        data_seed=config.seed, assistant_only_loss=True, packing=False, max_length=config.max_length,
        bf16=bf16, save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500, save_only_model=True,
        gradient_checkpointing=False,  # TRL's default True costs ~30% time; a 135M model fits in memory anyway
        report_to="none", logging_steps=1, disable_tqdm=not log.isEnabledFor(logging.INFO),
        dataloader_num_workers=0, dataloader_pin_memory=False, dataset_num_proc=None)


def lora_config(config: SFTRunConfig) -> Any:
    from peft import LoraConfig

    return LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, target_modules="all-linear",
                      task_type="CAUSAL_LM")


def trained_tokens(log_history: list[JsonObject]) -> int:  # the Trainer's log entries: free-form
    """Tokens the trainer consumed (TRL counts them from the attention mask, so padding is not counted)."""
    counts = [float(e["num_tokens"]) for e in log_history if "num_tokens" in e]
    return int(counts[-1]) if counts else 0


def train_sft(conversations: list[Conversation], output_dir: str | Path, config: SFTRunConfig = SFTRunConfig()
              ) -> SFTResult:
    """Fine-tune `config.base_model` on the conversations' `messages` rows; the model lands in `output_dir`."""
    from datasets import Dataset
    from transformers import set_seed
    from trl import SFTTrainer

    output_dir = Path(output_dir)
    set_seed(config.seed)
    model, tokenizer = load_model(config.base_model, "float32")
    tokenizer.chat_template = training_template(tokenizer)
    rows = sft_rows(conversations)
    trainer = SFTTrainer(model=model, args=sft_config(config, output_dir), train_dataset=Dataset.from_list(rows),
                         processing_class=tokenizer, peft_config=lora_config(config) if config.lora else None)
    start = time.perf_counter()
    out = trainer.train()
    seconds = time.perf_counter() - start
    trained = trainer.model.merge_and_unload() if config.lora else trainer.model
    trained.save_pretrained(str(output_dir))
    tokenizer.save_pretrained(str(output_dir))
    return SFTResult(output_dir, len(rows), int(out.global_step), trained_tokens(trainer.state.log_history), seconds,
                     getattr(out, "training_loss", None))
