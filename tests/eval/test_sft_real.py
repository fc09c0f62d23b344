"""The generative track on the real thing: `spc eval sft` trains the bundled SmolLM2 a few steps on packaged
SPC sample conversations, evaluates base and fine-tuned models, writes the card; then the pieces are checked
against independent computations on the saved model (full-sequence scoring, the model's own loss)."""

from __future__ import annotations

import json
import math

import pytest

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.eval import data as D
from synthetic_persona_chat.eval.generative_table import evaluation_examples
from synthetic_persona_chat.eval.sft import SFTRunConfig, load_model, model_location, sft_rows, training_template

pytest.importorskip("trl", reason="the generative track needs the [sft] extra (pip install -e '.[sft]')")

TINY = ["max_train_conversations=4", "max_test_conversations=4", "max_test_examples=3", "max_steps=2",
        "batch_size=2", "max_length=256", "max_new_tokens=8", "save_steps=1", "learning_rate=0.001"]


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sft")
    sets = [a for kv in TINY for a in ("--set", f"eval_sft.{kv}")]
    rc = main(["eval", "sft", "--out", str(out), "--preset", "small", "--spc-train", "spc-sample:valid",
               "--spc-test", "spc-sample:test", "--dataset-repo", "SPC=spc-tests/spc-sample", *sets])
    assert rc == 0
    return out, json.loads((out / "generative.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def trained(sft_run):
    out, result = sft_run
    return load_model(result["models"]["SPC"]["path"])


def test_cli_trains_evaluates_and_keeps_missing_cells_with_reasons(sft_run):
    out, result = sft_run
    model = result["models"]["SPC"]
    assert model["steps"] == 2 and model["train_tokens"] > 0 and model["rows"] == 8  # 4 conversations x 2 speakers
    assert (out / "sft" / "spc" / "model.safetensors").exists()
    assert (out / "sft" / "spc" / "checkpoints" / "checkpoint-1").is_dir()  # checkpoints under OUT too
    cells = {(c["train"], c["test"]): c for c in result["cells"]}
    for train in ("none", "SPC"):
        m = cells[(train, "SPC test")]["metrics"]
        assert m["examples"] == 3 and m["perplexity"]["value"] > 1 and len(m["perplexity"]["ci"]) == 2
        assert 0 <= m["hits@1/20"]["value"] <= 1 and 0 <= m["f1"]["value"] <= 1
        assert 0 <= m["persona_consistency"]["estimate"]["value"] <= 1
        assert m["persona_consistency"]["checker"]["calibration"]["auroc"] > 0.5  # the calibrated default checker
    assert "--persona-chat-test" in cells[("SPC", "Persona-Chat test")]["not_run"]
    assert "--persona-chat-train" in cells[("Persona-Chat", "SPC test")]["not_run"]
    assert {c["metric"] for c in result["comparisons"]} == {"hits@1/20", "unigram F1", "gold NLL per token",
                                                            "contradiction rate"}


def test_report_renders_the_generative_table_with_intervals(sft_run):
    out, _ = sft_run
    assert main(["eval", "report", str(out)]) == 0
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Generative track" in md and "| SPC | SPC test |" in md and "AUROC" in md
    row = next(line for line in md.splitlines() if line.startswith("| SPC | SPC test |"))
    assert row.count("[") >= 4  # every metric with its interval


def test_card_model_index_links_the_given_hub_id(sft_run):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    out, _ = sft_run
    card = ModelCard.load(out / "sft" / "spc" / "README.md")
    assert card.data.datasets == ["spc-tests/spc-sample"]  # `--dataset-repo SPC=...` (the sample has no id)
    _, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    assert len(results) == 4 and all(r.dataset_type == "spc-tests/spc-sample" for r in results)


def test_training_template_renders_the_same_text_and_masks_only_assistant_replies(trained):
    from transformers import AutoTokenizer

    _, tok = trained
    conv = D.load_dataset("spc-sample:valid", "valid", "SPC").conversations[0]
    messages = sft_rows([conv])[0]["messages"]
    location, kw = model_location("smollm2")
    base_tok = AutoTokenizer.from_pretrained(location, **kw)  # the GGUF's own ChatML template
    template = training_template(base_tok)
    assert "{% generation %}" in template
    assert tok.apply_chat_template(messages, tokenize=False, chat_template=template) == \
        base_tok.apply_chat_template(messages, tokenize=False)
    enc = tok.apply_chat_template(messages, chat_template=template, return_dict=True,
                                  return_assistant_tokens_mask=True)
    masked = tok.decode([t for t, m in zip(enc["input_ids"], enc["assistant_masks"]) if m])
    expected = "".join(m["content"] + tok.eos_token for m in messages if m["role"] == "assistant")
    assert masked == expected


def test_shared_prefix_scores_equal_full_sequences_and_perplexity_equals_the_models_own_loss(trained):
    import torch

    from synthetic_persona_chat.eval.lm_scoring import LMScorer

    model, tok = trained
    examples, _ = evaluation_examples(D.load_dataset("spc-sample:test", "test", "SPC test"),
                                      SFTRunConfig(max_test_conversations=4, max_test_examples=2))
    shared, full = LMScorer(model, tok), LMScorer(model, tok, shared_prefix=False)
    for e in examples:
        prompt = shared.prompt_text(e.prompt)
        a, b = shared.candidate_logprobs(prompt, e.candidates), full.candidate_logprobs(prompt, e.candidates)
        assert all(x.shape == y.shape and abs(x - y).max() < 1e-3 for x, y in zip(a, b))
        # the gold's perplexity from our log-probs = exp of the model's own mean loss over the gold tokens
        prefix = tok(prompt, add_special_tokens=False)["input_ids"]
        gold = tok(e.gold + tok.eos_token, add_special_tokens=False)["input_ids"]
        labels = torch.tensor([[-100] * len(prefix) + gold])
        with torch.no_grad():
            loss = model(torch.tensor([prefix + gold]), labels=labels).loss.item()
        assert math.exp(-a[e.label].mean()) == pytest.approx(math.exp(loss), rel=1e-3)
