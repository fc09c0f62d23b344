from pathlib import Path

import pytest

from synthetic_persona_chat.readers import ParlAIFormatError, read_parlai

FIX = Path(__file__).resolve().parents[1] / "fixtures"


def test_self_original_format():
    convs, skips = read_parlai(FIX / "personachat_self_original.txt", split="valid")
    assert len(convs) == 2 and not skips
    a, b = convs
    assert a.user2_persona[0] == "i like to remodel homes." and a.user1_persona == []
    assert [t.speaker for t in a.turns] == ["user 1", "user 2", "user 1", "user 2"]
    assert a.meta["candidates"]["1"][-1] == a.turns[1].text
    # __SILENCE__: the self side speaks first
    assert b.turns[0].speaker == "user 2" and b.turns[0].text == "hello there , i love cats ."
    assert a.source == "persona-chat:valid"


def test_both_format_and_a_bad_episode_is_a_recorded_skip():
    convs, skips = read_parlai(FIX / "personachat_both_original_bad.txt")
    assert len(convs) == 1 and convs[0].user1_persona == ["i am a cheetah runner."]
    assert len(skips) == 1 and "without a response" in skips[0].reason


def test_not_parlai(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hello world\n")
    with pytest.raises(ParlAIFormatError, match="x.txt:1"):
        read_parlai(f)
