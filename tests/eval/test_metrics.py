"""Metrics and pieces on hand-made inputs with known answers (no models)."""

import math

import numpy as np
import pytest

from synthetic_persona_chat.eval import data as D
from synthetic_persona_chat.eval.crosstable import NUPRunConfig, cross_table
from synthetic_persona_chat.eval.nup_tables import markdown_table
from synthetic_persona_chat.eval.detection import detection_test
from synthetic_persona_chat.eval.metrics import distinct_n, gold_ranks, ranking_metrics, vocabulary_size
from synthetic_persona_chat.eval.quality import diversity, persona_coverage, template_leftovers, toxicity
from synthetic_persona_chat.eval.rankers import BiEncoderRanker, RandomRanker, TfidfRanker
from synthetic_persona_chat.readers.hub_layouts import row_to_conversation
from synthetic_persona_chat.records import Conversation, Turn


def hits_at_k(scores, labels, k):
    """Share of rows whose gold ranks in the top k: the tie rule of `gold_ranks`, checked on known answers."""
    return float((gold_ranks(scores, labels) <= k).mean())


def mrr(scores, labels):
    return float((1.0 / gold_ranks(scores, labels)).mean())


def test_ranking_metrics_known_answers():
    scores = np.array([[0.9, 0.1, 0.2],   # gold 0 ranks 1
                       [0.9, 0.8, 0.1],   # gold 1 ranks 2
                       [0.3, 0.2, 0.1]])  # gold 2 ranks 3
    labels = [0, 1, 2]
    assert gold_ranks(scores, labels).tolist() == [1, 2, 3]
    assert hits_at_k(scores, labels, 1) == pytest.approx(1 / 3)
    assert hits_at_k(scores, labels, 2) == pytest.approx(2 / 3)
    assert mrr(scores, labels) == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)
    m = ranking_metrics(scores, labels)
    assert m["hits@1/3"] == pytest.approx(1 / 3) and m["examples"] == 3


def test_ties_count_against_the_gold():
    flat = np.zeros((4, 20))
    assert hits_at_k(flat, [0, 5, 10, 19], 1) == 0.0
    assert mrr(flat, [0, 1, 2, 3]) == pytest.approx(1 / 20)
    with pytest.raises(ValueError):
        gold_ranks(flat, [20, 0, 0, 0])


def test_distinct_and_vocabulary():
    texts = ["a a b", "a b"]  # unigrams a,a,b,a,b -> 2 distinct of 5; bigrams aa,ab,ab -> 2 of 3
    assert distinct_n(texts, 1) == pytest.approx(2 / 5)
    assert distinct_n(texts, 2) == pytest.approx(2 / 3)
    assert vocabulary_size(["I'm fine.", "i'm FINE today"]) == 3
    assert distinct_n([], 2) == 0.0


def _conv(lines, p1=("I have a dog.",), p2=("I am a pilot.",), iteration=None):
    return Conversation(list(p1), list(p2), [Turn("user 1" if i % 2 == 0 else "user 2", t) for i, t in enumerate(lines)],
                        iteration=iteration)


def test_template_leftovers_are_counted():
    convs = [_conv(["Hi, I'm [User 1's name]!", "Hello {name}, I live in <insert city>."]),
             _conv(["Hi there [laughs]", "Nice to meet you."])]
    found = template_leftovers(convs).to_json()
    assert found["count"] == 3 and found["conversations"] == 1


def test_toxicity_and_diversity_counts():
    class Fixed:
        kind = "fixed"

        def scores(self, texts):
            return np.array([0.9 if "idiot" in t else 0.1 for t in texts])

    convs = [_conv(["you idiot", "sorry"]), _conv(["hello", "hi"])]
    tox = toxicity(convs, Fixed()).to_json()
    assert tox["rate"] == 0.25 and tox["conversations_with_toxic"] == 1
    assert diversity(convs).to_json()["utterances"] == 4


