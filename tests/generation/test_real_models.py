"""The conversation stage on the real embedded models: bundled SmolLM2 (transformers) as Generator, NLI
judge and quality experts, minilm-toxicity (the default scorer) for toxicity, on real SPC persona pairs."""

import pyarrow.parquet as pq

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.records import Conversation

from .helpers import config_dict, make_ctx, spc_pairs, write_pairs


def test_conversation_stage_with_bundled_smollm2(tmp_path, smollm):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(2, offset=20))
    data = config_dict(pairs, iterations=2, candidates=2, fewshot=1, fewshot_max_turns=4, max_tokens=96,
                       min_turns=4, max_turns=6)
    data["models"]["toxicity"] = "minilm-toxicity"  # the default scorer (the helpers pick the cheaper one)
    data["critic"].update(max_nli_pairs=2, max_contradictions=1, min_turns=2, max_alternation_errors=2,
                          qualities=["depth", "likability"])
    ctx = make_ctx(tmp_path, data, smollm)
    summary = run_conversations(ctx)
    cands = pq.read_table(ctx.run.path / "conversations" / "candidates.parquet").to_pylist()
    assert len(cands) == 4 and {c["iteration"] for c in cands} == {1, 2}  # iterations count from 1, as the paper does
    assert all(c["generator"] == "transformers:smollm2" and c["raw_text"] is not None for c in cands)
    for c in cands:  # every candidate carries a reason: a parse error, or the verdicts of the experts it met
        assert c["verdicts"] and all(v["reason"] for v in c["verdicts"])
        assert bool(c["parse_error"]) == (c["verdicts"][0]["expert"] == "parser")
    assert summary["tokens"]["completion_tokens"] > 0 and summary["tokens"]["calls"] >= 2
    assert summary["candidates"] == 4 and "parser" in summary["pass_rates"]
    wins = [Conversation.from_dict(r) for r in ctx.run.read_records("conversations", "conversations")]
    assert len(wins) == summary["winners"] == sum(c["selected"] for c in cands)
    for w in wins:
        assert w.meta["generator"] == "transformers:smollm2" and w.source == "run:run"
    models = ctx.run.read_json("models.json", default={})
    if summary["evaluated"].get("faithfulness"):  # a candidate got that far: the real checkers ran
        assert models["nli"]["kind"] == "minilm-polarity" and models["toxicity"]["kind"] == "minilm-toxicity"
    print(summary["pass_rates"], summary["winners"])
    ctx.close = lambda: None  # the session fixture owns the model
