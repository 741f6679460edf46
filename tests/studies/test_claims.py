"""Claims: the verdict follows the stated rule from the t interval, checked against scipy."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from artifact_lab.studies.claims import RULES, claim, claims_frame
from artifact_lab.viz.claims import claim_sentence, claims_table, claims_texts

values = st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=12)


def _interval(v):
    v = np.asarray(v, dtype=float)
    if v.size < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.975, v.size - 1) * np.std(v, ddof=1) / math.sqrt(v.size)
    return v.mean() - half, v.mean() + half


@given(values, st.sampled_from(list(RULES)), st.floats(-2, 2), st.floats(0.01, 2))
def test_the_verdict_follows_the_rule_from_scipys_interval(v, rule, threshold, margin):
    c = claim("x", "a claim", v, statistic="x", rule=rule, threshold=threshold, margin=margin)
    lo, hi = _interval(v)
    if np.isnan(lo):  # one seed: no interval
        assert c.verdict == "unresolved"
        return
    assert c.low == pytest.approx(lo, abs=1e-9) and c.high == pytest.approx(hi, abs=1e-9)
    if rule == "above":
        want = "holds" if lo > threshold else "does not hold" if hi < threshold else "unresolved"
    elif rule == "below":
        want = "holds" if hi < threshold else "does not hold" if lo > threshold else "unresolved"
    else:
        a, b = threshold - margin, threshold + margin
        want = "holds" if a < lo and hi < b else (
            "does not hold" if hi < a or lo > b else "unresolved"
        )  # fmt: skip
    assert c.verdict == want


@given(st.lists(st.floats(0.1, 3), min_size=3, max_size=8), st.floats(0.05, 1))
def test_seeds_needed_would_decide_the_claim_at_the_same_spread(v, shift):
    v = np.asarray(v) - np.mean(v) + shift  # mean ``shift`` above the threshold 0
    c = claim("x", "a claim", v, statistic="x")
    if c.verdict != "unresolved":
        return
    assert c.needed is not None and c.needed > len(v)
    n = c.needed  # n seeds with the same mean and standard deviation decide it
    sd = np.std(v, ddof=1)
    assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) < shift
    assert stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) >= shift * 0.999 or n - 1 <= len(v)


def test_a_paired_difference_cancels_what_both_methods_share():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 10, 8)  # seed-to-seed spread far above the effect
    a, b = common + 0.5, common
    assert claim("p", "a beats b", a, minus=b, statistic="a - b").verdict == "holds"
    assert claim("u", "a beats b", a - b.mean(), statistic="a").verdict == "unresolved"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"values": [1.0, float("nan")]}, ValueError),
        ({"values": []}, ValueError),
        ({"values": [1.0], "rule": "bogus"}, ValueError),
        ({"values": [1.0], "rule": "within"}, ValueError),  # no margin
        ({"values": [1.0, 2.0], "minus": [1.0]}, ValueError),
        ({"values": "1.0"}, TypeError),
    ],
)
def test_bad_claims_are_refused(kwargs, error):
    with pytest.raises(error):
        claim("x", "a claim", statistic="x", **kwargs)


def test_sentences_quote_the_tables_strings():
    cs = [
        claim("a", "the fix lowers the score", [0.31, 0.29, 0.35], statistic="drop"),
        claim("b", "it costs no quality", [0.1, -0.3, 0.2], statistic="dB", rule="within",
              margin=0.5),
    ]  # fmt: skip
    texts = claims_texts(cs)
    rendered = claims_table(cs).frame
    for i, r in enumerate(texts.itertuples(index=False)):
        sentence = claim_sentence(cs, r.id)
        assert r.estimate in sentence and r.verdict in sentence and r.ci in sentence
        row = rendered.iloc[i]
        assert row["mean"] == r.estimate and row["95% CI"] == r.ci
        assert row["verdict, by the rule"].startswith(f"{r.verdict} — rule: {r.rule}")
    with pytest.raises(ValueError, match="unique"):
        claims_frame(cs + cs[:1])


@given(
    st.lists(st.floats(0.01, 100), min_size=2, max_size=12),
    st.sampled_from(["above", "below"]),
    st.floats(0.05, 20),
)
def test_a_log_scale_claim_is_the_t_interval_of_the_logs(v, rule, threshold):
    c = claim("r", "a ratio", v, statistic="ratio", rule=rule, threshold=threshold, scale="log")
    lo, hi = _interval(np.log(v))
    assert c.estimate == pytest.approx(stats.gmean(v), rel=1e-9)
    assert c.low == pytest.approx(math.exp(lo), rel=1e-9)
    assert c.high == pytest.approx(math.exp(hi), rel=1e-9)
    t = math.log(threshold)
    if rule == "above":
        want = "holds" if lo > t else "does not hold" if hi < t else "unresolved"
    else:
        want = "holds" if hi < t else "does not hold" if lo > t else "unresolved"
    assert c.verdict == want and "geometric mean" in c.rule


def test_a_paired_ratio_divides_and_bad_log_claims_are_refused():
    a, b = np.array([2.0, 4.0, 8.0]), np.array([1.0, 2.0, 4.0])
    c = claim("r", "a is twice b", a, minus=b, statistic="a / b", threshold=1, scale="log")
    assert c.estimate == pytest.approx(2.0) and c.low == pytest.approx(2.0)
    assert c.verdict == "holds"
    with pytest.raises(ValueError, match="above 0"):
        claim("r", "x", [1.0, -1.0], statistic="x", threshold=1, scale="log")
    with pytest.raises(ValueError, match="threshold above 0"):
        claim("r", "x", [1.0, 2.0], statistic="x", threshold=0, scale="log")
    with pytest.raises(ValueError, match="within"):
        claim("r", "x", [1.0, 2.0], statistic="x", rule="within", margin=1, scale="log")
    with pytest.raises(ValueError, match="scale"):
        claim("r", "x", [1.0, 2.0], statistic="x", scale="sqrt")


def test_an_unresolved_sentence_says_once_what_would_decide_it():
    c = claim("u", "a small effect", [0.1, -0.05, 0.2, 0.0], statistic="d")
    sentence = claim_sentence([c], "u")
    assert c.verdict == "unresolved" and sentence.count("would decide it") == 1
    assert f"about {c.needed} seeds would decide it" in sentence
