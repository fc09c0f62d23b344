from synthetic_persona_chat.readers import read_records, write_records
from synthetic_persona_chat.records import Conversation, Turn


def test_jsonl_and_parquet_round_trip(tmp_path):
    convs = [Conversation(["a."], ["b."], [Turn("user 1", "x"), Turn("user 2", "y")], meta={"i": 1})]
    for name in ("c.jsonl", "c.parquet"):
        write_records(tmp_path / name, convs)
        back, skips = read_records(tmp_path / name, Conversation.from_dict)
        assert back == convs and not skips


def test_bad_rows_are_skips(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"user1_persona": [], "user2_persona": [], "turns": []}\n')
    back, skips = read_records(f, Conversation.from_dict)
    assert back == [] and "no turns" in skips[0].reason
