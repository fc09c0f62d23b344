"""`hub:ID` sources in each common Hub layout of Persona-Chat/ConvAI2, read from the local fake Hub
(tests/builder/fake_hub.py: a real HTTP server the real `datasets`/`huggingface_hub` clients talk to).

The fixtures are made here from real SPC conversations (their user-2 personas are Persona-Chat profiles):
rows (`bavard/personachat_truecased` columns), dialogs (`personality` + `utterances`) and ParlAI text files.
Clients run in a child process because huggingface_hub reads HF_ENDPOINT when it is imported.
"""

import io
import json
import random
import subprocess
import sys

import pytest

from synthetic_persona_chat.readers import hub_layouts as H

from ..builder.conftest import subprocess_env
from ..builder.fake_hub import FakeHub
from .conftest import write_parlai

READ = r"""
import json, sys
from synthetic_persona_chat.eval import data as D
out = {}
for spec, role in json.loads(sys.argv[1]):
    ds = D.load_dataset(spec, role, spec)
    if isinstance(ds, D.Unavailable):
        out[spec] = {"unavailable": ds.reason}
        continue
    out[spec] = {"skips": [s.reason for s in ds.skips], "conversations": [
        {"user1": c.user1_persona, "user2": c.user2_persona, "turns": [[t.speaker, t.text] for t in c.turns],
         "candidates": c.meta.get("candidates", {}), "split": c.split} for c in ds.conversations]}
print(json.dumps(out))
"""


def _dialogs(convs, seed):
    """Persona-Chat's dialog form of SPC conversations that open with user 1 and alternate: one utterance entry
    per user-2 turn (history so far, 19 seeded distractors + the gold last); a closing user-1 turn is dropped,
    as Persona-Chat's files end on the persona side's response."""
    rng = random.Random(seed)
    pool = [t.text for c in convs for t in c.turns]
    out = []
    for c in convs:
        texts = [t.text for t in c.turns]
        if c.turns[-1].speaker == "user 1":
            texts = texts[:-1]
        entries = [{"history": texts[:i], "candidates": rng.sample([p for p in pool if p not in texts], 19) + [texts[i]]}
                   for i in range(1, len(texts), 2)]
        out.append({"personality": list(c.user2_persona), "utterances": entries, "turns": texts})
    return out


def _alternating(convs, n):
    ok = [c for c in convs if c.turns[0].speaker == "user 1" and len(c.turns) >= 4
          and all(t.speaker == ("user 1" if i % 2 == 0 else "user 2") for i, t in enumerate(c.turns))]
    return ok[:n]


def _parquet(rows):
    import datasets

    buf = io.BytesIO()
    datasets.Dataset.from_list(rows).to_parquet(buf)
    return buf.getvalue()


def _row_layout(dialogs, start):
    return [{"personality": d["personality"], "candidates": u["candidates"], "history": u["history"],
             "utterance_idx": k, "conv_id": start + i}
            for i, d in enumerate(dialogs) for k, u in enumerate(d["utterances"])]


