"""Intervals that cover the truth, paired tests that detect a real gap, guards that fire (no models)."""

import math
from statistics import NormalDist

import numpy as np
import pytest

from synthetic_persona_chat.eval import stats as S


def _clustered_draw(rng, p_true, conversations=60):
    """Conversations with their own success rate around p_true (correlated items), 4-14 items each."""
    values, groups = [], []
    for c in range(conversations):
        p_c = np.clip(rng.normal(p_true, 0.15), 0, 1)
        n = rng.integers(4, 15)
        values += list((rng.random(n) < p_c).astype(float))
        groups += [c] * n
    return values, groups


def test_cluster_bootstrap_covers_the_true_rate_about_95_percent():
    # the true rate of the generating process: mean of clip(N(0.3, 0.15), 0, 1), measured on 10^6 samples
    rng = np.random.default_rng(12345)
    p_true = float(np.clip(rng.normal(0.3, 0.15, 1_000_000), 0, 1).mean())
    covered = 0
    for seed in range(200):
        values, groups = _clustered_draw(np.random.default_rng(seed), 0.3)
        est = S.estimate(values, groups, "utterances", seed=seed, n_boot=1000)
        covered += est["ci"][0] <= p_true <= est["ci"][1]
    assert 0.90 <= covered / 200 <= 0.99, covered


def test_item_level_bootstrap_would_be_too_narrow():
    """The reason for clustering: treating correlated items as independent undercovers."""
    rng = np.random.default_rng(12345)
    p_true = float(np.clip(rng.normal(0.3, 0.15, 1_000_000), 0, 1).mean())
    covered_items = 0
    for seed in range(200):
        values, _ = _clustered_draw(np.random.default_rng(seed), 0.3)
        est = S.estimate(values, list(range(len(values))), "utterances", seed=seed, n_boot=1000)
        covered_items += est["ci"][0] <= p_true <= est["ci"][1]
    assert covered_items / 200 < 0.90


def test_wilson_covers_about_95_percent_with_few_trials():
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        k = int((rng.random(12) < 0.2).sum())
        lo, hi = S.wilson(k, 12)
        covered += lo <= 0.2 <= hi
    assert 0.90 <= covered / 200 <= 1.0


def test_wilson_known_values_and_edges():
    lo, hi = S.wilson(0, 3)  # 0 of 3: the interval still reaches up to 0.56
    assert lo == 0.0 and hi == pytest.approx(0.5615, abs=1e-3)
    lo, hi = S.wilson(50, 100)
    assert (lo, hi) == pytest.approx((0.4038, 0.5962), abs=1e-3)
    assert all(math.isnan(x) for x in S.wilson(0, 0))


def test_guard_fires_on_three_pairs():
    est = S.proportion(0.0, 3, "pairs")
    assert "too few pairs: 3" in est["flags"]
    assert S.fmt(est).startswith("0.000 [0.000, 0.561] ⚠ too few pairs: 3")
    many = S.proportion(40, 400, "pairs")
    assert many["flags"] == []


def test_wide_interval_is_flagged():
    est = S.estimate([1, 1, 1, 0, 0, 0] * 6, [i // 3 for i in range(36)], "utterances", seed=0)
    assert any(f.startswith("wide interval") for f in est["flags"])
    assert "too few conversations: 12" not in est["flags"]  # 12 conversations is enough


def test_paired_test_detects_a_real_gap_and_not_a_null_one():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 10)
    a = (rng.random(400) < 0.6).astype(float)
    b = (rng.random(400) < 0.35).astype(float)
    res = S.paired_test(a, b, groups, seed=1)
    assert res["p_value"] < 0.01 and res["ci"][0] > 0
    same = S.paired_test(a, a[::-1].copy(), groups, seed=1)
    assert same["p_value"] > 0.05 or same["ci"][0] <= 0 <= same["ci"][1]
    identical = S.paired_test(a, a, groups, seed=1)
    assert identical["diff"] == 0 and identical["p_value"] == 1.0
    with pytest.raises(ValueError):
        S.paired_test(a, b[:-1], groups)


def test_difference_of_two_datasets():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(50), 8)
    hi = S.estimate((rng.random(400) < 0.5).astype(float), g, "utterances", seed=0)
    lo = S.estimate((rng.random(400) < 0.2).astype(float), g, "utterances", seed=0)
    d = S.difference(hi, lo, seed=0)
    assert d["value"] == pytest.approx(hi["value"] - lo["value"])
    assert d["ci"][0] < d["value"] < d["ci"][1] and d["excludes_zero"]
    assert not S.difference(hi, hi, seed=0)["excludes_zero"]


