import numpy as np

from synthetic_persona_chat.models import Embedder


def test_paraphrases_closer_than_unrelated_on_real_persona_sentences(minilm):
    v = minilm.encode(["I have two dogs.", "I own a pair of dogs.", "My job is teaching math.",
                       "I am a high school math teacher.", "I love to eat sushi."])
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2] and sim[0, 1] > sim[0, 4]
    assert sim[2, 3] > sim[2, 0] and sim[2, 3] > sim[2, 4]


def test_cache_embeds_each_sentence_once_across_instances(tmp_path):
    a = Embedder("minilm", cache_path=tmp_path / "e.sqlite")
    first = a.encode(["I like tea.", "I like tea.", "I run marathons."])
    assert a.encoded == 2
    b = Embedder("minilm", cache_path=tmp_path / "e.sqlite")
    again = b.encode(["I run marathons.", "I like tea."])
    assert b.encoded == 0
    assert np.allclose(again[0], first[2]) and np.allclose(again[1], first[0])
    assert b.encode([]).shape == (0, b.dim)
