"""The constrained Generator's guarantee (#24.1): whatever the model prefers, the answer has the shape.

The processor is driven step by step with adversarial logits (a "model" that most wants template slots,
line breaks, the end, emoji and loops) on the bundled SmolLM2 tokenizer; the decoded answer must still
alternate, stay within [min_turns, max_turns], hold no banned character and repeat no 4-gram.
"""

from __future__ import annotations

import re

import pytest
import torch

from synthetic_persona_chat.generation.parser import parse_conversation
from synthetic_persona_chat.models.llm.shape import ConversationShape
from synthetic_persona_chat.models.llm.shaped_decoding import ShapeProcessor, Vocabulary, persona_tokens


@pytest.fixture(scope="module")
def tokenizer(smollm):
    return smollm.tokenizer


def _drive(tokenizer, shape, prompt: str, prefer: list[int], seed: int, rows: int = 3, steps: int = 600):
    """Decode `rows` sequences greedily from random logits with `prefer` tokens pushed to the top."""
    vocab = Vocabulary.build(tokenizer, shape)
    proc = ShapeProcessor(shape, vocab, tokenizer)
    gen = torch.Generator().manual_seed(seed)
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)] * rows)
    start = ids.shape[1]
    for _ in range(steps):
        scores = torch.randn(rows, len(tokenizer), generator=gen)
        scores[:, prefer] += 8.0 + 4 * torch.rand(rows, len(prefer), generator=gen)
        nxt = proc(ids, scores).argmax(dim=-1, keepdim=True)
        ids = torch.cat([ids, nxt], dim=1)
        if bool((nxt == vocab.eos).all()):
            break
    return [tokenizer.decode([t for t in row[start:].tolist() if t != vocab.eos]) for row in ids]


def test_adversarial_logits_still_give_the_shape(tokenizer):
    shape = ConversationShape(min_turns=4, max_turns=7, soft_line_tokens=8, max_line_tokens=16)
    hostile = [tokenizer.encode(s, add_special_tokens=False)[0] for s in
               (" [", "\n", "\n\n", " User", " user", " #", "*", " (", " 😀", " I", " love", " dogs")]
    hostile.append(tokenizer.eos_token_id)
    for seed in range(4):
        for text in _drive(tokenizer, shape, "Conversation:\nUser 1:", hostile, seed):
            answer = "User 1:" + text
            parsed = parse_conversation(answer, drop_truncated=False)
            assert parsed.error is None, answer
            speakers = [t["speaker"] for t in parsed.turns]
            assert speakers == [("user 1", "user 2")[i % 2] for i in range(len(speakers))], answer
            assert 4 <= len(speakers) <= 7, answer
            assert not re.search(r"[\[\]#*()]", answer) and answer.isascii(), answer
            assert not [t for t in parsed.turns if "user" in t["text"].lower()], answer  # no tag word inside a line
            lines = [tokenizer.encode(t["text"], add_special_tokens=False) for t in parsed.turns]
            grams = [tuple(line[i:i + 4]) for line in lines for i in range(len(line) - 3)]
            assert len(grams) == len(set(grams)), answer  # no 4-gram said twice (retokenised: an upper bound)


def test_lines_end_at_a_sentence_after_the_soft_length(tokenizer):
    shape = ConversationShape(min_turns=2, max_turns=2, min_line_tokens=3, soft_line_tokens=5, max_line_tokens=12)
    period = tokenizer.encode(".", add_special_tokens=False)[0]
    for text in _drive(tokenizer, shape, "User 1:", [period], seed=0):
        lines = [t["text"] for t in parse_conversation("User 1:" + text, drop_truncated=False).turns]
        assert len(lines) == 2
        for line in lines:
            assert len(tokenizer.encode(line, add_special_tokens=False)) <= 12


def test_persona_tokens_come_from_the_last_listing_of_the_speaker(tokenizer):
    prompt = ("User 1's persona:\n- I race pigeons.\n\nExample\nUser 1's persona:\n- I am a carpenter.\n"
              "- My garden has tomatoes.\n\nUser 2's persona:\n- I sing opera.\n\nWrite it.")
    ids = persona_tokens(prompt, "User 1's persona:", tokenizer)
    words = {tokenizer.decode([i]).strip().lower() for i in ids}
    assert {"carpenter", "garden", "tomatoes"} & words or any(w.startswith(("car", "gard", "tom")) for w in words)
    assert not any(w.startswith("pige") for w in words)  # an earlier listing (an example) is not the speaker's
    assert not {"have", "my", "the"} & words


