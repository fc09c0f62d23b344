"""Running a causal LM over chat prompts: candidate log-probabilities (shared prefix) and greedy replies.

Why a shared prefix: the 20 candidates of an example share the whole prompt (persona + history, hundreds of
tokens) and differ only in a short reply. The prompt runs once; its key/value cache is repeated 20 times and
only the candidates' tokens run, in one right-padded batch (padding at the end never changes an earlier
token's log-probability under causal attention). `shared_prefix=False` runs the 20 full sequences instead,
the reference the test compares against and the benchmark's baseline.

Each candidate is scored as the assistant's whole turn: its text and the end-of-turn token, after the chat
template's generation prompt, exactly the tokens assistant-only SFT trains on.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .generative_metrics import ExampleScores, GenExample


class LMScorer:
    """A model + tokenizer on one device, in eval mode; no gradients anywhere."""

    def __init__(self, model: Any, tokenizer: Any, max_new_tokens: int = 48, generate_batch: int = 16,
                 shared_prefix: bool = True) -> None:
        import torch

        self.torch, self.model, self.tokenizer = torch, model.eval(), tokenizer
        self.device = next(model.parameters()).device
        self.max_new_tokens, self.generate_batch, self.shared_prefix = max_new_tokens, generate_batch, shared_prefix
        self.end = tokenizer.eos_token  # ChatML's <|im_end|>: what ends an assistant turn
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token

    def prompt_text(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def candidate_logprobs(self, prompt: str, candidates: list[str]) -> list[np.ndarray]:
        """Per-token natural-log probabilities of each candidate (+ end-of-turn) after `prompt`."""
        prefix = self._ids(prompt)
        cands = [self._ids(c + self.end) for c in candidates]
        with self.torch.no_grad():
            if self.shared_prefix:
                return self._shared(prefix, cands)
            return self._full(prefix, cands)

    def _padded(self, rows: list[list[int]]) -> tuple[Any, Any]:
        width = max(len(r) for r in rows)
        ids = self.torch.full((len(rows), width), self.tokenizer.pad_token_id, dtype=self.torch.long)
        mask = self.torch.zeros((len(rows), width), dtype=self.torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = self.torch.tensor(r)
            mask[i, :len(r)] = 1
        return ids.to(self.device), mask.to(self.device)

    def _shared(self, prefix: list[int], cands: list[list[int]]) -> list[np.ndarray]:
        torch = self.torch
        out = self.model(torch.tensor([prefix], device=self.device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), -1)  # predicts each candidate's first token
        cache = out.cache  # transformers 5: `cache` (was `past_key_values`)
        cache.batch_repeat_interleave(len(cands))
        ids, mask = self._padded(cands)
        full_mask = torch.cat([torch.ones((len(cands), len(prefix)), dtype=mask.dtype, device=self.device), mask], 1)
        logits = self.model(input_ids=ids, attention_mask=full_mask, cache=cache).logits.float()
        rest = torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, 1:, None])[..., 0]  # token j from j-1
        lp = torch.cat([first[ids[:, 0]][:, None], rest], 1)
        return [lp[i, :len(c)].cpu().numpy().astype(np.float64) for i, c in enumerate(cands)]

    def _full(self, prefix: list[int], cands: list[list[int]]) -> list[np.ndarray]:
        ids, mask = self._padded([prefix + c for c in cands])
        width = max(len(c) for c in cands)
        # only the last width + 1 positions' logits: position P - 1 + j predicts candidate token j
        logits = self.model(input_ids=ids, attention_mask=mask, logits_to_keep=width + 1).logits.float()
        lp = self.torch.log_softmax(logits[:, :-1], -1).gather(-1, ids[:, len(prefix):, None])[..., 0]
        return [lp[i, :len(c)].cpu().numpy().astype(np.float64) for i, c in enumerate(cands)]

    def greedy_replies(self, prompts: list[str]) -> list[str]:
        """Greedy decoding, left-padded batches sorted by length; stops at the end-of-turn token."""
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        replies: list[str] = [""] * len(prompts)
        self.tokenizer.padding_side = "left"
        for start in range(0, len(order), self.generate_batch):
            idx = order[start:start + self.generate_batch]
            enc = self.tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True,
                                 add_special_tokens=False).to(self.device)
            with self.torch.no_grad():
                out = self.model.generate(**enc, do_sample=False, max_new_tokens=self.max_new_tokens,
                                          eos_token_id=self.tokenizer.eos_token_id,
                                          pad_token_id=self.tokenizer.pad_token_id)
            texts = self.tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
            for i, text in zip(idx, texts):
                replies[i] = text.strip()
        return replies

    def score(self, examples: list[GenExample]) -> list[ExampleScores]:
        """Every candidate's log-probs and one greedy reply per example."""
        prompts = [self.prompt_text(e.prompt) for e in examples]
        replies = self.greedy_replies(prompts)
        return [ExampleScores(self.candidate_logprobs(p, e.candidates), r)
                for p, e, r in zip(prompts, examples, replies)]
