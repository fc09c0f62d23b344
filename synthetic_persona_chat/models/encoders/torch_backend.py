"""The torch backend: a SentenceTransformer, any model, on the CPU or a GPU."""

from __future__ import annotations

import numpy as np


class TorchEncoder:
    """`Encoder` over `SentenceTransformer(location, device)`; `max_seq_length` None keeps the model's own."""

    tag = ""  # torch vectors are keyed by the bare model name, as before backends existed

    def __init__(self, location: str, device: str | None = None, max_seq_length: int | None = None) -> None:
        from sentence_transformers import SentenceTransformer  # heavy library: only the torch backend needs it

        self.st = SentenceTransformer(location, device=device)
        self.native_max_seq_length = int(self.st.max_seq_length)
        self.st.max_seq_length = max_seq_length or self.st.max_seq_length
        self.max_seq_length = int(self.st.max_seq_length)
        self.dim = int(self.st.get_embedding_dimension() if hasattr(self.st, "get_embedding_dimension")
                       else self.st.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.st.encode(texts, batch_size=max(1, len(texts)), normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)

    def token_lengths(self, texts: list[str]) -> list[int]:
        ids = self.st.tokenizer(list(texts), truncation=True, max_length=self.max_seq_length)["input_ids"]
        return [len(i) for i in ids]

    def describe(self) -> dict[str, str]:
        return {"backend": "sentence-transformers", "device": str(self.st.device)}
