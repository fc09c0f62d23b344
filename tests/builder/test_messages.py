"""The `messages` config: one row per speaker perspective, fed through SmolLM2's real chat template and one
transformers collation step, as an SFT trainer would."""

import datasets
import pytest

from synthetic_persona_chat.builder.export import export
from synthetic_persona_chat.builder.messages import OPENING_PROMPT, message_rows, perspective
from synthetic_persona_chat.records import Conversation, Turn


def test_perspectives_alternate_and_end_on_the_assistant():
    conv = Conversation(["I sing."], ["I run."], [Turn("user 1", "hi"), Turn("user 2", "hello"),
                                                 Turn("user 2", "how are you?"), Turn("user 1", "fine"),
                                                 Turn("user 2", "bye")])
    one = perspective(conv, "user 1")
    assert [m["role"] for m in one] == ["system", "user", "assistant", "user", "assistant"]
    assert one[1]["content"] == OPENING_PROMPT and one[2]["content"] == "hi"  # the opener answers a prompt turn
    assert "I sing." in one[0]["content"] and "I run." not in one[0]["content"]
    assert one[3]["content"] == "hello\nhow are you?"  # consecutive turns of one speaker merge
    two = perspective(conv, "user 2", partner_persona=True)
    assert [m["role"] for m in two] == ["system", "user", "assistant", "user", "assistant"]
    assert "Your partner's persona:\n- I sing." in two[0]["content"]
    assert [r["speaker"] for r in message_rows(conv)] == ["user 1", "user 2"]


def test_generated_rows_keep_the_critic_verdicts(run_dir, tmp_path):
    out = tmp_path / "export"
    export(run_dir, out, configs=("full", "messages"))
    ds = datasets.load_dataset(str(out), "messages", cache_dir=str(tmp_path / "c"))
    assert ds["train"].num_rows == 40 and ds["synthetic"].num_rows == 80  # two perspectives per conversation
    generated = ds["synthetic"][0]
    assert {v["expert"] for v in generated["critic_verdicts"]} == {"faithfulness", "quality:depth"}
    assert ds["train"][0]["critic_verdicts"] == []  # seed conversations were never judged


@pytest.fixture(scope="module")
def smollm2_tokenizer():
    from transformers import AutoTokenizer

    from synthetic_persona_chat.models.bundled import smollm2_gguf

    gguf = smollm2_gguf()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def test_real_rows_through_smollm2_chat_template_and_collator(spc_test_only, tmp_path, smollm2_tokenizer):
    from transformers import DataCollatorForLanguageModeling

    tok = smollm2_tokenizer
    out = tmp_path / "export"
    export(spc_test_only, out, configs=("full", "messages"))
    rows = datasets.load_dataset(str(out), "messages", cache_dir=str(tmp_path / "c"))["test"].select(range(4))
    text = tok.apply_chat_template(rows[0]["messages"], tokenize=False)
    assert text.startswith("<|im_start|>system\nYou are chatting") and text.count("<|im_start|>assistant") >= 3
    encoded = [tok.apply_chat_template(r["messages"], tokenize=True, return_dict=True, truncation=True,
                                       max_length=1024) for r in rows]
    # a pad token of its own: padding with <|im_end|> would mask every end-of-turn out of the loss
    tok.pad_token = "<|endoftext|>"
    assert tok.pad_token_id not in {i for e in encoded for i in e["input_ids"]}
    batch = DataCollatorForLanguageModeling(tok, mlm=False)([{"input_ids": e["input_ids"]} for e in encoded])
    lengths = [len(e["input_ids"]) for e in encoded]
    assert tuple(batch["input_ids"].shape) == (4, max(lengths))
    assert int(batch["attention_mask"].sum()) == sum(lengths)
    assert int((batch["labels"] != -100).sum()) == sum(lengths)  # padding is masked out of the loss


# The Llama-2 / Mistral rule: after an optional system message, roles go user, assistant, user, ... strictly.
STRICT_TEMPLATE = (
    "{% set msgs = messages[1:] if messages[0]['role'] == 'system' else messages %}"
    "{% for m in msgs %}{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]{% else %} {{ m['content'] }}</s>{% endif %}"
    "{% endfor %}")


def test_every_row_passes_a_strict_alternation_chat_template(spc_test_only, run_dir, tmp_path, smollm2_tokenizer):
    for name, source in (("release", spc_test_only), ("run", run_dir)):
        out = tmp_path / name
        export(source, out, configs=("full", "messages"))
        for split, rows in datasets.load_dataset(str(out), "messages", cache_dir=str(tmp_path / "c")).items():
            for row in rows:
                text = smollm2_tokenizer.apply_chat_template(row["messages"], chat_template=STRICT_TEMPLATE,
                                                             tokenize=False)
                assert text.startswith("[INST] "), (name, split, row["id"])
