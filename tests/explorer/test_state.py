"""The explorer widget: every view's data equals the library's functions (no browser).

The app is built once, its controls are set in code for random settings, and what it shows
(``app.state``, the scores and formula HTML, the figures) is checked against the library's
own functions and against torch's ``conv_transpose`` as the oracle for the outputs.
"""

import os
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import spectral
from artifact_lab.explorer.state import INPUTS, Layer, _signal, explore_state
from artifact_lab.explorer.views import VIEWS, _png, formula_html, scores_html
from artifact_lab.explorer.widget import explore
from artifact_lab.kernels import FAMILIES, make_kernel

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
# a few dozen settings in the fast suite; many more under `make test-all`
EXAMPLES = 1000 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 30
ROOMY = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
)


@pytest.fixture(scope="module")
def app():
    return explore(render=False)


def _kernel(family, k, s, nd, seed):
    return make_kernel(family, None if family in ("bilinear", "hold") else k, s, ndim=nd, seed=seed)


@st.composite
def controls(draw, families=FAMILIES, inputs=("constant", "noise", "camera")):
    """A random valid setting of the controls, over the whole range torch accepts."""
    nd = draw(st.sampled_from([1, 2]))
    family = draw(st.sampled_from(families))
    s = draw(st.integers(1, 6))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 12 if family != "icnr" else 4))
    seed = draw(st.integers(0, 9))
    n = draw(st.integers(1, 24 if nd == 2 else 64))
    op = draw(st.integers(0, max(s, d) - 1))
    k_eff = _kernel(family, k, s, 1, seed).shape[0]
    full = al.output_size(n, k_eff, s, 0, op, d)
    p = draw(st.integers(0, (full - 1) // 2))  # every padding torch accepts
    return dict(
        ndim=nd,
        family=family,
        kernel_size=k,
        stride=s,
        dilation=d,
        seed=seed,
        input_size=n,
        output_padding=op,
        padding=p,
        input_kind=draw(st.sampled_from(inputs)),
    )


def _same_state(a, b):
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), name
        else:
            assert x == y, name


@ROOMY
@given(controls())
def test_every_view_shows_the_librarys_numbers(app, cfg):
    state = app.set(**cfg)
    assert app.error is None
    assert {k: app.controls[k].value for k in cfg} == cfg  # nothing was clamped
    _same_state(state, explore_state(**cfg))  # the widget draws the pure function's data

    names = ("ndim", "stride", "dilation", "padding", "output_padding", "input_size")
    nd, s, d, p, op, n = (cfg[name] for name in names)
    kern = _kernel(cfg["family"], cfg["kernel_size"], s, nd, cfg["seed"])
    k = kern.shape[0]
    geom = ((n,) * nd, k, s, p, op, d)
    # overlap view: the closed form, and torch's conv_transpose of ones by ones
    np.testing.assert_array_equal(state.overlap, al.overlap_map(*geom))
    np.testing.assert_array_equal(state.overlap, al.overlap_map(*geom, method="torch"))
    np.testing.assert_array_equal(state.interior, al.interior_mask(*geom))
    np.testing.assert_array_equal(state.phase_counts, al.phase_counts(k, s, d, p, ndim=nd))
    # phase-gains view and scores view
    np.testing.assert_array_equal(state.kernel, kern)
    np.testing.assert_allclose(state.phase_gains, al.phase_gains(kern, s, d, p), atol=0)
    np.testing.assert_allclose(state.noise_gains, al.noise_gains(kern, s, d, p), atol=0)
    assert state.checkerboard_score == al.checkerboard_score(kern, s, d, p)
    assert state.noise_checkerboard == al.noise_checkerboard(kern, s, d, p)
    assert state.overlap_contrast == al.overlap_contrast(k, s, d, p, ndim=nd)
    assert state.holes == al.has_holes(k, s, d, ndim=nd)
    # output view: torch's conv_transpose on the chosen input is the oracle
    x = torch.as_tensor(_signal(cfg["input_kind"], n, nd))[None, None]
    w = torch.as_tensor(kern)[None, None]
    y = CONV_T[nd](x, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0].numpy()
    np.testing.assert_allclose(state.output, y, rtol=0, atol=1e-12)
    if cfg["input_kind"] == "constant" and state.interior.any():
        # the interior output of a constant 1 is the phase gains, phase by phase
        idx = np.nonzero(state.interior)
        np.testing.assert_allclose(
            state.output[idx], state.phase_gains[tuple(i % s for i in idx)], atol=1e-9
        )
    # spectrum view and measured scores
    try:
        crop = spectral.interior_crop(y, *geom)
    except ValueError:
        assert state.crop is None and np.isnan(state.harmonic_fraction)
    else:
        np.testing.assert_allclose(state.crop, crop, atol=1e-12)
        frac, db = spectral.harmonic_stats(crop, (s,) * nd)
        assert state.harmonic_fraction == pytest.approx(frac, abs=1e-12)
        assert state.peak_db == pytest.approx(db, abs=1e-9)
        np.testing.assert_allclose(state.spectrum, spectral.power_spectrum(crop, ndim=nd))
        if cfg["input_kind"] == "constant" and not state.zero_gain:
            assert frac == pytest.approx(state.checkerboard_score, abs=1e-9)
    # size formula view
    terms = al.output_size_terms(n, k, s, p, op, d)[0]
    assert state.size_terms == (terms,)
    assert state.output_size == (al.output_size(n, k, s, p, op, d),) * nd == y.shape
    assert state.formula[0].endswith(f"= {terms['size']}")
    assert f"({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1" in formula_html(state)
    table = scores_html(state)
    assert f"{state.checkerboard_score:.4f}" in table
    assert f"{state.noise_checkerboard:.4f}" in table


@st.composite
def stacks(draw):
    nd = draw(st.sampled_from([1, 2]))
    n = draw(st.integers(2, 10))
    layers = []
    size = n
    for _ in range(draw(st.integers(2, 3))):
        fam = draw(st.sampled_from(["ones", "default", "normal", "bilinear", "hold"]))
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        k = _kernel(fam, draw(st.integers(1, 5)), s, 1, 0).shape[0]
        op = draw(st.integers(0, max(s, d) - 1))
        p = draw(st.integers(0, (al.output_size(size, k, s, 0, op, d) - 1) // 2))
        layers.append(Layer(k, s, p, op, d, fam, draw(st.integers(0, 5))))
        size = al.output_size(size, k, s, p, op, d)
    return nd, n, layers, draw(st.sampled_from(["constant", "noise"]))


@ROOMY
@given(stacks())
def test_stack_mode_shows_the_composite(app, case):
    nd, n, layers, kind = case
    *earlier, last = layers
    cfg = {f: getattr(last, f) for f in Layer.__dataclass_fields__}
    state = app.set(ndim=nd, input_size=n, input_kind=kind, stack=earlier, **cfg)
    assert app.error is None and len(state.layers) == len(layers)
    geoms = [al.TransposedConv(*(getattr(x, f) for f in list(cfg)[:5]), ndim=nd) for x in layers]
    kernels = [_kernel(x.family, x.kernel_size, x.stride, nd, x.seed) for x in layers]
    comp = al.composite(geoms, kernels)
    np.testing.assert_array_equal(state.kernel, comp.kernel)
    assert (state.stride, state.padding) == (comp.stride, comp.padding)
    np.testing.assert_allclose(state.phase_gains, comp.phase_gains, atol=1e-12)
    assert state.checkerboard_score == comp.checkerboard_score
    assert state.noise_checkerboard == comp.noise_checkerboard
    np.testing.assert_array_equal(state.overlap, al.stack_response(n, geoms, device="cpu"))
    y = torch.as_tensor(_signal(kind, n, nd))[None, None]
    for g, kern in zip(geoms, kernels):
        w = torch.as_tensor(kern)[None, None]
        y = CONV_T[nd](y, w, stride=g.stride, padding=g.padding, dilation=g.dilation,
                       output_padding=g.output_padding)  # fmt: skip
    np.testing.assert_allclose(state.output, y[0, 0].numpy(), atol=1e-12)
    # the marked interior is the stack's steady state: there the one composite layer
    # reproduces the stack exactly
    one = al.stack_response(n, geoms, kernels, method="composite", device="cpu")
    many = al.stack_response(n, geoms, kernels, method="layers", device="cpu")
    np.testing.assert_allclose(one[state.interior], many[state.interior], atol=1e-9)
    if kind == "constant" and state.crop is not None and not state.zero_gain:
        # measured on the stack's steady state = the composite's closed form
        assert state.harmonic_fraction == pytest.approx(comp.checkerboard_score, abs=1e-9)
    assert [t["size"] for t in state.size_terms][-1] == state.output_size[0]
    assert len(state.formula) == len(layers)


@pytest.mark.parametrize("nd", [1, 2])
def test_stack_interior_is_the_librarys_for_a_large_padding(nd):
    """A first-layer padding p > d*(k-1) crops samples the composite interior reads."""
    state = explore_state(ndim=nd, input_size=8, kernel_size=3, stride=2,
                          stack=[Layer(1, 2, 2)])  # fmt: skip
    geoms = [al.TransposedConv(1, 2, 2, ndim=nd), al.TransposedConv(3, 2, 0, ndim=nd)]
    np.testing.assert_array_equal(state.interior, al.stack_interior(8, geoms))
    assert not state.interior.all()


def test_adding_layers_in_either_order_shows_both_outcomes_computed(app):
    """k3/s2 then k4/s2 is even; k4/s2 then k3/s2 is not (DESIGN.md)."""
    results = {}
    for first, second in ((3, 4), (4, 3)):
        app.set(ndim=1, family="ones", stride=2, dilation=1, padding=0, output_padding=0,
                kernel_size=first, stack=[])  # fmt: skip
        app.add_layer()
        state = app.set(kernel_size=second)
        comp = al.composite([al.TransposedConv(k, 2, ndim=1) for k in (first, second)])
        np.testing.assert_array_equal(state.phase_gains, comp.phase_gains)
        results[first, second] = state.checkerboard_score
        app.clear_stack()
        assert app.state.layers == (app._layer(),) and app.state.overlap_contrast is not None
        app.set(stack=[])
    assert results[3, 4] == 0 < results[4, 3]


def test_slider_limits_follow_torch(app):
    state = app.set(ndim=2, family="ones", kernel_size=5, stride=3, dilation=2, input_size=4,
                    output_padding=0, padding=0, stack=[])  # fmt: skip
    assert state is not None
    c = app.controls
    assert c["output_padding"].max == 2  # op < max(s, d)
    pmax = c["padding"].max
    assert al.output_size(4, 5, 3, pmax, 0, 2) >= 1
    with pytest.raises(ValueError, match="padding"):
        al.output_size(4, 5, 3, pmax + 1, 0, 2)
    with pytest.raises(ValueError, match=r"padding=.*outside the control.s range"):
        app.set(padding=pmax + 1)
    with pytest.raises(ValueError, match="unknown controls"):
        app.set(colour=3)
    app.set(family="bilinear")
    assert c["kernel_size"].disabled and app.state.kernel.shape == al.kernels.bilinear(3).shape
    app.set(family="ones")


def test_an_invalid_stack_shows_the_error_instead_of_views(app):
    app.set(ndim=1, family="ones", input_size=8, kernel_size=4, stride=2, padding=0, stack=[])
    app.set(padding=8)
    app.add_layer()
    assert app.state is not None
    app.set(input_size=1)  # the first layer's padding no longer fits
    assert app.state is None and "padding" in app.error and "padding" in app.status.value
    app.set(stack=[], input_size=8, padding=0)
    assert app.error is None


def test_buttons_drive_the_stack():
    app = explore(render=False, ndim=1, kernel_size=4, stride=2)
    buttons = [w for w in app.widget.children[1].children[1].children[0].children]
    add = next(b for b in buttons if getattr(b, "description", "") == "add layer")
    clear = next(b for b in buttons if getattr(b, "description", "") == "clear stack")
    add.click()
    assert app.stack_mode.value and len(app.state.layers) == 2
    clear.click()
    assert len(app.state.layers) == 1


CASES = [
    dict(ndim=1, kernel_size=5, stride=3, dilation=2, input_kind="noise", input_size=20),
    dict(ndim=2, family="default", kernel_size=4, stride=2, padding=1, input_kind="camera"),
    dict(ndim=2, family="icnr", kernel_size=3, stride=2, input_size=8, input_kind="noise"),
    dict(ndim=2, kernel_size=4, stride=2, stack=(Layer(3, 2),), input_size=6),
    dict(ndim=2, kernel_size=12, stride=1, input_size=3),  # no interior
    dict(ndim=1, kernel_size=2, stride=2, dilation=2),  # holes: every gain on one phase
]


@pytest.mark.parametrize("cfg", CASES, ids=range(len(CASES)))
def test_views_draw_the_state(cfg):
    state = explore_state(**cfg)
    frame = state.to_frame()
    assert len(frame) == 1 and frame.checkerboard_score[0] == state.checkerboard_score
    for name, draw in VIEWS.items():
        fig = draw(state)
        assert _png(fig)[:4] == b"\x89PNG", name
        sizes = [t.get_fontsize() for ax in fig.axes for t in ax.texts]
        sizes += [ax.title.get_fontsize() for ax in fig.axes if ax.get_title()]
        assert min(sizes, default=8) >= 8, name
        if name == "overlap":
            shown = [int(t.get_text()) for t in fig.axes[0].texts]
            if shown:  # the counts written on the map are the overlap map's
                assert shown == state.overlap.ravel().tolist()


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
    assert set(INPUTS) >= {"constant", "noise", "camera"}


def test_without_ipywidgets_explore_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    out = explore()
    assert "ipywidgets" in repr(out) and "pip install ipywidgets" in repr(out)
    assert "ipywidgets" in out._repr_html_()
