"""check_layer: the one-call answer, checked against the audit, the decision table, torch and
the definitions (taps per phase counted one by one), over every geometry torch accepts."""

import math
import re

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import artifact_lab as al
from artifact_lab.atlas.decision import decision_table
from artifact_lab.models.advice import FLAG, check_layer, parse_layer, score_db
from artifact_lab.models.audit import audit
from artifact_lab.models.severity import BANDS, band

CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


@st.composite
def layers(draw, max_nd=2):
    """A ConvTranspose torch accepts: any padding, output padding, dilation and groups."""
    nd = draw(st.integers(1, max_nd))
    k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    op = tuple(draw(st.integers(0, max(sa, da) - 1)) for sa, da in zip(s, d))
    p = tuple(draw(st.integers(0, da * (ka - 1))) for ka, da in zip(k, d))
    groups = draw(st.sampled_from([1, 2]))
    seed = draw(st.integers(0, 2**16))
    torch.manual_seed(seed)
    layer = CONV_T[nd](2, 2 * draw(st.integers(1, 2)), k, s, p, op, groups, True, d).double()
    if draw(st.booleans()):  # a clean layer now and then: the unflagged branch
        with torch.no_grad():
            if all(ka >= sa and math.gcd(sa, da) == 1 for ka, sa, da in zip(k, s, d)):
                kern = al.decision.clean_kernel(k, s, d, ndim=nd)
                layer.weight.copy_(torch.from_numpy(kern).expand_as(layer.weight))
    return layer


def _taps_per_phase(k, s, d, p):
    """Count the taps landing on each output phase, one tap at a time (the definition)."""
    counts = np.zeros(s, dtype=int)
    for j in np.ndindex(*k):
        counts[tuple((ja * da - pa) % sa for ja, sa, da, pa in zip(j, s, d, p))] += 1
    return counts


def _out_size(layer, n):
    x = torch.zeros(1, layer.in_channels, *n, dtype=layer.weight.dtype)
    return tuple(layer(x).shape[2:])


@given(layers())
def test_the_answer_agrees_with_the_audit_torch_and_the_definitions(layer):
    check = check_layer(layer)
    nd = len(layer.kernel_size)
    # the same numbers as the audit of a model made of this one layer
    shape = (1, 2, *(2 * pa + 2 for pa in layer.padding))  # an input torch accepts
    finding = audit(nn.Sequential(layer), shape, measure=False).layers[0]
    assert check.checkerboard_score == pytest.approx(finding.checkerboard_score, abs=1e-12)
    assert check.noise_checkerboard == pytest.approx(finding.noise_checkerboard, abs=1e-12)
    assert check.overlap_contrast == pytest.approx(finding.overlap_contrast)
    assert check.flagged == finding.flagged
    assert check.severity == ("none" if check.zero_gain else band(check.checkerboard_score))
    assert check.flagged == (check.overlap == "holes" or check.severity in FLAG)
    # taps per phase counted by definition
    counts = _taps_per_phase(layer.kernel_size, layer.stride, layer.dilation, layer.padding)
    np.testing.assert_array_equal(check.phase_counts, counts)
    verdict = "holes" if counts.min() == 0 else "even" if counts.min() == counts.max() else "uneven"
    assert check.overlap == verdict
    assert check.overlap_contrast == pytest.approx((counts.max() - counts.min()) / counts.mean())
    assert check.clean_init_exists == bool(counts.min() > 0)
    assert check.ndim == nd and f"({nd}-D" in str(check)
    # the clean kernel scores 0 with every phase gain 1
    if check.clean_kernel is not None:
        gains = al.phase_gains(check.clean_kernel, layer.stride, layer.dilation)
        np.testing.assert_allclose(gains, 1.0, atol=1e-12)
    # every suggested geometry builds in torch, has even overlap and keeps the output size
    for line in check.instead:
        code = re.match(r"(nn\.ConvTranspose\dd\(.*?\)): k % s", line)
        if code is None:
            continue
        new = parse_layer(code.group(1).replace("(in, out,", "(2, 2,")).double()
        assert all(ka % sa == 0 for ka, sa in zip(new.kernel_size, new.stride)), line
        for n in [(1,) * nd, (4,) * nd, (7,) * nd]:
            clone = CONV_T[nd](2, 2, new.kernel_size, new.stride, new.padding, new.output_padding)
            before = CONV_T[nd](2, 2, layer.kernel_size, layer.stride, layer.padding,
                                layer.output_padding, 1, True, layer.dilation)  # fmt: skip
            try:
                expected = _out_size(before, n)
            except RuntimeError:  # an output torch refuses for this n: nothing to keep
                continue
            assert _out_size(clone, n) == expected, (line, n)


