"""transformers backend: any Hub model id or local path (GGUF too), batched, GPU when present.

The embedded default (`transformers:smollm2`, the bundled GGUF dequantised by transformers + `gguf`):
pure Python wheels, nothing compiled on the user's machine. Throughput comes from batching: each call's
prompts are sorted by length (less left padding) and decoded `batch_size` sequences at a time, which on
2 CPU cores beats llama.cpp's one-sequence API several times over (benchmarks/llm_throughput.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..encoders.precision import native_bf16
from .base import LLM, Chat, Completion, GenerationParams, LLMError
from .gguf_cache import load_location
from .gguf_dense import dense_gguf_kwargs, detach_gguf_quantizer
from .int8 import apply_quantize, resolve_quantize
from .shaped_decoding import ShapeProcessor, Vocabulary
from ..bundled import LLM_ALIASES, resolve_gguf

# A batch's shared prefix shorter than this is prefilled with each prompt: a second forward call costs more.
MIN_BATCH_PREFIX = 16


class TransformersLLM(LLM):
    """Batched sampling with left padding; `device="auto"` takes a GPU if there is one."""

    backend = "transformers"

    def __init__(self, model: str = "smollm2", device: str = "auto", dtype: str = "auto",
                 batch_size: int = 32, gguf_file: str | None = None, prefix_sharing: bool = True,
                 generate_options: dict[str, Any] | None = None, quantize: str = "none",
                 batch_prefix: str = "auto", **kwargs: Any) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        super().__init__(model)
        location, gguf_file = self._locate(model, gguf_file)
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        try:
            self.quantize, self.quantize_reason = resolve_quantize(quantize, self.device, dtype)
        except ValueError as exc:
            raise LLMError(str(exc)) from exc
        try:
            # a GGUF is read from its converted folder (gguf_cache.py): the same weights, a tenth of the time
            source, load_kw = load_location(location, gguf_file)
            self.tokenizer = AutoTokenizer.from_pretrained(source, **load_kw)
            self._model = detach_gguf_quantizer(AutoModelForCausalLM.from_pretrained(
                source, dtype=self._dtype(dtype, torch, self.quantize), **load_kw,
                **dense_gguf_kwargs(load_kw.get("gguf_file")), **kwargs)).to(self.device)
        except OSError as exc:
            raise LLMError(f"cannot load transformers model {model!r}: {exc}") from exc
        self._model.eval()
        self.parameters_m = round(sum(p.numel() for p in self._model.parameters()) / 1e6, 1)  # before int8 packs them
        if self.quantize != "none":
            self._model = apply_quantize(self._model, self.quantize)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size = batch_size
        self.location, self.gguf_file, self.loaded_from = location, gguf_file, source
        # one prefill per prompt for its n samples (see _shared_prefill); extra model.generate options
        # (e.g. cache_implementation="static"): levers that benchmarks/llm_throughput.py measures
        self.prefix_sharing, self.generate_options = prefix_sharing, dict(generate_options or {})
        self.batch_prefix, self.batch_prefix_reason = self._resolve_batch_prefix(batch_prefix)
        self._vocabularies: dict[Any, Any] = {}  # ConversationShape -> shaped_decoding.Vocabulary

    def _resolve_batch_prefix(self, setting: str) -> tuple[bool, str]:
        """Whether a prefix every prompt of a batch shares is prefilled once (see _batch_prefix_prefill).
        `auto`: on where a row's text may already depend on its batch (int8, int8-fast: batch-dependent
        numerics by design), off where the run promises texts that do not (float32, int8-exact), since
        where the batch's shared prefix ends depends on who else is in the batch."""
        if setting not in ("auto", "on", "off"):
            raise LLMError(f"batch_prefix must be auto, on or off, got {setting!r}")
        if setting != "auto":
            return setting == "on", "configured"
        if self.quantize in ("int8", "int8-fast"):
            return True, f"auto: {self.quantize} texts already depend on their batch"
        return False, "auto: batch-invariant texts wanted"

    @staticmethod
    def _locate(model: str, gguf_file: str | None) -> tuple[str, str | None]:
        """The bundled name and `.gguf` paths become (directory, file name) as transformers wants."""
        if model in LLM_ALIASES or model.endswith(".gguf"):
            try:
                path = resolve_gguf(model)
            except FileNotFoundError as exc:
                raise LLMError(str(exc)) from exc
            return str(path.parent), path.name
        return model, gguf_file

    def _dtype(self, dtype: str, torch: Any, quantize: str = "none") -> Any:
        """`auto`: float32 under int8 quantisation (its weights are quantised from float32: bf16 weights reach
        the int8 kernels as bf16 and fail); else bfloat16 on a GPU and on a CPU that multiplies bf16 natively
        (AVX512-BF16/AMX, oneDNN's check, as the contradiction checker's encoder), float32 elsewhere: emulated
        bf16 changes the text for no reliable gain. The choice and its reason are in describe() (models.json)."""
        if dtype != "auto":
            self.dtype_reason = "configured"
            return getattr(torch, dtype)
        if quantize != "none":
            self.dtype_reason = f"auto: {quantize} is quantised from float32 weights"
            return torch.float32
        if self.device == "cuda":
            self.dtype_reason = "auto: GPU"
            return torch.bfloat16
        native = native_bf16()
        self.dtype_reason = "auto: CPU with native bf16" if native else "auto: CPU without native bf16"
        return torch.bfloat16 if native else torch.float32

    def _length_batches(self, chats: list[Chat], per_batch: int) -> tuple[list[str], list[list[int]]]:
        """The chat-templated prompts, and their indices sorted by token length and cut into batches of
        `per_batch`: prompts of similar length share a batch, so left padding wastes little compute."""
        prompts = [self._template(c) for c in chats]
        lengths = [len(ids) for ids in self.tokenizer(prompts, add_special_tokens=False)["input_ids"]]
        order = sorted(range(len(prompts)), key=lambda i: lengths[i])
        return prompts, [order[start:start + per_batch] for start in range(0, len(order), per_batch)]

    def _template(self, chat: Chat) -> str:
        """The chat as the model's prompt. A chat that ends with an assistant message is continued, not
        answered: the turn-level Generator forces a speaker tag ("User 2:") that way."""
        if chat and chat[-1]["role"] == "assistant":
            return self.tokenizer.apply_chat_template(chat, tokenize=False, continue_final_message=True)
        return self.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)

    def _generate(self, chats: list[Chat], params: GenerationParams) -> list[Completion]:
        """Batches of `batch_size` sequences (prompts x n) of similar length; results in the chats' order."""
        prompts, batches = self._length_batches(chats, max(1, self.batch_size // max(params.n, 1)))
        results: list[Completion] = [Completion(texts=[])] * len(prompts)
        for idx in batches:
            for i, completion in zip(idx, self._batch([prompts[i] for i in idx], params)):
                results[i] = completion
        return results

    def _batch(self, prompts: list[str], params: GenerationParams) -> list[Completion]:
        import torch

        enc = self.tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        enc = enc.to(self.device)
        sampling = params.temperature > 0
        # Greedy decoding gives every one of the n samples the same text: decode once, repeat it (transformers
        # refuses num_return_sequences > 1 without sampling).
        decoded = params.n if sampling else 1
        with torch.inference_mode():
            inputs = self._prefill_inputs(enc, decoded)
            torch.manual_seed(params.seed)
            out = self._model.generate(
                **inputs, max_new_tokens=params.max_tokens, do_sample=sampling,
                temperature=params.temperature if sampling else None,
                top_k=params.top_k if sampling else None, top_p=params.top_p if sampling else None,
                pad_token_id=self.tokenizer.pad_token_id, **self._stopping(params.stop), **self._shaping(params),
                **self.generate_options)
        new_tokens = out[:, inputs["input_ids"].shape[1]:]  # the batch-prefix layout is wider than enc's
        texts = self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        texts = [self._cut(t, params.stop) for t in texts]
        lengths = (new_tokens != self.tokenizer.pad_token_id).sum(dim=1).tolist()
        if decoded != params.n:
            texts = [t for t in texts for _ in range(params.n)]
            lengths = [n for n in lengths for _ in range(params.n)]
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        return [Completion(texts=texts[i * params.n:(i + 1) * params.n],
                           prompt_tokens=int(prompt_lens[i]) * params.n,
                           completion_tokens=int(sum(lengths[i * params.n:(i + 1) * params.n])))
                for i in range(len(prompts))]

    def _prefill_inputs(self, enc: Any, n: int) -> dict[str, Any]:
        """generate() inputs for n samples of each prompt: the batch's shared prefix prefilled once, each
        prompt prefilled once for its n samples, or transformers' own way (n prefills per prompt)."""
        shared = self._shared_prefix_length(enc) if self.batch_prefix else 0
        if shared:
            return self._batch_prefix_prefill(enc, n, shared)
        if n > 1 and self.prefix_sharing and enc["input_ids"].shape[1] > 1:
            return self._shared_prefill(enc, n)
        return {**enc, "num_return_sequences": n}

    def _shared_prefix_length(self, enc: Any) -> int:
        """How many leading tokens every prompt of the batch shares (each keeps at least one of its own),
        or 0 when that is too short to be worth a second forward call."""
        import torch

        ids, mask = enc["input_ids"], enc["attention_mask"]
        lengths = mask.sum(dim=1).tolist()
        if len(lengths) < 2:
            return 0
        limit = min(lengths) - 1
        if limit < MIN_BATCH_PREFIX:
            return 0
        heads = torch.stack([ids[i, ids.shape[1] - n:][:limit] for i, n in enumerate(lengths)])  # left padding
        shared = int((heads == heads[0]).all(dim=0).long().cumprod(0).sum())
        return shared if shared >= MIN_BATCH_PREFIX else 0

    def _batch_prefix_prefill(self, enc: Any, n: int, shared: int) -> dict[str, Any]:
        """generate() inputs whose first `shared` tokens, common to every prompt, are prefilled once.

        Why: the Generator's prompts of one batch start with the same system prompt and instructions (74 of
        ~375 tokens in the demo), which a batch of 32 otherwise prefills 32 times; prefill is compute-bound
        on a CPU, about 40% of the conversation stage. The prompts are laid out as [shared prefix | padding |
        each prompt's own tokens]: the padding moves from the left edge to the middle, masked as before, and
        positions follow the mask, so each row sees the tokens it saw with left padding. The prefix's KV cache
        is computed for one row and repeated; generate() continues from it (and the n samples of a prompt
        share one prefill of its own tokens, as _shared_prefill does)."""
        import torch

        ids, mask = enc["input_ids"], enc["attention_mask"]
        lengths = mask.sum(dim=1)
        own = (lengths - shared).tolist()
        width = max(own)
        new_ids = torch.full((ids.shape[0], shared + width), self.tokenizer.pad_token_id, dtype=ids.dtype,
                             device=ids.device)
        new_mask = torch.zeros_like(new_ids, dtype=mask.dtype)
        prefix = ids[0, ids.shape[1] - int(lengths[0]):][:shared]
        new_ids[:, :shared], new_mask[:, :shared] = prefix, 1
        for row, count in enumerate(own):
            new_ids[row, shared + width - count:] = ids[row, ids.shape[1] - count:]
            new_mask[row, shared + width - count:] = 1
        cache = self._model(input_ids=prefix.unsqueeze(0), use_cache=True, logits_to_keep=1).cache
        cache.batch_repeat_interleave(ids.shape[0])
        if n > 1:  # each prompt's own tokens (but the last) once, then its cache repeated for the n samples
            return self._shared_prefill({"input_ids": new_ids, "attention_mask": new_mask}, n, cache, shared)
        return {"input_ids": new_ids, "attention_mask": new_mask, "cache": cache}

    def _shared_prefill(self, enc: Any, n: int, cache: Any = None, start: int = 0) -> dict[str, Any]:
        """generate() inputs for n samples of each prompt that share one prefill.

        transformers' num_return_sequences copies each prompt n times *before* the prefill, so a Generator
        prompt of ~1,000 tokens with m=3 candidates is encoded three times. Here the prompt minus its last
        token is encoded once, its KV cache is repeated n times, and generate() continues from it (the
        last token runs in the first decoding step). Positions follow the padding as generate()'s own. With a
        `cache` of the first `start` tokens (the batch's shared prefix), only the tokens after it are encoded.
        """
        ids, mask = enc["input_ids"], enc["attention_mask"]
        positions = (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 0)
        cache = self._model(input_ids=ids[:, start:-1], attention_mask=mask[:, :-1],
                            position_ids=positions[:, start:-1], cache=cache, use_cache=True,
                            logits_to_keep=1).cache  # transformers 5: `cache` (was `past_key_values`)
        cache.batch_repeat_interleave(n)
        return {"input_ids": ids.repeat_interleave(n, 0), "attention_mask": mask.repeat_interleave(n, 0),
                "cache": cache}

    def next_token_logprobs(self, chats: list[Chat], candidates: list[str]) -> "Any":
        """Log-probability of each candidate answer's first token as the reply to each chat.

        One forward pass per batch, no decoding: a judge scored by P("no") vs P("yes") gives a graded,
        calibratable score where a greedy answer gives only 0/1. Returns a (len(chats), len(candidates))
        float32 array, log-softmax over the whole vocabulary; candidates are matched by the first token
        of their text (e.g. " no" and "no" differ: pass what the chat template makes the model say).
        """
        import numpy as np
        import torch

        token_ids = []
        for c in candidates:
            ids = self.tokenizer(c, add_special_tokens=False)["input_ids"]
            if not ids:
                raise ValueError(f"candidate {c!r} has no tokens")
            token_ids.append(ids[0])
        prompts, batches = self._length_batches(chats, self.batch_size)
        out = np.zeros((len(prompts), len(candidates)), dtype=np.float32)
        for idx in batches:
            enc = self.tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True,
                                 add_special_tokens=False).to(self.device)
            with torch.inference_mode():
                logits = self._model(**enc).logits[:, -1, :].float()  # left padding: last position is real
            logp = torch.log_softmax(logits, dim=-1)[:, token_ids].cpu().numpy()
            out[idx] = logp
        return out

    def _stopping(self, stop: tuple[str, ...]) -> dict[str, Any]:
        """Stop strings end each sequence where it writes one (a turn at its line end) instead of decoding
        to `max_tokens` and cutting afterwards: the batch finishes when its last sequence does."""
        stop = [s for s in stop if s]
        return {"stop_strings": stop, "tokenizer": self.tokenizer} if stop else {}

    def _shaping(self, params: GenerationParams) -> dict[str, Any]:
        """A `ConversationShape` becomes a logits processor (`shaped_decoding.py`), fresh per call since it
        tracks each sequence; the tokenizer's vocabulary classes are computed once per shape."""
        if params.shape is None:
            return {}
        from transformers import LogitsProcessorList  # heavy library, loaded with the backend

        vocab = self._vocabularies.get(params.shape)
        if vocab is None:
            vocab = self._vocabularies[params.shape] = Vocabulary.build(self.tokenizer, params.shape)
        return {"logits_processor": LogitsProcessorList([ShapeProcessor(params.shape, vocab, self.tokenizer)])}

    @staticmethod
    def _cut(text: str, stop: tuple[str, ...]) -> str:
        for s in stop:
            if s and s in text:
                text = text[:text.index(s)]
        return text.strip()

    def describe(self) -> dict[str, Any]:
        info = {**super().describe(), "location": self.location, "device": self.device,
                "parameters_m": self.parameters_m, "dtype": str(self._model.dtype),
                "dtype_reason": self.dtype_reason, "quantize": self.quantize,
                "quantize_reason": self.quantize_reason, "prefix_sharing": self.prefix_sharing,
                "batch_prefix": self.batch_prefix, "batch_prefix_reason": self.batch_prefix_reason}
        if self.generate_options:
            info["generate_options"] = self.generate_options
        if self.gguf_file:
            info["gguf_file"] = self.gguf_file
            info["size_mb"] = round((Path(self.location) / self.gguf_file).stat().st_size / 2**20, 1)
            info["loaded_from"] = self.loaded_from  # the converted folder (gguf_cache.py) or the GGUF's own
        return info

    def close(self) -> None:
        del self._model