def test_fmt_without_a_number_or_interval():
    assert S.fmt(None) == "—"
    assert S.fmt({"value": 0.5, "ci": [math.nan, math.nan], "flags": ["too few conversations: 1"]}) == \
        "0.500 [no interval] ⚠ too few conversations: 1"


def test_a_zero_rate_still_gets_an_honest_interval():
    """20 checked utterances, none contradicting: the bootstrap collapses to [0, 0], Wilson does not."""
    est = S.estimate([0.0] * 20, [i // 5 for i in range(20)], "utterances", seed=0)
    assert est["value"] == 0.0 and est["ci"][0] == 0.0 and est["ci"][1] == pytest.approx(S.wilson(0, 20)[1])
    assert "too few utterances: 20" in est["flags"] and "Wilson" in est["method"]
    lengths = S.estimate([3.0, 5.0, 9.0, 4.0], [0, 0, 1, 2], "utterances", max_width=None)
    assert "Wilson" not in lengths["method"] and not any(f.startswith("wide") for f in lengths["flags"])


def test_difference_keeps_a_width_when_one_rate_is_zero():
    zero = S.estimate([0.0] * 27, [i // 7 for i in range(27)], "utterances")
    some = S.estimate([1.0] * 5 + [0.0] * 2000, [i // 25 for i in range(2005)], "utterances")
    d = S.difference(zero, some)
    assert d["ci"][0] < d["value"] < 0 < d["ci"][1] and not d["excludes_zero"]
    both = S.difference(zero, zero)
    assert both["ci"][0] < 0 < both["ci"][1]


def _auroc(pos, neg):
    """Mann-Whitney AUROC: share of (positive, negative) pairs ranked right, ties half."""
    diff = np.asarray(pos)[:, None] - np.asarray(neg)[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def test_auroc_interval_covers_the_true_auroc_about_95_percent():
    # scores N(d, 1) vs N(0, 1): the true AUROC is Phi(d / sqrt 2); 33 contradictions vs 66 others, as calibrated
    d = 1.0
    true = NormalDist().cdf(d / math.sqrt(2))
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        lo, hi = S.auroc_interval(_auroc(rng.normal(d, 1, 33), rng.normal(0, 1, 66)), 33, 66)
        covered += lo <= true <= hi
    assert 0.90 <= covered / 200 <= 0.99, covered
    assert S.auroc_interval(0.99, 5, 5)[1] == 1.0 and math.isnan(S.auroc_interval(0.8, 0, 10)[0])


def test_f1_interval_covers_the_true_f1_about_95_percent():
    # confusion-cell probabilities of a checker: tp 0.23, fp 0.16, fn 0.10, tn 0.51 -> true F1 = 2tp/(2tp+fp+fn)
    probs = np.array([0.23, 0.16, 0.10, 0.51])
    true = 2 * probs[0] / (2 * probs[0] + probs[1] + probs[2])
    covered = 0
    for seed in range(200):
        tp, fp, fn, tn = np.random.default_rng(seed).multinomial(99, probs)
        lo, hi = S.f1_interval(tp, fp, fn, tn, seed=seed, n_boot=1000)
        covered += lo <= true <= hi
    assert 0.90 <= covered / 200 <= 0.99, covered
    assert S.f1_interval(1, 0, 0, 0) == (1.0, 1.0)


def test_spread_is_clipped_to_the_figures_range():
    s = S.spread([0.5, 0.9, 1.0], bounds=(0.0, 1.0))
    assert s["ci"][1] == 1.0 and s["ci"][0] < s["mean"] and S.spread([0.5, 0.9, 1.0])["ci"][1] > 1.0
