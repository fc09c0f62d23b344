"""The main job's comparison against held-out REAL conversations: `spc eval quality --dataset real=<csv>` with a
Persona-Chat-format CSV (the columns `user 1 personas`, `user 2 personas`, `Best Generated Conversation`), and the
packaged SPC sample named as a stand-in when it is the real side. The CSV is written from real SPC test rows (the
Persona-Chat profiles; Persona-Chat itself is not in ../shared/data); the run holds conversations on the same
user pairs, so the AI-detection test pairs the same users."""

import csv
import json

from synthetic_persona_chat.cli import main
from synthetic_persona_chat.eval.report import detection_markdown
from synthetic_persona_chat.eval.same_users import SAME_USERS
from synthetic_persona_chat.records import Conversation

from .conftest import make_run


def write_real_csv(path, convs):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["user 1 personas", "user 2 personas", "Best Generated Conversation"])
        for c in convs:
            w.writerow(["\n".join(c.user1_persona), "\n".join(c.user2_persona),
                        "\n".join(f"{t.speaker.title()}: {t.text}" for t in c.turns)])
    return path


def test_quality_compares_the_run_with_a_real_csv_and_pairs_the_same_users(tmp_path, sample_valid, sample_test):
    real = write_real_csv(tmp_path / "held_out_real.csv", sample_test[:12])
    on_real_pairs = [Conversation(r.user1_persona, r.user2_persona, v.turns) for r, v in zip(sample_test[:8], sample_valid)]
    run = make_run(tmp_path / "run", on_real_pairs + sample_valid[40:48], iterations=2)
    out = tmp_path / "eval"
    rc = main(["eval", "quality", "--out", str(out), "--dataset", f"real={real}", "--dataset", f"generated={run}",
               "--real", "real", "--synthetic", "generated", "--set", "eval_quality.faithfulness_sample=4"])
    assert rc == 0
    q = json.loads((out / "quality.json").read_text())
    assert "not_run" not in q["datasets"]["real"] and q["datasets"]["real"]["source"] == str(real)
    det = q["detection"]
    assert det["real"] == "real" and det["real_source"] == str(real)
    assert det["pairing"][SAME_USERS] == 4  # the 8 matched user pairs: half fit the classifier, half are judged
    md = (out / "quality.md").read_text()
    assert "same users" in md and "stand" not in md.split("### AI-detection test")[1]


def test_the_packaged_sample_as_the_real_side_is_named_a_stand_in():
    det = {"judge": {"kind": "classifier", "model": "tf-idf"}, "real": "real", "real_source": "spc-sample:test",
           "synthetic": "generated", "pairs": 0, "losing_rate": None, "by_iteration": {}}
    assert "standing in for held-out real conversations" in detection_markdown(det)
    assert "standing in" not in detection_markdown({**det, "real_source": "/data/persona_chat_test.csv"})
