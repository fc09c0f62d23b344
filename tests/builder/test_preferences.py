"""The `preferences` config: DPO rows from the Critic's position-consistent pairwise votes, loaded by stock
`load_dataset` and run through TRL's documented preprocessing (`maybe_apply_chat_template`) and its
`DataCollatorForPreference`."""

from __future__ import annotations

import datasets
import pytest

from synthetic_persona_chat.builder.export import export
from synthetic_persona_chat.builder.preferences import preference_rows
from synthetic_persona_chat.row_contracts import Verdict

from .conftest import make_run


def comparison(quality: str, a: int, b: int, choice: int | None, consistent: bool = True) -> dict:
    return Verdict(f"quality:{quality}", choice=choice if consistent else None, compared=[a, b],
                   consistent=consistent, reason="both orders chose").to_row()


def candidates(job: str, convs, verdicts: list[dict], winner: int, passed=None) -> list[dict]:
    """One job's candidate rows, shaped as `conversations/candidates.parquet` holds them."""
    passed = passed or [True] * len(convs)
    return [{"candidate_id": f"{job}-c{i}", "job_id": job, "pair_id": f"pair-{job}", "iteration": 1,
             "candidate_index": i, "user1_persona": list(c.user1_persona), "user2_persona": list(c.user2_persona),
             "turns": [{"speaker": t.speaker, "text": t.text} for t in c.turns], "passed": passed[i],
             "selected": i == winner, "votes": 0,
             "verdicts": verdicts + [Verdict("vote", choice=winner, reason="3 of 5 quality picks").to_row()]}
            for i, c in enumerate(convs)]


@pytest.fixture(scope="module")
def spc_convs(sample_test):
    return sample_test[:12]


def test_a_winner_against_each_candidate_it_beat_with_experts_and_margin(spc_convs):
    votes = [comparison("depth", 0, 1, 1), comparison("coherency", 1, 0, 1), comparison("likability", 0, 1, 0),
             comparison("depth", 1, 2, 1), comparison("coherency", 1, 2, 2),  # a tie: no preference
             comparison("depth", 0, 2, 0),  # two losers compared: not about the winner
             comparison("diversity", 1, 3, None, consistent=False)]  # position bias: no vote
    rows = list(preference_rows(candidates("j", spc_convs[:4], votes, winner=1)))
    assert [(r["id"], r["experts"], r["margin"]) for r in rows] == [("j-c1>j-c0", ["coherency", "depth"], 1)]
    row = rows[0]
    assert row["prompt"][0]["role"] == "user" and "User 1's persona:" in row["prompt"][0]["content"]
    assert row["chosen"][0]["content"].startswith("User 1: ") and row["chosen"] != row["rejected"]


def test_a_job_without_a_winner_or_with_one_survivor_gives_no_row(spc_convs):
    assert not list(preference_rows(candidates("a", spc_convs[:2], [], winner=-1)))
    only = [Verdict("quality:depth", choice=0, reason="only surviving candidate").to_row()]
    assert not list(preference_rows(candidates("b", spc_convs[:2], only, winner=0, passed=[True, False])))


def test_a_winner_against_candidates_a_filter_dropped_when_no_vote_is_consistent(spc_convs):
    """A 135M judge is never position-consistent: the filters' votes still make honest rows."""
    votes = [comparison("depth", 0, 2, None, consistent=False)]
    rows = candidates("f", spc_convs[:4], votes, winner=0, passed=[True, False, True, False])
    rows[1]["verdicts"] += [Verdict("faithfulness", passed=False, score=0.97, reason="contradiction").to_row(),
                            Verdict("toxicity", passed=False, score=0.9, reason="toxic").to_row()]
    rows[3]["verdicts"] += [Verdict("parser", passed=False, reason="no lines").to_row()]
    rows[3]["turns"] = []  # the parser read nothing: no conversation to reject
    out = list(preference_rows(rows))
    assert [(r["id"], r["experts"], r["margin"]) for r in out] == [("f-c0>f-c1", ["faithfulness", "toxicity"], 2)]


def test_stock_load_then_trl_preprocessing_and_dpo_collator(tmp_path, spc_convs):
    trl = pytest.importorskip("trl", reason="TRL is in the dev extra")
    from transformers import AutoTokenizer
    from trl.data_utils import maybe_apply_chat_template
    from trl.trainer.dpo_trainer import DataCollatorForPreference

    from synthetic_persona_chat.models.bundled import smollm2_gguf

    run = make_run(tmp_path / "run", n=12, done=False)
    rows = []
    for k in range(3):
        convs = spc_convs[3 * k:3 * k + 3]
        rows += candidates(f"j{k}", convs, [comparison("depth", 0, 1, 0), comparison("depth", 0, 2, 0),
                                            comparison("coherency", 0, 2, 0)], winner=0)
    run.write_records("conversations", "candidates", rows)
    run.mark_done("conversations", {"conversations": 12})
    out = tmp_path / "export"
    result = export(run.path, out, configs=("full", "preferences"))
    assert result.rows["preferences"] == {"train": 6}
    ds = datasets.load_dataset(str(out), "preferences", cache_dir=str(tmp_path / "c"))["train"]
    assert ds[1]["experts"] == ["coherency", "depth"] and ds[1]["margin"] == 2

    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    texts = ds.map(maybe_apply_chat_template, fn_kwargs={"processing_class": tok})
    assert texts[0]["prompt"].startswith("<|im_start|>") and texts[0]["prompt"].endswith("<|im_start|>assistant\n")
    assert texts[0]["chosen"].lstrip().startswith("User 1: ")
    examples = [{"prompt_ids": tok(t["prompt"], add_special_tokens=False)["input_ids"],
                 "chosen_ids": tok(t["chosen"], add_special_tokens=False)["input_ids"],
                 "rejected_ids": tok(t["rejected"], add_special_tokens=False)["input_ids"]} for t in texts]
    batch = DataCollatorForPreference(pad_token_id=tok.pad_token_id or 0)(examples)
    assert batch["input_ids"].shape[0] == 2 * len(examples) and int(batch["completion_mask"].sum()) > 0
    assert trl.__version__


def test_the_release_has_no_votes_and_says_so(spc_test_only, tmp_path):
    result = export(spc_test_only, tmp_path / "out", configs=("full", "preferences"))
    assert "preferences" not in result.rows
    assert "holds no Critic votes" in result.skipped_configs["preferences"]