def test_persona_bias_raises_the_speakers_words_until_used(tokenizer):
    shape = ConversationShape(min_turns=2, max_turns=2, persona_headers=("User 1's persona:", "User 2's persona:"),
                              persona_bias=5.0)
    prompt = "User 1's persona:\n- I race pigeons.\n\nUser 2's persona:\n- I sing opera.\n\nUser 1:"
    proc = ShapeProcessor(shape, Vocabulary.build(tokenizer, shape), tokenizer)
    ids = torch.tensor([tokenizer.encode(prompt, add_special_tokens=False)])
    scores = proc(ids, torch.zeros(1, len(tokenizer)))
    raised = {tokenizer.decode([i]).strip().lower() for i in torch.nonzero(scores[0] == 5.0).flatten().tolist()}
    assert raised and all(w.startswith(("race", "pig", "rac")) for w in raised)


def test_shape_rejects_impossible_bounds():
    with pytest.raises(ValueError):
        ConversationShape(min_turns=5, max_turns=4)
    with pytest.raises(ValueError):
        ConversationShape(speakers=("A",))
    with pytest.raises(ValueError):
        ConversationShape(persona_headers=("only one",))


@pytest.mark.parametrize("text, ok", [
    ("User 1: Hi there, I sing.\nUser 2: Do you? I paint.\nUser 1: Nice!", True),
    ("User 1: Hi there, I sing.\nUser 2: Do you? I paint.", False),  # fewer than min_turns
    ("User 1: Hi there.\nUser 1: Again me.\nUser 2: Hello.", False),  # not alternating
    ("User 1: Hi [name].\nUser 2: Hello.\nUser 1: Bye.", False),  # a template slot
    ("User 1: a1.\nUser 2: b2.\nUser 1: c3.\nUser 2: d4.\nUser 1: e5.", False),  # more than max_turns
])
def test_the_servers_regex_is_the_same_shape(text, ok):
    pattern = ConversationShape(min_turns=3, max_turns=4).regex()
    assert bool(re.fullmatch(pattern, text)) is ok


def test_no_late_greeting_no_repeated_opener_no_phrase_twice_in_a_line(tokenizer):
    """The demo's tics (#24 h1.2), pushed by the logits: "Hi," opening every turn, a speaker opening each
    line the same way, "How about you? How about you." The shape makes each impossible."""
    shape = ConversationShape(min_turns=6, max_turns=6, soft_line_tokens=10, max_line_tokens=14, line_ngram=3,
                              greeting_turns=2, fresh_openers=True)
    vocab = Vocabulary.build(tokenizer, shape)
    assert {tokenizer.decode([i]).strip() for i in vocab.greetings} >= {"Hi", "Hello", "Hey"}
    tics = [tokenizer.encode(s, add_special_tokens=False)[0] for s in (" Hi", " Hello", " How", " about", " you", "?")]
    for seed in range(3):
        for text in _drive(tokenizer, shape, "User 1:", tics, seed):
            lines = [t["text"] for t in parse_conversation("User 1:" + text, drop_truncated=False).turns]
            assert len(lines) == 6, text
            firsts = [line.split()[0].strip(",.!?").lower() for line in lines]
            assert not {"hi", "hello", "hey"} & set(firsts[2:]), lines
            assert all(firsts[i] != firsts[i - 2] for i in range(2, 6)), lines  # each speaker's previous line
            for line in lines:
                ids = tokenizer.encode(" " + line, add_special_tokens=False)
                grams = [tuple(ids[i:i + 3]) for i in range(len(ids) - 2)]
                assert len(grams) == len(set(grams)), line


def test_the_tic_rules_are_off_by_default(tokenizer):
    shape = ConversationShape(min_turns=4, max_turns=4)
    hi = tokenizer.encode(" Hi", add_special_tokens=False)[0]
    texts = _drive(tokenizer, shape, "User 1:", [hi], seed=0, rows=1)
    lines = [t["text"] for t in parse_conversation("User 1:" + texts[0], drop_truncated=False).turns]
    assert all(line.startswith("Hi") for line in lines), lines
