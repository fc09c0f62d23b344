"""The target-count driver (generation/retry.py): pairs without a winner are asked again, every end recorded."""

import re
from collections import Counter

import pyarrow.parquet as pq

from synthetic_persona_chat.generation.iterate import run_conversations
from synthetic_persona_chat.generation.retry import Budget, outcome_summary, redraw_job, run_with_retries

from .helpers import GOOD, config_dict, make_ctx, scripted, spc_pairs, write_pairs

SEEDS = [{"id": f"s{i}", "text": f"User 1: seed {i}\nUser 2: ok"} for i in range(8)]


def job(pair: str) -> dict:
    return {"job_id": f"job-{pair}", "pair_id": pair, "iteration": 0, "user1_id": None, "user2_id": None,
            "user1_persona": ["I sing."], "user2_persona": ["I swim."], "similarity": None,
            "fewshot_ids": ["s0", "s1"], "fewshot_texts": ["a", "b"]}


def fake_round(winning: dict[str, int], calls: list):
    """A round where pair P wins from attempt winning[P] on (never when absent); records the jobs it saw."""
    def run_round(jobs, suffix):
        calls.append((suffix, [j["pair_id"] for j in jobs]))
        attempt = int(suffix.rsplit("-", 1)[1]) + 1 if suffix else 1
        rows = [{"job_id": j["job_id"], "pair_id": j["pair_id"], "candidate_id": f"{j['job_id']}:0",
                 "selected": attempt >= winning.get(j["pair_id"], 99),
                 "verdicts": [{"expert": "expression", "passed": attempt >= winning.get(j["pair_id"], 99)}]}
                for j in jobs]
        return rows, [{"jobs": len(jobs)}]
    return run_round


def redraw(j, attempt):
    return redraw_job(j, attempt, pool=[], seeds=SEEDS, k=2, seed=0)


def test_failed_pairs_are_retried_with_a_new_draw_until_they_win_or_the_budget_ends():
    calls = []
    rows, metas, ended = run_with_retries(fake_round({"a": 1, "b": 2}, calls), [job("a"), job("b"), job("c")],
                                          Budget(retries=2, fewshot=2), redraw)
    assert calls == [("", ["a", "b", "c"]), ("-retry-1", ["b", "c"]), ("-retry-2", ["c"])]
    assert len(metas) == 3 and len({r["job_id"] for r in rows}) == 6  # a retry is a job of its own
    by_pair = {o["pair_id"]: o for o in ended}
    assert by_pair["a"]["reason"].startswith("winner at attempt 1") and by_pair["b"]["attempts"] == 2
    assert by_pair["c"] == {"pair_id": "c", "iteration": 0, "attempts": 3, "winner": False,
                            "reason": "no surviving candidate in 3 attempt(s) (3 by expression); "
                                      "stopped: retry budget of 2 spent"}
    assert outcome_summary(ended).to_json() == {"pairs": 3, "won_first_attempt": 1, "won_after_retry": 1, "no_winner": 1,
                                      "attempts": 6}


def test_retrying_stops_at_the_target_and_says_so():
    calls = []
    _, _, ended = run_with_retries(fake_round({"a": 1}, calls), [job("a"), job("b")], Budget(2, target=3, fewshot=2),
                                   redraw, winners_before=2)
    assert [c[0] for c in calls] == [""]
    assert ended[1]["reason"].endswith("stopped: target of 3 winners reached") and ended[1]["attempts"] == 1


def test_no_retry_when_the_prompt_cannot_change_and_none_when_switched_off():
    for budget, why in ((Budget(2, fewshot=0), "no few-shot examples to redraw"),
                        (Budget(0, fewshot=2), "retries off")):
        calls = []
        _, _, ended = run_with_retries(fake_round({}, calls), [job("a")], budget, redraw)
        assert len(calls) == 1 and why in ended[0]["reason"]


def test_redraw_changes_the_examples_and_the_id_but_not_the_pair():
    first = redraw(job("a"), 1)
    second = redraw(job("a"), 2)
    assert first["pair_id"] == second["pair_id"] == "a" and first["job_id"] != second["job_id"] != "job-a"
    assert first["fewshot_ids"] != second["fewshot_ids"] and len(first["fewshot_texts"]) == 2
    assert redraw(job("a"), 1) == first  # seeded: a resumed run redraws the same


def expressive_second_time():
    """Attempt 1 of each pair says nothing of its personas; a retry (a new prompt) restates them."""
    seen = Counter()

    def generator(chat, i):
        text = chat[-1]["content"]
        p1 = re.search(r"User 1's persona:\n- (.*)", text).group(1)
        p2 = re.search(r"User 2's persona:\n- (.*)", text).group(1)
        seen[(p1, p2)] += i == 0
        if seen[(p1, p2)] == 1:
            return GOOD
        return (f"User 1: Hello there, good to meet you.\nUser 2: Hi! {p2}\nUser 1: Really? {p1}\n"
                f"User 2: That is so interesting, tell me more.\nUser 1: Sure, it has been a big part of my life.\n"
                f"User 2: I can imagine that it takes a lot of time.\n")
    return generator


def test_stage_retries_gated_pairs_and_records_every_outcome(tmp_path):
    pairs = write_pairs(tmp_path / "pairs.parquet", spc_pairs(3))
    data = config_dict(pairs, iterations=1, candidates=2, retries=2)
    data["critic"]["min_expressed_share"] = 0.2  # the default gate, on
    data["critic"]["experts"] = ["structural", "expression", "quality"]
    ctx = make_ctx(tmp_path, data, scripted(generator=expressive_second_time()))
    summary = run_conversations(ctx)
    outcomes = ctx.run.read_records("conversations", "pair_outcomes")
    assert len(outcomes) == 3 and all(o["winner"] and o["attempts"] == 2 for o in outcomes)
    assert summary["pair_outcomes"] == {"pairs": 3, "won_first_attempt": 0, "won_after_retry": 3, "no_winner": 0,
                                        "attempts": 6}
    cands = pq.read_table(ctx.run.path / "conversations" / "candidates.parquet").to_pylist()
    assert len(cands) == 12 and summary["winners"] == 3
    first = [c for c in cands if not c["selected"] and any(v["expert"] == "expression" and v["passed"] is False
                                                             for v in c["verdicts"])]
    assert len(first) == 6  # every first-attempt candidate was dropped by the gate, with its reason kept
    assert list((ctx.run.path / "conversations").glob("iter-*-retry-1"))  # a retry round checkpoints apart
    ctx.close()
    ctx = make_ctx(tmp_path, data, scripted(generator=lambda c, i: "unused"))
    assert run_conversations(ctx)["pair_outcomes"] == summary["pair_outcomes"]  # done: resumes to the same
