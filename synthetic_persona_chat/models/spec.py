"""The model spec, where the model layer's modules have always imported it from; it lives in the leaf
`model_spec.py` so the config layer can validate specs without loading this package's backends."""

from ..model_spec import ROLE_BACKENDS, Backend, ModelSpec, ModelSpecError, backend_of

__all__ = ["ROLE_BACKENDS", "Backend", "ModelSpec", "ModelSpecError", "backend_of"]
