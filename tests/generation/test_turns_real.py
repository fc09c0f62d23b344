"""Turn-level generation on the bundled SmolLM2 (transformers): the alternation guarantee and determinism."""

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.readers import read_records
from synthetic_persona_chat.text import placeholders

from .helpers import config_dict, make_ctx, spc_pairs, write_pairs


def test_bundled_model_alternates_in_bounds_and_repeats_itself_per_seed(tmp_path, smollm):
    data = config_dict(write_pairs(tmp_path / "pairs.jsonl", spc_pairs(2)), iterations=1, candidates=1,
                       min_turns=4, max_turns=5)
    data.pop("models")  # the real default toxicity scorer is not needed: structural only
    data["generator"] = {"mode": "turns", "turn_max_tokens": 32}
    data["critic"]["experts"] = ["structural"]
    turns = []
    for name in ("first", "second"):  # two run directories, two empty answer caches
        ctx = make_ctx(tmp_path, data, smollm, run_name=name)
        summary = run_conversations(ctx)
        rows, _ = read_records(ctx.run.path / "conversations" / "candidates.parquet", dict)
        turns.append([r["turns"] for r in rows])
        assert summary["generator_mode"] == "turns" and len(rows) == 2
        for r in rows:
            speakers = [t["speaker"] for t in r["turns"]]
            assert speakers == ["user 1", "user 2", "user 1", "user 2", "user 1"][:len(speakers)]
            assert 4 <= len(speakers) <= 5 and all(t["text"] and "\n" not in t["text"] for t in r["turns"])
            assert not [t for t in r["turns"] if placeholders(t["text"])]
        prompt = (ctx.run.path / "prompts" / "generator.txt").read_text()
        assert "[assistant]\nUser 1:" in prompt  # the forced speaker tag the backend continues
    assert turns[0] == turns[1]