@pytest.fixture(scope="module")
def read(spc_valid, spc_test, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hub-layouts")
    train, valid = _alternating(spc_valid, 4), _alternating(spc_test, 3)
    dtrain, dvalid = _dialogs(train, 0), _dialogs(valid, 1)
    strip = lambda ds: [{k: d[k] for k in ("personality", "utterances")} for d in ds]  # noqa: E731
    rows_valid = _row_layout(dvalid, 100)
    random.Random(2).shuffle(rows_valid)  # row order on the Hub is not conversation order
    files = {
        "me/pc-rows": {"data/train-00000-of-00001.parquet": _parquet(_row_layout(dtrain, 0)),
                       "data/validation-00000-of-00001.parquet": _parquet(rows_valid)},
        "me/pc-dialogs": {"data/train-00000-of-00001.parquet": _parquet(strip(dtrain)),
                          "data/validation-00000-of-00001.parquet": _parquet(strip(dvalid))},
        "me/pc-parlai": {"train_self_original.txt": write_parlai(tmp / "t.txt", train).read_bytes(),
                         "valid_self_original.txt": write_parlai(tmp / "v.txt", valid, seed=1).read_bytes()},
        "me/not-dialogue": {"data/train-00000-of-00001.parquet": _parquet([{"question": "q", "answer": "a"}] * 3)},
    }
    specs = [["hub:me/pc-rows@validation", "test"], ["hub:me/pc-rows", "train"],
             ["hub:me/pc-dialogs@validation", "test"], ["hub:me/pc-parlai@validation", "test"],
             ["hub:me/not-dialogue", "train"]]
    with FakeHub() as hub:
        for repo, content in files.items():
            hub.seed_repo(repo, content)
        env = subprocess_env(HF_ENDPOINT=hub.url, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp / "hf"),
                             HF_DATASETS_CACHE=str(tmp / "cache"))
        r = subprocess.run([sys.executable, "-c", READ, json.dumps(specs)], env=env, capture_output=True, text=True,
                           timeout=300, cwd=tmp)
    assert r.returncode == 0, r.stderr[-3000:]
    for repo in files:  # every layout really came over HTTP from the fake Hub
        assert any(path.startswith(f"/datasets/{repo}/resolve/") for _, path, _ in hub.requests), repo
    return json.loads(r.stdout.strip().splitlines()[-1]), dtrain, dvalid, train, valid


def _check(got, dialogs, split):
    assert not got["skips"]
    assert len(got["conversations"]) == len(dialogs)
    by_first = {tuple(c["user2"]): c for c in got["conversations"]}
    for d in dialogs:
        conv = by_first[tuple(d["personality"])]
        assert [t for _, t in conv["turns"]] == d["turns"]
        assert [s for s, _ in conv["turns"]] == ["user 1" if i % 2 == 0 else "user 2" for i in range(len(d["turns"]))]
        assert conv["candidates"] == {str(2 * k + 1): u["candidates"] for k, u in enumerate(d["utterances"])}
        assert conv["split"] == split


def test_rows_layout_bavard_personachat_truecased(read):
    out, dtrain, dvalid, _, _ = read
    _check(out["hub:me/pc-rows@validation"], dvalid, "test")
    _check(out["hub:me/pc-rows"], dtrain, "train")  # no @split: the role's split (train)


def test_dialogs_layout_personality_utterances(read):
    out, _, dvalid, _, _ = read
    _check(out["hub:me/pc-dialogs@validation"], dvalid, "test")


def test_parlai_text_layout(read):
    out, _, dvalid, _, valid = read
    got = out["hub:me/pc-parlai@validation"]
    assert not got["skips"] and len(got["conversations"]) == len(valid)
    for conv, d in zip(got["conversations"], dvalid):
        assert conv["user2"] == d["personality"] and [t for _, t in conv["turns"]] == d["turns"]
        assert all(len(c) == 20 and c[-1] == d["turns"][int(i)] for i, c in conv["candidates"].items())


def test_unknown_layout_says_which_columns(read):
    out = read[0]["hub:me/not-dialogue"]
    assert "unknown Hub dataset layout with columns ['answer', 'question']" in out["unavailable"]
    assert "personachat-rows: personality, candidates" in out["unavailable"]


def test_detect_layout():
    assert H.detect_layout(["personality", "candidates", "history", "utterance_idx", "conv_id"]) == "personachat-rows"
    assert H.detect_layout(["personality", "utterances"]) == "personachat-dialogs"
    assert H.detect_layout(["user 1 personas", "user 2 personas", "Best Generated Conversation"]) == "spc-release"
    assert H.detect_layout(["text"]) == "parlai-text"
    with pytest.raises(ValueError, match="unknown Hub dataset layout"):
        H.detect_layout(["history"])
