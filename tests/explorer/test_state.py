"""The explorer's state: every number a view shows, against the library and torch.

``explore_state`` is checked for random settings over the whole range torch accepts (every
padding, dilation and family) against the library's functions and torch's
``conv_transpose`` as the oracle; the measurement rule against an FFT written again here;
the size bounds against what they promise (the suggested change fits, one more does not).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import spectral
from artifact_lab.core.kernels import FAMILIES
from artifact_lab.explorer.state import (
    INPUTS,
    MAX_SAMPLES,
    NOTES,
    Layer,
    explore_state,
    input_signal,
    kernel_length,
    measure_crop,
)
from tests.explorer._oracles import EXAMPLES, controls, kernel, measured, torch_output


def _painted(cfg, kern_shape):
    """The overlap map of the first ``step`` input samples, and the last one's reach: torch."""
    nd, n, s, p, op, d = (cfg[x] for x in ("ndim", "input_size", "stride", "padding",
                                            "output_padding", "dilation"))  # fmt: skip
    ones = np.ones(kern_shape)
    step = cfg["paint_step"]
    mask = (np.arange(n**nd) < step).reshape((n,) * nd).astype(float)
    painted = np.rint(torch_output(mask, ones, s, p, op, d)).astype(int)
    delta = np.zeros(n**nd)
    if step:
        delta[step - 1] = 1
    newest = torch_output(delta.reshape((n,) * nd), ones, s, p, op, d) > 0.5
    return painted, newest


@settings(max_examples=EXAMPLES, deadline=None)
@given(controls())
def test_every_number_is_the_librarys(cfg):
    state = explore_state(**cfg)
    names = ("ndim", "stride", "dilation", "padding", "output_padding", "input_size")
    nd, s, d, p, op, n = (cfg[name] for name in names)
    kern = kernel(cfg["family"], cfg["kernel_size"], s, nd, cfg["seed"])
    k = kern.shape[0]
    geom = ((n,) * nd, k, s, p, op, d)
    # overlap view: the closed form, and torch's conv_transpose of ones by ones
    np.testing.assert_array_equal(state.overlap, al.overlap_map(*geom))
    np.testing.assert_array_equal(state.overlap, al.overlap_map(*geom, method="torch"))
    np.testing.assert_array_equal(state.interior, al.interior_mask(*geom))
    np.testing.assert_array_equal(state.phase_counts, al.phase_counts(k, s, d, p, ndim=nd))
    # painting: the first paint_step input samples, row by row
    if cfg["paint_step"] is None:
        np.testing.assert_array_equal(state.painted, state.overlap)
        assert not state.newest.any() and state.paint_step == state.pixels == n**nd
    else:
        painted, newest = _painted(cfg, kern.shape)
        np.testing.assert_array_equal(state.painted, painted)
        if cfg["paint_step"] < n**nd:
            np.testing.assert_array_equal(state.newest, newest)
    # phase gains and the closed forms
    np.testing.assert_array_equal(state.kernel, kern)
    np.testing.assert_allclose(state.phase_gains, al.phase_gains(kern, s, d, p), atol=0)
    np.testing.assert_allclose(state.noise_gains, al.noise_gains(kern, s, d, p), atol=0)
    assert state.checkerboard_score == al.checkerboard_score(kern, s, d, p)
    assert state.noise_checkerboard == al.noise_checkerboard(kern, s, d, p)
    assert state.overlap_contrast == al.overlap_contrast(k, s, d, p, ndim=nd)
    assert state.holes == al.has_holes(k, s, d, ndim=nd)
    # the output: torch is the oracle; its colour scale is the padding-0 output's range
    x = input_signal(cfg["input_kind"], n, nd)
    np.testing.assert_array_equal(state.signal, x)
    y = torch_output(x, kern, s, p, op, d)
    np.testing.assert_allclose(state.output, y, rtol=0, atol=1e-12)
    full = torch_output(x, kern, s, 0, 0, d)
    assert state.output_range == pytest.approx((full.min(), full.max()), abs=1e-12)
    if cfg["input_kind"] == "constant" and state.interior.any():
        idx = np.nonzero(state.interior)  # a constant 1's interior output is the gains
        np.testing.assert_allclose(
            state.output[idx], state.phase_gains[tuple(i % s for i in idx)], atol=1e-9
        )
    # measured on the interior crop at padding 0, with the rounding rule
    try:
        crop = spectral.interior_crop(full, (n,) * nd, k, s, 0, 0, d)
    except ValueError:
        assert state.crop is None and state.spectrum is None
        assert math.isnan(state.harmonic_fraction) and math.isnan(state.peak_db)
        assert "no_crop" in dict(state.notes)
    else:
        np.testing.assert_allclose(state.crop, crop, atol=1e-12)
        scale = np.abs(x).max() * np.abs(kern).sum()
        frac, db = measured(crop, s, scale)
        assert state.harmonic_fraction == pytest.approx(frac, abs=1e-12)
        assert state.peak_db == pytest.approx(db, abs=1e-9) or state.peak_db == db
        lib_frac, lib_db = spectral.harmonic_stats(crop, (s,) * nd)
        if frac:  # the library's own numbers, where rounding is not all there is
            assert frac == pytest.approx(lib_frac, abs=1e-12)
        if math.isfinite(db):
            assert db == pytest.approx(lib_db, abs=0.01)
        np.testing.assert_allclose(state.spectrum, spectral.power_spectrum(crop, ndim=nd))
        if cfg["input_kind"] == "constant" and not state.zero_gain:
            assert state.harmonic_fraction == pytest.approx(state.checkerboard_score, abs=1e-9)
    # the size formula
    terms = al.output_size_terms(n, k, s, p, op, d)[0]
    assert state.size_terms == (terms,)
    assert state.output_size == (al.output_size(n, k, s, p, op, d),) * nd == y.shape
    assert state.formula[0].endswith(f"= {terms['size']}")
    _check_notes(state, cfg, k)