def test_persona_coverage_threshold():
    class OneHot:  # attribute i matches utterances containing word i
        model = "onehot"
        words = ["dog", "pilot", "cake"]

        def encode(self, texts):
            v = np.array([[1.0 if w in t.lower() else 0.0 for w in self.words] + [0.01] for t in texts])
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    conv = _conv(["My dog is loud.", "I like cake."], p1=("I have a dog.", "I bake cake."), p2=("I am a pilot.",))
    # user 1 says dog (covered), not the cake line (user 2 said it); user 2 never says pilot
    assert persona_coverage([conv], OneHot(), 0.5).coverage == pytest.approx(1 / 3)


def test_context_text_most_recent_first():
    ex = {"history": ["a", "b", "c", "d"], "persona": ["I sing.", "I ski."]}
    assert D.context_text(ex, 3) == "d\nc\nb\npersona: I sing. I ski."
    assert D.context_text({"history": ["a"], "persona": []}, 3) == "a"


def test_bi_encoder_embeds_each_unique_text_once():
    class Counting:
        def __init__(self):
            self.seen = []

        def encode(self, texts):
            self.seen.extend(texts)
            return np.array([[len(t), 1.0] for t in texts]) / np.linalg.norm([[len(t), 1.0] for t in texts], axis=1)[:, None]

    enc = Counting()
    r = BiEncoderRanker(enc)
    s = r.scores(["aa", "aa"], [["x", "aa", "yyyy"], ["aa", "x", "zz"]])
    assert s.shape == (2, 3) and len(enc.seen) == len(set(enc.seen)) == 4
    assert s[0].argmax() == 1 and s[1].argmax() == 0
    r.scores(["aa"], [["x", "yyyy", "zz"]])
    assert len(enc.seen) == 4  # all cached


def test_tfidf_prefers_lexical_overlap_and_random_is_seeded():
    s = TfidfRanker().scores(["do you like hiking in the mountains"],
                             [["i love pizza", "hiking mountains is my passion", "cats are great"]])
    assert s[0].argmax() == 1
    a = RandomRanker(3).scores(["q"] * 5, [["a", "b"]] * 5)
    assert np.array_equal(a, RandomRanker(3).scores(["q"] * 5, [["a", "b"]] * 5))


def test_detection_known_answer():
    real = [_conv([f"hey how are you {i}", "good thanks"]) for i in range(20)]
    synth = [_conv([f"Greetings! Delightful day {i}", "Indeed, truly delightful!"], iteration=1 + i % 2)
             for i in range(20)]
    det = detection_test(real, synth, "classifier", seed=0)
    assert det["losing_rate"] == 0.0 and set(det["by_iteration"]) == {"1", "2"}
    assert sum(v["pairs"] for v in det["by_iteration"].values()) == det["pairs"] == 10


def test_hub_row_layouts():
    spc = row_to_conversation({"user 1 personas": "I ski.", "user 2 personas": "I sing.",
                                     "Best Generated Conversation": "User 1: hi\nUser 2: hello"})
    assert [t.speaker for t in spc.turns] == ["user 1", "user 2"]
    pc = row_to_conversation({"personality": ["i sing ."], "utterances": [
        {"history": ["hi"], "candidates": ["x", "hello"]},
        {"history": ["hi", "hello", "how are you"], "candidates": ["y", "fine"]}]})
    assert pc.utterances == ["hi", "hello", "how are you", "fine"]
    assert [t.speaker for t in pc.turns] == ["user 1", "user 2", "user 1", "user 2"]
    assert pc.meta["candidates"] == {"1": ["x", "hello"], "3": ["y", "fine"]}
    with pytest.raises(ValueError):
        row_to_conversation({"text": "?"})


def test_unavailable_cells_say_why(tmp_path):
    train = {"SPC": D.Unavailable("SPC", "no data given (--spc)"),
             "generated": D.load_dataset(tmp_path / "nope", "train", "generated")}
    test = {"SPC test": D.Unavailable("SPC test", "no data given (--spc)")}
    res = cross_table(train, test, NUPRunConfig(baselines=("random",)), tmp_path).to_json()
    assert all("metrics" not in c and c["not_run"] for c in res["cells"] + res["baselines"])
    table = markdown_table(res)
    assert "not run: training data: no data given (--spc)" in table and "does not exist" in table
    assert not math.isnan(0.0)