def test_the_issue_layer_reads_in_words_with_its_numbers():
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(64, 32, 3, 2, 1, 1)
    check = check_layer(layer)
    ws = al.weight_scores(layer.weight.detach(), 2, ndim=2)
    assert check.checkerboard_score == pytest.approx(ws.checkerboard_score, rel=1e-12)
    text = str(check)
    assert text == repr(check) and text.splitlines()[0] == repr(layer)
    flat = " ".join(text.split())  # the phrases, whatever the line breaks
    db = score_db(ws.checkerboard_score)
    assert f"score {check.checkerboard_score:.3f} ({db:+.1f} dB)" in flat
    assert "Severity strong; flagged from 0.0004 (-34 dB: a pattern of 2% of the mean" in flat
    assert "10 log10(score / (1 - score))" in flat
    assert "overlap (2-D, 3x3 taps on 2x2 phases): uneven" in flat
    assert "contrast 1.333" in flat and al.overlap_contrast(3, 2, ndim=2) == pytest.approx(4 / 3)
    assert "al.nn.from_module(layer)" in flat and "al.decision.clean_kernel(3, 2, ndim=2)" in flat
    assert "nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)" in flat  # same output size
    assert max(len(line) for line in text.splitlines()[1:]) <= 100
    frame = check.to_frame()
    assert list(frame.columns) == ["quantity", "value", "meaning"]
    assert frame.set_index("quantity").value["checkerboard_score"] == check.checkerboard_score


@pytest.mark.parametrize("k, s, d", [(3, 2, 1), (4, 2, 1), (4, 2, 2), (1, 2, 1), (5, 3, 1)])
def test_a_geometry_reads_as_in_the_decision_table(k, s, d):
    row = decision_table([k], [s], [d], ndim=2, seeds=range(30)).iloc[0]
    check = check_layer(kernel_size=k, stride=s, dilation=d)  # 2-D, like the table
    assert check.ndim == 2 and check.overlap == row.verdict
    assert check.checkerboard_score == pytest.approx(row.default_score, rel=1e-9, abs=1e-15)
    assert check.score_range == pytest.approx((row.default_min, row.default_max))
    assert check.overlap_contrast == pytest.approx(row.overlap_contrast)
    assert check.clean_init_exists == row.clean_init_exists
    assert check.advice == row.recommendation


def test_a_weight_or_a_single_kernel_is_scored_as_given():
    kern = al.kernels.bilinear(2, ndim=2)
    check = check_layer(weight=kern, stride=2, ndim=2)
    assert not check.flagged and check.checkerboard_score == 0 and check.instead == ()
    assert check.checkerboard_db == -math.inf and "fine: no checkerboard" in check.verdict
    w = np.random.default_rng(0).normal(size=(3, 2, 3))
    check = check_layer(weight=w, stride=2)
    assert check.ndim == 1
    assert check.checkerboard_score == al.weight_scores(w, 2).checkerboard_score
    tent = al.decision.clean_kernel(3, 2, ndim=1)  # clean, but the overlap is uneven
    check = check_layer(weight=tent, stride=2, ndim=1)
    assert not check.flagged and check.overlap == "uneven"
    assert check.instead[0].startswith("al.nn.from_module")  # keeps it clean while training


