"""Model specs (`models.*`) are typed and validated when the config loads (#25 item 7), and a run's
config.yaml is written byte for byte as before (fixtures written by the code before the change)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import yaml

from synthetic_persona_chat.config import ConfigError, ModelsConfig, load_config
from synthetic_persona_chat.model_spec import ROLE_BACKENDS, ModelSpec
from synthetic_persona_chat.redact import redact

FIXTURES = Path(__file__).parent / "fixtures" / "config"
CONFIGS = {  # the overrides each fixture was written from
    "default": [],
    "strings": ["models.llm=openai:llama@http://127.0.0.1:8000/v1", "models.nli=llm-judge",
                "models.toxicity=profanity-check", "models.max_concurrency=4"],
    "mappings": ["models.llm={model: m, backend: openai, base_url: 'http://127.0.0.1:9/v1', timeout: 30, "
                 "api_key: sk-secret}",
                 "models.nli={backend: minilm-polarity, precision: fp32, calibration: cal.json}",
                 "models.toxicity={backend: transformers, model: unitary/toxic-bert, toxic_label: toxic}"],
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_config_yaml_and_asked_settings_are_unchanged(name):
    config = load_config(None, CONFIGS[name])
    assert isinstance(config.models.llm, ModelSpec) and isinstance(config.models.toxicity, ModelSpec)
    written = yaml.safe_dump(redact(config.to_dict()), sort_keys=False)
    assert written == (FIXTURES / f"models_{name}.yaml").read_text(encoding="utf-8")
    asked = yaml.safe_dump(config.asked(), sort_keys=False)
    assert asked == (FIXTURES / f"models_{name}.asked.yaml").read_text(encoding="utf-8")


def test_specs_are_typed_fields():
    models = load_config(None, CONFIGS["mappings"]).models
    assert (models.llm.backend, models.llm.model, models.llm.options["timeout"]) == ("openai", "m", 30)
    assert models.nli.options == {"precision": "fp32", "calibration": "cal.json"}
    assert models.toxicity == {"backend": "transformers", "model": "unitary/toxic-bert", "toxic_label": "toxic"}
    assert models.toxicity != "transformers:unitary/toxic-bert"  # the options are part of the spec
    assert ModelsConfig().llm == "transformers:smollm2"  # a spec equals the config string it denotes


@pytest.mark.parametrize(("override", "message"), [
    ("models.toxicity=magic", r"models.toxicity: unknown toxicity scorer backend 'magic'; use toxicity-ensemble"),
    ("models.nli=cross-encoder", r"models.nli: backend 'cross-encoder' needs a model: write cross-encoder:MODEL"),
    ("models.llm=openai", r"models.llm: backend 'openai' needs a model: write openai:MODEL@BASE_URL"),
    ("models.llm={backend: openai, model: m, timout: 3}",
     r"models.llm: unknown option\(s\) timout for backend 'openai'; known: base_url, "),
    ("models.nli={model: x}", r"models.nli: model config .* needs a 'backend'"),
    ("models.llm=[1, 2]", r"models.llm: expected a string or a mapping, got \[1, 2\]"),
    ("models.llm=vllm:m", r"models.llm: unknown LLM backend 'vllm'; use transformers:MODEL_ID_OR_PATH"),
])
def test_a_bad_spec_is_refused_at_load_naming_the_field(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [override])


def test_a_spec_built_in_code_is_validated_too():
    with pytest.raises(ConfigError, match=r"models.nli: unknown contradiction checker backend 'magic'"):
        ModelsConfig(nli="magic")


def test_loader_options_stay_open_where_the_backend_passes_them_on():
    spec = load_config(None, ["models.llm={backend: transformers, model: x, trust_remote_code: true}"]).models.llm
    assert spec.options == {"trust_remote_code": True}


def test_a_spec_built_in_code_writes_its_canonical_form():
    assert ModelSpec("openai", "m", {"base_url": "http://h/v1"}).to_config() == "openai:m@http://h/v1"
    assert ModelSpec("minilm-polarity").to_config() == "minilm-polarity"
    assert ModelSpec("transformers", "x", {"device": "cpu"}).to_config() == {
        "backend": "transformers", "model": "x", "device": "cpu"}


def _constructors():
    from synthetic_persona_chat.models.contradiction import CrossEncoderNLI, LLMJudgeNLI, PolarityNLI
    from synthetic_persona_chat.models.llm.openai_compat import OpenAICompatLLM
    from synthetic_persona_chat.models.llm.transformers_llm import TransformersLLM
    from synthetic_persona_chat.models.toxicity import MiniLMToxicityScorer, TransformersToxicityScorer
    return {("llm", "transformers"): TransformersLLM, ("llm", "openai"): OpenAICompatLLM,
            ("nli", "minilm-polarity"): PolarityNLI, ("nli", "llm-judge"): LLMJudgeNLI,
            ("nli", "cross-encoder"): CrossEncoderNLI, ("toxicity", "minilm-toxicity"): MiniLMToxicityScorer,
            ("toxicity", "transformers"): TransformersToxicityScorer}


# constructor arguments the loaders fill in themselves, not options of a spec
_NOT_OPTIONS = {"self", "model", "kwargs", "llm", "embedder"}


@pytest.mark.parametrize(("role", "name"), sorted(_constructors()))
def test_the_option_list_matches_the_backend_constructor(role, name):
    """ROLE_BACKENDS is written by hand beside the loaders: this keeps it equal to what they accept."""
    backend = next(b for b in ROLE_BACKENDS[role] if name in b.names)
    params = set(inspect.signature(_constructors()[role, name].__init__).parameters) - _NOT_OPTIONS
    extra = {"calibration"} if role == "nli" else set()  # read by load_contradiction_checker itself
    assert set(backend.options) == params | extra
