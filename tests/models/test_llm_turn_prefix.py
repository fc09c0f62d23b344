"""The transformers backend continues a forced assistant prefix and stops at a stop string (bundled SmolLM2)."""

from synthetic_persona_chat.models import GenerationParams

ASK = [{"role": "user", "content": "Write a conversation of six lines between User 1 and User 2 about dogs."}]
FORCED = ASK + [{"role": "assistant", "content": "User 1:"}]


def test_trailing_assistant_message_is_continued_not_answered(smollm):
    assert smollm._template(FORCED).endswith("<|im_start|>assistant\nUser 1:")  # no new header after the tag
    assert smollm._template(ASK).endswith("<|im_start|>assistant\n")  # a plain chat still gets its prompt


def test_stop_string_ends_each_sequence_where_it_appears(smollm):
    greedy = GenerationParams(max_tokens=60, temperature=0.0)
    free = smollm.generate([FORCED], greedy)[0]
    stopped = smollm.generate([FORCED], greedy.replace(stop=(".",)))[0]
    assert "." in free.texts[0][:-1], "the free answer should run past its first sentence for this check to mean much"
    assert "." not in stopped.texts[0]
    assert free.texts[0].startswith(stopped.texts[0])
    assert stopped.completion_tokens < free.completion_tokens  # decoding stopped, not cut afterwards