def test_score_db_is_the_harmonic_to_mean_power_ratio():
    for score in (1e-9, 1e-6, 0.1, 0.5, 0.9):
        assert 10 ** (score_db(score) / 10) == pytest.approx(score / (1 - score))
    assert score_db(0) == -math.inf and score_db(1) == math.inf and math.isnan(score_db(math.nan))
    assert score_db(BANDS["visible"]) == pytest.approx(-34, abs=0.05)


def test_parse_layer_builds_only_conv_transposes_from_literals_and_keeps_the_rng():
    state = torch.random.get_rng_state()
    for text in ("ConvTranspose2d(4, 2, 3, 2)", "nn.ConvTranspose2d(4, 2, 3, stride=2)",
                 "torch.nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2)"):  # fmt: skip
        layer = parse_layer(text)
        assert isinstance(layer, nn.ConvTranspose2d) and layer.stride == (2, 2)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.equal(parse_layer(text).weight, layer.weight)  # seed 0: reproducible
    for bad, needle in [
        ("Conv2d(4, 2, 3)", "must build one of"),
        ("__import__('os').system('true')", "must build one of"),
        ("ConvTranspose2d(n, 2, 3)", "literal"),
        ("ConvTranspose2d(4, 2, 3, colour=1)", "unknown arguments"),
        ("ConvTranspose2d(4, 2, 0)", "kernel_size"),
        ("ConvTranspose2d(4, 3, 3, groups=2)", "torch refuses"),
        ("ConvTranspose2d(4, 2, 3, padding='same')", "padding"),
        ("ConvTranspose2d(4, 2", "not a line of code"),
    ]:
        with pytest.raises(ValueError, match=needle):
            parse_layer(bad)
    with pytest.raises(TypeError):
        parse_layer(5)


@pytest.mark.parametrize(
    "kwargs, error, needle",
    [
        (dict(layer=nn.Conv2d(2, 2, 3, 2)), TypeError, "direction='backward'"),
        (dict(layer=nn.ConvTranspose2d(2, 2, 3), stride=2), TypeError, "not both"),
        (dict(kernel_size=3), TypeError, "kernel_size and stride"),
        (dict(weight=np.ones((1, 1, 3))), TypeError, "stride"),
        (dict(kernel_size=3, stride=0), ValueError, "stride"),
        (dict(kernel_size=3, stride=2, ndim=4), ValueError, "ndim"),
        (dict(kernel_size=3, stride=2, seeds=[]), ValueError, "seeds"),
        (dict(kernel_size=3, stride=2, channels=(0, 1)), ValueError, "channels"),
        (dict(weight=np.ones((1, 1, 3)), stride=2, kernel_size=4), ValueError, "disagrees"),
        (dict(weight=np.full((1, 1, 3), np.nan), stride=2), ValueError, "NaN"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(kwargs, error, needle):
    with pytest.raises(error, match=re.escape(needle)):
        check_layer(**kwargs)


def test_a_meta_layer_is_refused():
    layer = nn.ConvTranspose2d(2, 2, 3, 2, device="meta")
    with pytest.raises(ValueError, match="meta"):
        check_layer(layer)


def test_the_whole_layer_score_depends_on_the_channels():
    one = check_layer(kernel_size=3, stride=2, seeds=range(4))
    many = check_layer(kernel_size=3, stride=2, channels=(16, 8), seeds=range(4))
    w = al.kernels.default_weight(16, 8, 3, ndim=2, seed=2)
    assert many.score_range[0] <= al.weight_scores(w, 2).checkerboard_score <= many.score_range[1]
    assert "16 -> 8 channels" in many.weights and one.weights.endswith("mean of 4 seeds")
