"""The rehearsal's bookkeeping on real files: the estimate beside what each stage paid, rows of several runs in
one table, one set of fits per contradiction checker."""

import json

from benchmarks.paper_scale import estimate_check, fits_per_checker, merged


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def usage(calls, prompt, completion):
    return {"calls": calls, "prompt_tokens": prompt, "completion_tokens": completion, "cache_hits": 0}


def line(role, calls, prompt, completion):
    return {"role": role, "calls": calls, "requests": calls, "prompt_tokens": prompt, "completion_tokens": completion}


def test_estimate_check_counts_each_stage_once(tmp_path):
    """The profiles stage reports the process's usage so far (expand's included): its own is the difference."""
    write_json(tmp_path / "estimate.json", {"lines": [
        line("query induction", 10, 100, 10), line("bootstrapping", 30, 300, 30),
        line("profile contradiction judge", 50, 500, 50), line("generator", 20, 2000, 400),
        line("contradiction judge", 200, 2000, 200), line("quality experts", 100, 5000, 100)]})
    write_json(tmp_path / "expand" / "_done.json", {"llm_usage": usage(20, 150, 20)})
    write_json(tmp_path / "profiles" / "_done.json", {"summary": {"llm_usage": usage(70, 650, 70)}})
    write_json(tmp_path / "conversations" / "_done.json", {"tokens_per_stage": {
        "generate": usage(30, 3000, 800), "critic": usage(100, 1000, 100), "select": usage(25, 1250, 25)}})
    check = estimate_check(tmp_path)
    assert check["expand"]["estimate"] == {"calls": 40, "prompt_tokens": 400, "completion_tokens": 40}
    assert check["profiles"]["paid"] == {"calls": 50, "prompt_tokens": 500, "completion_tokens": 50}
    assert check["generate"]["paid_over_estimate"] == {"calls": 1.5, "prompt_tokens": 1.5, "completion_tokens": 2.0}
    assert check["total"]["paid"]["calls"] == 20 + 50 + 30 + 100 + 25
    assert check["total"]["estimate"]["calls"] == 410
    assert check["select"]["paid_over_estimate"]["calls"] == 0.25


def test_append_keeps_other_rows_and_replaces_a_redone_one(tmp_path):
    path = tmp_path / "paper_scale.json"
    write_json(path, {"rows": [{"size": 40, "wall_s": 1}, {"size": 1000, "nli": "llm-judge", "wall_s": 2}]})
    rows = merged(path, [{"size": 1000, "nli": "llm-judge", "wall_s": 3}, {"size": 1000, "nli": "default", "wall_s": 4}])
    assert [(r["size"], r.get("nli"), r["wall_s"]) for r in rows] == [
        (40, None, 1), (1000, "default", 4), (1000, "llm-judge", 3)]
    assert merged(tmp_path / "absent.json", rows[:1]) == rows[:1]


def test_fits_are_per_checker():
    rows = [{"size": 40, "cpu_s": 30.0}, {"size": 80, "cpu_s": 40.0},
            {"size": 1000, "nli": "llm-judge", "cpu_s": 200.0}, {"size": 5000, "nli": "llm-judge", "cpu_s": 600.0}]
    out = fits_per_checker(rows)
    assert out["default"]["cpu_s"] == {"intercept": 20.0, "per_conversation": 0.25, "r2": 1.0}
    assert out["llm-judge"]["cpu_s"] == {"intercept": 100.0, "per_conversation": 0.1, "r2": 1.0}
