"""The default toxicity scorer (models/toxicity_lora.py): the shipped LoRA delta merged by hand gives what the peft
model it was exported from gives; training writes a loadable adapter; the shipped one, on the real MiniLM,
separates plain cases at its shipped threshold."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from synthetic_persona_chat.models.toxicity import (calibrated_threshold, load_toxicity_scorer,
                                                   shipped_toxicity_calibration, toxicity_key)
from synthetic_persona_chat.models.toxicity_head import LabelledUtterance, load_toxicity_labels
from synthetic_persona_chat.models.toxicity_lora import (GENERATED_NEGATIVES, SPC_HARD_NEGATIVES, LoraRecipe,
                                                         LoraToxicityScorer, _mean_pool, export_adapter, merge_lora,
                                                         read_lines, train_adapter)

TEXTS = ["I love my dog.", "You are a worthless idiot.", "We bake cookies on Sundays, do you?"]


def test_merge_adds_the_scaled_product_and_refuses_unknown_layers():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False))
    before = model[0].weight.detach().clone()
    a, b = torch.randn(1, 3), torch.randn(2, 1)
    merge_lora(model, {"0.lora_A": a, "0.lora_B": b}, 2.0)
    assert torch.allclose(model[0].weight, before + 2.0 * b @ a)
    with pytest.raises(ValueError, match="does not have"):
        merge_lora(model, {"9.lora_A": a, "9.lora_B": b}, 2.0)


def test_an_exported_adapter_scores_as_the_peft_model_it_came_from(tmp_path):
    """Random non-zero LoRA factors (peft initialises B to zero, which would hide a wrong merge)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModel, AutoTokenizer

    from synthetic_persona_chat.models.bundled import minilm_dir

    torch.manual_seed(0)
    peft_model = get_peft_model(AutoModel.from_pretrained(str(minilm_dir())),
                                LoraConfig(r=4, lora_alpha=8, target_modules=["query", "value", "dense"],
                                           init_lora_weights=False)).eval()
    head = torch.nn.Linear(384, 1)
    export_adapter(peft_model, head, tmp_path, LoraRecipe(rank=4, alpha=8), {"labelled_keys": []})
    tok = AutoTokenizer.from_pretrained(str(minilm_dir()))
    with torch.no_grad():
        enc = tok(TEXTS, padding=True, return_tensors="pt")
        expected = torch.sigmoid(head(_mean_pool(peft_model(**enc).last_hidden_state, enc["attention_mask"]))).squeeze(-1)
    got = LoraToxicityScorer(adapter=tmp_path).scores(TEXTS)
    assert np.allclose(got, expected.numpy(), atol=1e-5)


def test_training_writes_an_adapter_the_scorer_loads(tmp_path):
    """One short epoch on a few lines: the real training path end to end (the shipped one took 4 epochs)."""
    labelled = [LabelledUtterance("toxic", "insult", t) for t in ("You idiot.", "Shut up, loser.", "You are trash.")]
    labelled += [LabelledUtterance("clean", "hard-negative", "I could kill for a pizza.")]
    meta = train_adapter(labelled, ["I love my dog.", "We bake cookies."], tmp_path,
                         LoraRecipe(epochs=1, batch_size=4), source="unit")
    assert meta["trained_on"]["toxic"] == 3 and meta["trained_on"]["negatives"] == 2
    assert meta["trained_on"]["labelled_keys"] == sorted(it.key for it in labelled)
    scorer = load_toxicity_scorer({"backend": "minilm-lora-toxicity", "adapter": str(tmp_path)})
    scores = scorer.scores(TEXTS)
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()
    assert toxicity_key(scorer) == f"minilm-lora-toxicity:{tmp_path}"  # its own calibration key, not the shipped one
    assert calibrated_threshold(scorer) == (0.5, "uncalibrated default")


def test_a_folder_without_an_adapter_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not a toxicity adapter folder .missing toxicity_lora.json, "
                                         "toxicity_lora.safetensors"):
        load_toxicity_scorer(f"minilm-lora-toxicity:{tmp_path}")


def test_the_shipped_scorer_is_calibrated():
    scorer = load_toxicity_scorer("minilm-lora-toxicity")
    assert scorer.kind == "minilm-lora-toxicity" and toxicity_key(scorer) == "minilm-lora-toxicity"
    cut, source = calibrated_threshold(scorer)
    assert source.startswith("calibrated") and 0.5 < cut < 1.0  # plain cases at the cut: test_toxicity_ensemble.py
    assert scorer.describe()["trained_on"]["toxic"] == scorer.trained_on["toxic"] > 100


@pytest.mark.parametrize("spec", ["minilm-lora-toxicity", "minilm-lora-toxicity:mined"])
def test_each_shipped_adapter_keeps_its_recall_on_lines_it_never_saw(spec):
    """The shipped calibration counts the unseen offensive lines caught at the cut (each inserted into a clean
    conversation, which can only add catches); the lines alone must reach that count minus 2, so a retrained or
    damaged adapter that loses recall, or a labels edit without recalibrating, fails here without the
    967-conversation calibration."""
    scorer = load_toxicity_scorer(spec)
    record = shipped_toxicity_calibration(toxicity_key(scorer))
    seen = set(scorer.trained_on["labelled_keys"])
    labelled = load_toxicity_labels()
    unseen = [it.text for it in labelled if it.label == "toxic" and it.key not in seen]
    assert record["inserted_recall"]["n"] == len(unseen) and record["data"]["n_labelled"] == len(labelled)
    caught = int((scorer.scores(unseen) > record["threshold"]).sum())
    assert caught >= record["inserted_recall"]["hits"] - 2, (caught, record["inserted_recall"])


def test_generated_negatives_file_is_read_as_plain_lines(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("# a comment\nYou're 40, your wife is 50.\n\n  I love dogs.  \n", encoding="utf-8")
    assert read_lines(path) == ["You're 40, your wife is 50.", "I love dogs."] and read_lines("") == []
    for shipped in (read_lines(GENERATED_NEGATIVES), read_lines(SPC_HARD_NEGATIVES)):
        assert len(shipped) >= 1000 and not any("\t" in line for line in shipped)


def test_the_shipped_scorer_learnt_the_generators_style_as_clean():
    """Round 6 of #24 item 5: trained without the Generator's lines, the scorer read its garbled second-person
    statements as put-downs (38 of 192 demo candidates rejected); the shipped adapter names them as negatives
    and passes nearly all of them at its cut."""
    scorer = load_toxicity_scorer("minilm-lora-toxicity")
    assert "generated_negatives.txt" in scorer.trained_on["negatives_source"]
    lines = read_lines(GENERATED_NEGATIVES)
    flagged = int((scorer.scores(lines) > calibrated_threshold(scorer)[0]).sum())
    assert flagged <= len(lines) // 100, flagged
