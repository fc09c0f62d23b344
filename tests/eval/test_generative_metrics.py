"""Generative metrics on hand-computed fixtures (exact values), the prompt converter on real sample data,
the cross table's rendering with "not run" cells, and the model card's model-index."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthetic_persona_chat.eval import data as D
from synthetic_persona_chat.eval.generative_metrics import (ExampleScores, GenExample, generative_metrics,
                                                            normalize_answer, perplexity, to_generative, unigram_f1)
from synthetic_persona_chat.eval.generative_table import BASE, compare_with_base, markdown_table, evaluation_examples
from synthetic_persona_chat.eval.sft import SFTRunConfig
from synthetic_persona_chat.records import Conversation, Turn


class ScriptedChecker:
    """Contradiction probability 0.9 for replies containing "hate", else 0.1; a stored calibration."""

    kind = "scripted"

    def scores(self, premises, hypotheses):
        assert len(premises) == len(hypotheses)
        return [0.9 if "hate" in h else 0.1 for h in hypotheses]

    def describe(self):
        return {"kind": "scripted", "calibration": {"auroc": 0.8, "f1": 0.7, "n": 40, "n_contradiction": 20,
                                                    "tp": 14, "fp": 6, "fn": 6, "tn": 14}}


def test_parlai_normalisation_and_f1_exact():
    assert normalize_answer("The  cat, sat!  An apple's") == "cat sat apple s"
    # guess "cat sat" vs gold "cat sat down": precision 1, recall 2/3 -> F1 = 0.8
    assert unigram_f1("The cat sat.", "a cat sat down!") == pytest.approx(0.8, abs=1e-12)
    # multiset overlap: {dog, cat} shared once each -> p = r = 2/3
    assert unigram_f1("dog dog cat", "dog cat cat") == pytest.approx(2 / 3, abs=1e-12)
    assert unigram_f1("hello", "goodbye") == 0.0
    assert unigram_f1("", "anything") == 0.0


def test_perplexity_exact_over_all_gold_tokens():
    # probabilities 1/2, 1/4 (conversation a) and 1/8 (b): mean NLL = (ln2 + ln4 + ln8) / 3 = 2 ln 2 -> 4
    est = perplexity([[math.log(0.5), math.log(0.25)], [math.log(0.125)]], ["a", "b"])
    assert est["value"] == pytest.approx(4.0, abs=1e-12)
    assert est["mean_nll"] == pytest.approx(2 * math.log(2), abs=1e-12)
    lo, hi = est["ci"]
    assert lo <= 4.0 <= hi and est["n"] == 3 and est["clusters"] == 2


def _example(i: int, conv: str, label: int, gold: str) -> GenExample:
    cands = [f"distractor {k}" for k in range(4)]
    cands[label] = gold
    return GenExample(f"{conv}:{i}", conv, ["i love dogs ."], [{"role": "user", "content": "hi"}], gold, cands, label)


def test_metrics_on_a_tiny_fixture_are_the_hand_computed_values():
    examples = [_example(1, "a", 0, "i love my dog"), _example(2, "a", 2, "cats are fine"),
                _example(3, "b", 1, "the weather is nice")]
    lp = lambda *xs: np.log(np.array(xs))  # noqa: E731
    scored = [
        # gold (index 0) has the best mean log-prob -> hit
        ExampleScores([lp(0.5, 0.5), lp(0.1), lp(0.2, 0.2), lp(0.05)], "i love my dog"),
        # gold (index 2) ties candidate 0 -> ties count against the gold -> miss
        ExampleScores([lp(0.25), lp(0.1), lp(0.25), lp(0.01)], "i hate cats"),
        # gold (index 1) mean 1/4 beats the rest -> hit
        ExampleScores([lp(0.1), lp(0.25, 0.25), lp(0.2), lp(0.2)], "nice weather"),
    ]
    m = generative_metrics(examples, scored, ScriptedChecker(), threshold=0.5)
    assert m["hits@1/4"]["value"] == pytest.approx(2 / 3, abs=1e-12)
    # F1: 1.0; "i hate cats" vs "cats are fine": 1 shared -> p=1/3, r=1/3 -> 1/3; "nice weather" vs
    # "weather is nice" (article dropped): p=1, r=2/3 -> 0.8
    assert m["f1"]["value"] == pytest.approx((1.0 + 1 / 3 + 0.8) / 3, abs=1e-12)
    # gold tokens: 1/2, 1/2, 1/4, 1/4, 1/4 -> mean NLL = (2 ln2 + 3 ln4) / 5 = 8 ln2 / 5
    assert m["perplexity"]["value"] == pytest.approx(2 ** (8 / 5), abs=1e-12)
    pc = m["persona_consistency"]
    assert pc["estimate"]["value"] == pytest.approx(1 / 3, abs=1e-12)  # only "i hate cats" flagged
    assert pc["checker"]["calibration"]["auroc"] == 0.8
    assert m["per_example"]["contradiction"] == [0.0, 1.0, 0.0]
    assert m["per_example"]["gold_nll"][0] == pytest.approx(math.log(2), abs=1e-12)


def test_consistency_without_a_checker_is_not_run_not_zero():
    m = generative_metrics([_example(1, "a", 0, "x")], [ExampleScores([np.log([0.5])] * 4, "x")], None)
    assert "not_run" in m["persona_consistency"] and "contradiction" not in m["per_example"]


def test_prompts_come_from_the_messages_converter_on_real_sample_data():
    ds = D.load_dataset("spc-sample:test", "test", "SPC test")
    cfg = SFTRunConfig(max_test_conversations=3, max_test_examples=6)
    examples, info = evaluation_examples(ds, cfg)
    assert info.examples == len(examples) == 6 and info.source == "spc-sample:test"
    for e in examples:
        assert e.prompt[0]["role"] == "system" and all(a in e.prompt[0]["content"] for a in e.persona)
        assert e.prompt[-1]["role"] == "user"  # the model answers the partner's last turn
        assert e.candidates[e.label] == e.gold and len(e.candidates) == 20
    again, _ = evaluation_examples(ds, cfg)  # seeded: the same examples and candidates every time
    assert [(e.id, e.candidates) for e in again] == [(e.id, e.candidates) for e in examples]


def test_a_gold_reply_merged_with_its_speakers_previous_turn_is_skipped_with_a_reason():
    conv = Conversation(["i like tea ."], ["i run ."], [Turn("user 1", "hello"), Turn("user 2", "hi there"),
                                                       Turn("user 2", "how are you?"), Turn("user 1", "fine")])
    rows = [{"id": f"{conv.id}:{t}", "conversation_id": conv.id, "turn": t, "speaker": conv.turns[t].speaker,
             "persona": conv.persona_of(conv.turns[t].speaker), "candidates": [conv.turns[t].text, "x"], "label": 0}
            for t in (1, 2, 3)]
    examples, skips = to_generative(rows, [conv], "fixture")
    assert [e.id.split(":")[1] for e in examples] == ["1", "3"]
    assert len(skips) == 1 and skips[0].locator.endswith(":2") and "same speaker" in skips[0].reason


def _result_with_cells() -> dict:
    m = generative_metrics([_example(1, "a", 0, "i love my dog"), _example(2, "b", 0, "yes")],
                           [ExampleScores([np.log([0.5])] * 4, "i love my dog"),
                            ExampleScores([np.log([0.5])] * 4, "no")], ScriptedChecker())
    m2 = generative_metrics([_example(1, "a", 0, "i love my dog"), _example(2, "b", 0, "yes")],
                            [ExampleScores([np.log([0.9])] + [np.log([0.1])] * 3, "i love dogs"),
                             ExampleScores([np.log([0.9])] + [np.log([0.1])] * 3, "yes")], ScriptedChecker())
    result = {"config": SFTRunConfig().to_dict(), "test_sets": {"SPC test": {"source": "spc-sample:test"},
                                                                "Persona-Chat test": {"not_run": "no data given"}},
              "models": {BASE: {"path": "smollm2"}}, "checker": ScriptedChecker().describe(),
              "cells": [{"train": BASE, "test": "SPC test", "metrics": m},
                        {"train": BASE, "test": "Persona-Chat test", "not_run": "test data: no data given"},
                        {"train": "SPC", "test": "SPC test", "metrics": m2},
                        {"train": "Persona-Chat", "test": "SPC test",
                         "not_run": "training data: no data given (--persona-chat-train)"}]}
    result["comparisons"] = [c.to_json() for c in compare_with_base(result)]  # as generative.json holds them
    return result


def test_table_shows_intervals_not_run_reasons_and_paired_comparisons():
    result = _result_with_cells()
    table = markdown_table(result)
    assert "| none (base model) | SPC test | 2.00 [" in table  # perplexity of p = 1/2 everywhere
    assert "not run: test data: no data given" in table and "not run: training data: no data given" in table
    by_metric = {c["metric"]: c for c in result["comparisons"]}
    assert set(by_metric) == {"hits@1/4", "unigram F1", "gold NLL per token", "contradiction rate"}
    assert by_metric["hits@1/4"]["diff"] == pytest.approx(1.0, abs=1e-12)  # base ties everything (misses), SFT hits
    nll = by_metric["gold NLL per token"]
    assert nll["diff"] == pytest.approx(-math.log(0.9) - math.log(2), abs=1e-12) and nll["n"] == 2


def test_report_renders_the_generative_section(tmp_path):
    from synthetic_persona_chat.eval.report import render_report, write_json

    write_json(tmp_path / "generative.json", _result_with_cells())
    written = render_report(tmp_path)
    md = written["markdown"].read_text(encoding="utf-8")
    assert "## Generative track" in md and "| none (base model) | SPC test |" in md
    assert "AUROC 0.800 [" in md and "SFT (SPC) − base gold NLL per token" in md


def test_model_card_model_index_links_hub_datasets(tmp_path, spc_dir):
    from huggingface_hub import ModelCard
    from huggingface_hub.repocard_data import model_index_to_eval_results

    from synthetic_persona_chat.eval.sft_card import write_card

    result = _result_with_cells()
    measured = {"SPC test": result["cells"][2]["metrics"]}
    model = {"path": str(tmp_path), "steps": 2, "train_tokens": 1000, "seconds": 3.0}
    release = {split: str(spc_dir / f"Synthetic-Persona-Chat_{split}.csv") for split in ("valid", "test")}
    path = write_card("SPC", {"source": release["valid"], "conversations": 4, "of": 150}, model, measured,
                      SFTRunConfig(), {"SPC test": release["test"]})
    card = ModelCard.load(path)
    assert card.data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert card.data.datasets == ["google/Synthetic-Persona-Chat"] and card.data.license == "apache-2.0"
    name, results = model_index_to_eval_results(card.data.to_dict()["model-index"])
    assert name == "spc-persona-chatbot-spc"
    assert {r.metric_type for r in results} == {"perplexity", "hits_at_1", "f1", "contradiction_rate"}
    assert all(r.dataset_type == "google/Synthetic-Persona-Chat" and r.dataset_split == "test" for r in results)
    assert "@misc{jandaghi" in card.text
    # the packaged sample is not the release: no Hub id, so no model-index entry and no `datasets` link
    sample = write_card("SPC", {"source": "spc-sample:valid"}, model, measured, SFTRunConfig(),
                        {"SPC test": "spc-sample:test"})
    assert "model-index" not in ModelCard.load(sample).data.to_dict()
