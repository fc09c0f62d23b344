"""Sentence encoders: one protocol (`protocol.Encoder`), one module per backend, one place for precision.

- `torch_backend`: a SentenceTransformer (any model, CPU or GPU);
- `onnx_backend`: the model exported once to ONNX (`onnx_export`) and run by onnxruntime, fp32 or int8;
- `openvino_backend`: the same fp32 export run by OpenVINO;
- `precision`: bf16 or float32 for the torch encoder on the CPU (the native-bf16 rule), decided and applied here;
- `factory.make_encoder`: the encoder a model spec (`minilm@onnx-int8`) names, or torch with the reason why not.

Callers (the cached `Embedder`, the contradiction checker's vectors, the benchmarks) see only the protocol.
"""

from .factory import BACKENDS, DEFAULT_BACKEND, make_encoder, parse_embedder_spec
from .protocol import Encoder

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Encoder", "make_encoder", "parse_embedder_spec"]