def _check_notes(state, cfg, k):
    """Each note is said exactly when its condition holds (conditions computed here)."""
    notes = dict(state.notes)
    s, d, p, n = cfg["stride"], cfg["dilation"], cfg["padding"], cfg["input_size"]
    inside = int(state.interior.sum())
    expect = {
        "empty_interior": inside == 0,
        "border": 0 < inside < state.output.size,
        "cut": inside > 0 and p > d * (k - 1),
        "holes": al.has_holes(k, s, d),
        "zero_gain": not np.any(state.phase_gains),
        "fixed_k": cfg["family"] in ("bilinear", "hold"),
        "no_crop": state.crop is None,
        "exact_zero": state.peak_db == -math.inf,
        "periodic": state.peak_db == math.inf,
    }
    for key, said in expect.items():
        assert (key in notes) == said, (key, notes)
    if inside == 0:
        assert notes["empty_interior"] == NOTES["empty_interior"].format(
            first=d * (k - 1) - p, last=(n - 1) * s - p
        )
    if 0 < inside < state.output.size:
        assert f"{state.output.size - inside} of {state.output.size}" in notes["border"]


@st.composite
def stacks(draw):
    nd = draw(st.sampled_from([1, 2]))
    n = draw(st.integers(2, 10))
    layers = []
    size = n
    for _ in range(draw(st.integers(2, 3))):
        fam = draw(st.sampled_from(["ones", "default", "normal", "bilinear", "hold"]))
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        k = kernel(fam, draw(st.integers(1, 5)), s, 1, 0).shape[0]
        op = draw(st.integers(0, max(s, d) - 1))
        p = draw(st.integers(0, (al.output_size(size, k, s, 0, op, d) - 1) // 2))
        layers.append(Layer(k, s, p, op, d, fam, draw(st.integers(0, 5))))
        size = al.output_size(size, k, s, p, op, d)
    return nd, n, layers, draw(st.sampled_from(["constant", "noise"]))


@settings(max_examples=EXAMPLES, deadline=None)
@given(stacks())
def test_a_stack_is_scored_through_its_composite(case):
    nd, n, layers, kind = case
    *earlier, last = layers
    cfg = {f: getattr(last, f) for f in Layer.__dataclass_fields__}
    state = explore_state(ndim=nd, input_size=n, input_kind=kind, stack=earlier, **cfg)
    assert len(state.layers) == len(layers)
    geoms = [al.TransposedConv(*(getattr(x, f) for f in list(cfg)[:5]), ndim=nd) for x in layers]
    kernels = [kernel(x.family, x.kernel_size, x.stride, nd, x.seed) for x in layers]
    comp = al.composite(geoms, kernels)
    np.testing.assert_array_equal(state.kernel, comp.kernel)
    assert (state.stride, state.padding) == (comp.stride, comp.padding)
    np.testing.assert_allclose(state.phase_gains, comp.phase_gains, atol=1e-12)
    assert state.checkerboard_score == comp.checkerboard_score
    assert state.noise_checkerboard == comp.noise_checkerboard
    np.testing.assert_array_equal(state.overlap, al.stack_response(n, geoms, device="cpu"))
    y = input_signal(kind, n, nd)
    for g, kern in zip(geoms, kernels):
        y = torch_output(y, kern, g.stride[0], g.padding[0], g.output_padding[0], g.dilation[0])
    np.testing.assert_allclose(state.output, y, atol=1e-12)
    np.testing.assert_array_equal(state.interior, al.stack_interior(n, geoms))
    if kind == "constant" and state.crop is not None and not state.zero_gain:
        # measured on the stack's steady state = the composite's closed form
        assert state.harmonic_fraction == pytest.approx(comp.checkerboard_score, abs=1e-9)
    assert [t["size"] for t in state.size_terms][-1] == state.output_size[0]
    assert len(state.formula) == len(layers)
    assert "stack" in dict(state.notes)


@pytest.mark.parametrize("nd", [1, 2])
def test_stack_interior_is_the_librarys_for_a_large_padding(nd):
    """A first-layer padding p > d*(k-1) crops samples the composite interior reads."""
    state = explore_state(ndim=nd, input_size=8, kernel_size=3, stride=2,
                          stack=[Layer(1, 2, 2)])  # fmt: skip
    geoms = [al.TransposedConv(1, 2, 2, ndim=nd), al.TransposedConv(3, 2, 0, ndim=nd)]
    np.testing.assert_array_equal(state.interior, al.stack_interior(8, geoms))
    assert not state.interior.all()


def test_stack_order_matters_and_both_outcomes_are_computed():
    """k3/s2 then k4/s2 is even; k4/s2 then k3/s2 is not."""
    even = explore_state(ndim=1, kernel_size=4, stride=2, stack=[Layer(3, 2)])
    odd = explore_state(ndim=1, kernel_size=3, stride=2, stack=[Layer(4, 2)])
    assert even.checkerboard_score == 0 < odd.checkerboard_score


# ---- the measurement rule: rounding noise is no measurement ------------------------------


def test_a_clean_layer_on_a_constant_input_measures_exactly_zero():
    state = explore_state(ndim=2, kernel_size=4, stride=2, input_size=16)
    assert state.checkerboard_score == 0
    assert state.harmonic_fraction == 0.0 and state.peak_db == -math.inf
    assert "exact_zero" in dict(state.notes)
    # what the rule replaces: the library's number of rounding noise
    frac, _ = spectral.harmonic_stats(state.crop, (2, 2))
    assert 0 <= frac < 1e-25


def test_a_checkerboard_on_a_constant_input_is_exactly_periodic():
    state = explore_state(ndim=2, kernel_size=3, stride=2, input_size=16)
    assert state.harmonic_fraction == pytest.approx(state.checkerboard_score, abs=1e-12)
    assert state.peak_db == math.inf and "periodic" in dict(state.notes)


def test_noise_gives_finite_measurements_that_the_library_agrees_with():
    state = explore_state(ndim=2, kernel_size=3, stride=2, input_size=16, input_kind="noise")
    frac, db = spectral.harmonic_stats(state.crop, (2, 2))
    assert state.harmonic_fraction == pytest.approx(frac, abs=1e-12)
    assert state.peak_db == pytest.approx(db, abs=1e-6)


def test_measure_crop_scales_its_floor():
    """The floor follows the scale: the same crop is rounding noise or not by it alone."""
    crop = np.ones(8) + 1e-9 * np.tile([1.0, -1.0], 4)  # a harmonic of amplitude 1e-9
    assert measure_crop(crop, [2], 1.0)[0] > 0  # 1e-9 > 1e-10 * 1: a real harmonic
    assert measure_crop(crop, [2], 100.0)[:2] == (0.0, -math.inf)  # below 1e-10 * 100


# ---- the bounds: every array sized before any work ---------------------------------------


BIG = [
    dict(stride=10**6),
    dict(stride=1000),
    dict(kernel_size=10**9),
    dict(dilation=10**9),
    dict(input_size=256, kernel_size=200, stride=6),
    dict(family="bilinear", stride=5000),
    dict(family="icnr", kernel_size=3000, stride=3),
    dict(ndim=1, stride=10**8),
    dict(input_size=64, stack=[Layer(12, 6), Layer(12, 6)]),
]


@pytest.mark.parametrize("cfg", BIG, ids=range(len(BIG)))
def test_too_large_is_refused_with_the_smallest_change_that_fits(cfg, monkeypatch):
    import artifact_lab.explorer.state as state_module

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the bounds were checked")

    monkeypatch.setattr(state_module, "make_kernel", no_work)
    with pytest.raises(ValueError, match="What fits") as info:
        explore_state(**cfg)
    message = str(info.value)
    assert f"{MAX_SAMPLES:,}" in message
    monkeypatch.undo()
    fixes = message.split("What fits: ")[1].split(", or ")
    assert fixes and fixes[0] != "no single change of this layer", message
    for fix in fixes:  # each suggested change fits, and one step further does not
        name, value = fix.split(" <= ")
        value = int(value)
        where = cfg.get("stack") if name.startswith("stack[") else None
        if where is not None:
            i, field = int(name[6]), name.split(".")[1]

            def call(v, i=i, field=field):
                stack = list(cfg["stack"])
                stack[i] = Layer(**{**stack[i].__dict__, field: v})
                return explore_state(**{**cfg, "stack": stack})
        else:

            def call(v, name=name):
                return explore_state(**{**cfg, name: v})

        call(value)
        with pytest.raises(ValueError):
            call(value + 1)


def test_the_largest_widget_setting_is_within_the_bounds():
    state = explore_state(ndim=2, kernel_size=12, stride=6, dilation=4, input_size=64,
                          output_padding=5)  # fmt: skip
    assert state.output_size == (428, 428)


# ---- bad controls, inputs, helpers ---------------------------------------------------------


def test_explore_state_rejects_bad_controls_before_work():
    with pytest.raises(ValueError, match="ndim must be 1 or 2"):
        explore_state(ndim=3)
    with pytest.raises(ValueError, match="family must be one of"):
        explore_state(family="box")
    with pytest.raises(ValueError, match="input_kind must be one of"):
        explore_state(input_kind="lena")
    with pytest.raises(ValueError, match="output_padding must be smaller"):
        explore_state(stride=2, output_padding=2)
    with pytest.raises(ValueError, match="padding=9"):
        explore_state(input_size=2, kernel_size=3, stride=2, padding=9)
    with pytest.raises(TypeError, match="stride must be an integer"):
        explore_state(stride=2.0)
    with pytest.raises(TypeError, match="stack"):
        explore_state(stack=[(3, 2)])
    with pytest.raises(ValueError, match="input_size must be <= 256"):
        explore_state(input_size=1000)
    with pytest.raises(ValueError, match="paint_step must be <= input_size"):
        explore_state(input_size=4, ndim=2, paint_step=17)
    assert set(INPUTS) >= {"constant", "noise", "camera"}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("s", [1, 2, 3, 5])
def test_kernel_length_is_the_made_kernels(family, s):
    for k in (1, 2, 4):
        assert kernel_length(family, k, s) == kernel(family, k, s, 1, 0).shape[0]


def test_inputs_are_float64_and_the_same_everywhere():
    for kind in INPUTS[:3]:
        for nd in (1, 2):
            x = input_signal(kind, 6, nd)
            assert x.dtype == np.float64 and x.shape == (6,) * nd
            np.testing.assert_array_equal(explore_state(ndim=nd, input_size=6,
                                                        input_kind=kind).signal, x)  # fmt: skip
    np.testing.assert_array_equal(input_signal("noise", 5, 1),
                                  np.random.default_rng(0).standard_normal(5))  # fmt: skip


def test_to_frame_has_one_row_of_controls_and_scores():
    frame = explore_state(ndim=1, kernel_size=5, stride=3).to_frame()
    assert len(frame) == 1 and frame.kernel_size[0] == 5
    assert frame.checkerboard_score[0] == pytest.approx(al.checkerboard_score(np.ones(5), 3))
