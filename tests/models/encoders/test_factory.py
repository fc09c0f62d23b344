"""The encoder a model spec names, and what every backend's encoder promises (the `Encoder` protocol; the
onnx and openvino encoders against torch: tests/models/test_onnx_encoder.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from synthetic_persona_chat.models.encoders import make_encoder, parse_embedder_spec
from synthetic_persona_chat.models.encoders.torch_backend import TorchEncoder

TEXTS = ["I have two dogs.", "I don't have any pets, to be honest, and I never will.", "Hi!"]


def test_spec_names_model_and_backend():
    assert parse_embedder_spec("minilm@onnx-int8") == ("minilm", "onnx-int8")
    assert parse_embedder_spec("org/model@v2") == ("org/model@v2", "torch")  # not a backend: part of the name
    with pytest.raises(ValueError, match="names backend 'onnx' but backend='torch'"):
        parse_embedder_spec("minilm@onnx", "torch")


def _check_protocol(encoder) -> np.ndarray:
    vecs = encoder.encode(TEXTS)
    assert vecs.dtype == np.float32 and vecs.shape == (len(TEXTS), encoder.dim)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    lengths = encoder.token_lengths(TEXTS)
    assert lengths[2] < lengths[0] < lengths[1] <= encoder.max_seq_length
    assert encoder.describe()["backend"]
    return vecs


@pytest.mark.slow  # loads the real MiniLM
def test_torch_encoder_keeps_its_bare_cache_key_and_meets_the_protocol():
    encoder, fallback = make_encoder("minilm", "torch")
    assert isinstance(encoder, TorchEncoder) and fallback is None and encoder.tag == ""
    _check_protocol(encoder)


@pytest.mark.slow  # loads the real MiniLM
def test_a_backend_that_cannot_serve_falls_back_to_torch_with_its_reason(monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)
    encoder, fallback = make_encoder("minilm", "openvino")
    assert isinstance(encoder, TorchEncoder) and "[openvino]" in fallback
