"""The few-shot pool is clean: seeds pass the structural expert first, and the run counts the dropped ones."""

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.config import CriticConfig
from synthetic_persona_chat.generation.fewshot import clean_seeds, load_seed_conversations
from synthetic_persona_chat.records import Conversation
from synthetic_persona_chat.text import placeholders

from .helpers import config_dict, make_ctx, scripted, spc_pairs, write_pairs


def test_packaged_spc_seeds_with_template_slots_never_reach_the_pool():
    convs = load_seed_conversations("spc-sample:valid", 100)
    kept, report = clean_seeds(convs, CriticConfig(), max_turns=6)
    dirty = [c for c in convs if any(placeholders(t.text) for t in c.turns[:6])]
    assert dirty, "the packaged sample holds template leftovers: this test checks they are dropped"
    assert not [c for c in kept if any(placeholders(t.text) for t in c.turns[:6])]
    assert report["read"] == 100 and report["kept"] == len(kept) == 100 - report["dropped"]
    assert report["dropped_by_reason"]["template placeholders"] == len(dirty)


def test_loops_and_broken_alternation_are_dropped_with_their_reason():
    good = Conversation(user1_persona=["I fish."], user2_persona=["I bake."], turns=[
        {"speaker": "user 1", "text": "Do you fish?"}, {"speaker": "user 2", "text": "No, I bake bread."},
        {"speaker": "user 1", "text": "I love bread."}, {"speaker": "user 2", "text": "Come by for a loaf."}])
    twice = Conversation(user1_persona=["I fish."], user2_persona=["I bake."], turns=[
        {"speaker": "user 1", "text": "Hello."}, {"speaker": "user 1", "text": "Anyone there?"},
        {"speaker": "user 2", "text": "Yes, I bake."}, {"speaker": "user 1", "text": "Great to hear."}])
    loop = Conversation(user1_persona=["I fish."], user2_persona=["I bake."], turns=[
        {"speaker": s, "text": "I like to fish."} for s in ["user 1", "user 2"] * 4])
    kept, report = clean_seeds([good, twice, loop], CriticConfig(min_turns=4))
    assert kept == [good]
    assert report["dropped_by_reason"] == {"turns do not alternate": 1, "repeated lines": 1, "low distinct-2": 1}


def test_the_run_summary_counts_the_dropped_seeds(tmp_path):
    data = config_dict(write_pairs(tmp_path / "pairs.jsonl", spc_pairs(2)), iterations=1, fewshot_max_turns=6)
    summary = run_conversations(make_ctx(tmp_path, data, scripted()))
    pool = summary["seed_pool"]
    assert pool["read"] == 30 and pool["dropped"] > 0 and pool["kept"] + pool["dropped"] == 30
    assert "template placeholders" in pool["dropped_by_reason"]
