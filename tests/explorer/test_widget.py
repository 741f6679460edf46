"""The widget, on the Python side: what it sends the browser is the state's, its controls
stay inside what torch accepts and say so when a value moves, and an update is quick.

What the browser draws from it is checked in ``test_page_browser.py`` (the same script
draws the page and the widget)."""

import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import artifact_lab as al
from artifact_lab.explorer.state import explore_state
from artifact_lab.explorer.views import VOCABULARY, colour_scale, view_data
from artifact_lab.explorer.widget import DEFAULTS, Explorer, control_limits, explore
from tests.explorer._oracles import EXAMPLES, controls, kernel

ROOMY = settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture],
                 deadline=None)  # fmt: skip


@pytest.fixture(scope="module")
def app():
    return explore()


def _same_state(a, b):
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif isinstance(x, float) and np.isnan(x):
            assert np.isnan(y), name
        else:
            assert x == y, name


def _as_shown(cfg):
    """The controls as the widget shows them: the fixed size, seed 0 where none is used."""
    cfg = dict(cfg)
    if cfg["family"] in ("bilinear", "hold"):
        cfg["kernel_size"] = kernel(cfg["family"], 1, cfg["stride"], 1, 0).shape[0]
    if cfg["family"] not in ("default", "normal", "icnr"):
        cfg["seed"] = 0
    if cfg["paint_step"] == cfg["input_size"] ** cfg["ndim"]:
        cfg["paint_step"] = None  # every sample painted: the slider's end says "all"
    return cfg


@ROOMY
@given(controls(max_n=24))
def test_the_widget_shows_the_states_data(app, cfg):
    cfg = _as_shown(cfg)
    state = app.set(**cfg)
    assert app.error == "" and app.clamped == []
    assert {k: app.controls[k] for k in cfg} == cfg  # nothing was moved
    _same_state(state, explore_state(**cfg))
    sent = app.view  # what goes to the browser: the state's numbers, unrounded
    assert sent["scores"]["cb"] == state.checkerboard_score
    np.testing.assert_array_equal(np.frombuffer(sent["gains"]["data"], "<f8"),
                                  state.phase_gains.ravel())  # fmt: skip
    lo, hi = colour_scale(*state.output_range)  # drawn only: 256 steps of the scale
    steps = np.frombuffer(sent["output"]["data"], "u1").astype(float)
    np.testing.assert_allclose(lo + steps * (hi - lo) / 255, state.output.ravel(),
                               atol=(hi - lo) / 510 * (1 + 1e-9))  # fmt: skip
    interior = np.array(sent["interior_axis"], bool)
    full = interior if state.ndim == 1 else np.logical_and.outer(interior, interior)
    np.testing.assert_array_equal(full, state.interior)
    assert [t["size"] for t in sent["terms"]] == [t["size"] for t in state.size_terms]
    assert sent["notes"] == [list(n) for n in state.notes]


@ROOMY
@given(controls(max_n=24))
def test_the_ranges_are_torchs(app, cfg):
    lim = control_limits(dict(DEFAULTS) | cfg)
    nd, s, d, op, n = (cfg[x] for x in ("ndim", "stride", "dilation", "output_padding",
                                         "input_size"))  # fmt: skip
    k = kernel(cfg["family"], cfg["kernel_size"], s, 1, cfg["seed"]).shape[0]
    assert lim["output_padding"]["max"] == max(s, d) - 1
    pmax = lim["padding"]["max"]
    assert al.output_size(n, k, s, pmax, op, d) >= 1
    with pytest.raises(ValueError, match="padding"):
        al.output_size(n, k, s, pmax + 1, op, d)
    assert lim["paint_step"]["max"] == n**nd


def test_a_value_another_control_pushes_out_is_moved_and_said(app):
    app.set(ndim=1, family="ones", input_size=8, kernel_size=12, stride=2, dilation=1,
            output_padding=1, padding=10, stack=[])  # fmt: skip
    assert app.clamped == []
    app.set(kernel_size=3)  # the padding's range shrinks from 0..13 to 0..8
    assert app.controls["padding"] == 8 == control_limits(app.controls)["padding"]["max"]
    assert app.clamped == [VOCABULARY["clamped"].format(label="padding p", old=10, new=8)]
    app.set(stride=1)  # and output padding's: below max(s, d) = 1
    assert app.controls["output_padding"] == 0
    assert any(line.startswith("output padding op went from 1 to 0") for line in app.clamped)
    app.set(stride=2)
    assert app.clamped == []  # said once, with the change that caused it
    # from the browser: the same
    app.controls = dict(app.controls, kernel_size=12, padding=12)
    app.controls = dict(app.controls, kernel_size=1)
    assert app.controls["padding"] == 7 and "padding p went from 12 to 7" in app.clamped[0]


def test_a_value_outside_its_range_is_refused_when_set_directly(app):
    app.set(ndim=2, family="ones", kernel_size=5, stride=3, dilation=2, input_size=4,
            output_padding=0, padding=0, stack=[])  # fmt: skip
    pmax = app.limits["padding"]["max"]
    with pytest.raises(ValueError, match=r"padding=.*outside the control.s range"):
        app.set(padding=pmax + 1)
    with pytest.raises(ValueError, match="unknown controls"):
        app.set(colour=3)
    app.set(family="bilinear")
    assert app.limits["kernel_size"]["disabled"] and app.state.kernel.shape == (5, 5)
    assert app.controls["kernel_size"] == 5  # the slider shows the size the family fixes
    app.set(family="icnr")
    assert app.limits["kernel_size"]["label"] == "sub-kernel size k"
    assert not app.limits["seed"]["disabled"]
    app.set(family="ones")
    assert app.limits["seed"]["disabled"]


def test_a_new_configuration_paints_every_sample_again(app):
    app.set(ndim=2, input_size=6, kernel_size=3, stride=2, padding=0, paint_step=5, stack=[])
    assert app.state.paint_step == 5 and app.view["step"] == 5
    app.set(kernel_size=4)
    assert app.controls["paint_step"] is None and app.state.paint_step == 36
    app.set(paint_step=7)
    app.controls = dict(app.controls, stride=3)  # from the browser (its script sends None
    assert app.controls["paint_step"] == 7  # too; Python keeps what it is sent)
    app.controls = dict(app.controls, paint_step=None)
    assert app.state.paint_step == 36


def test_stacks_from_the_buttons(app):
    app.set(ndim=1, family="ones", kernel_size=3, stride=2, dilation=1, padding=0,
            output_padding=0, input_size=8, stack=[])  # fmt: skip
    app._command(app, {"command": "add_layer"})
    state = app.set(kernel_size=4)
    assert [x.kernel_size for x in state.layers] == [3, 4] and state.checkerboard_score == 0
    assert app.view["status"].startswith("layers: k3 s2")
    app._command(app, {"command": "clear_stack"})
    assert len(app.state.layers) == 1 and app.view["status"] is None


def test_an_invalid_stack_shows_the_error_instead_of_views(app):
    app.set(ndim=1, family="ones", input_size=8, kernel_size=4, stride=2, padding=0, stack=[])
    app.set(padding=8)
    app.add_layer()
    assert app.state is not None
    app.set(input_size=1)  # the first layer's padding no longer fits
    assert app.state is None and "padding" in app.error
    app.set(stack=[], input_size=8, padding=0)
    assert app.error == ""


def test_the_vocabulary_names_every_control_as_explore_state_does():
    import inspect

    params = set(inspect.signature(explore_state).parameters) - {"stack"}
    assert {c["name"] for c in VOCABULARY["controls"]} == params == set(DEFAULTS)


def test_an_update_takes_a_small_part_of_150_ms():
    """Python's share of a change at the largest setting (printed; the browser's share is
    measured in test_page_browser.py). Not a timed assertion: the figures are reported."""
    app = explore(ndim=2, kernel_size=12, stride=6, dilation=4, input_size=64,
                  output_padding=5, input_kind="camera")  # fmt: skip
    seconds = []
    for k in (11, 12, 11, 12, 10, 12, 11, 12):
        start = time.perf_counter()
        app.set(kernel_size=k)
        seconds.append(time.perf_counter() - start)
    ms = np.array(seconds) * 1e3
    print(
        f"widget update in Python at 428x428: median {np.median(ms):.0f} ms, max {ms.max():.0f} ms"
    )
    assert app.state.output_size == (428, 428) and app.view["L"] == 428


def test_view_data_is_json_ready_both_ways():
    import json

    state = explore_state(ndim=2, kernel_size=3, stride=2, input_size=5, paint_step=3)
    text = json.dumps(view_data(state, binary=False))
    assert '"b64"' in text and "NaN" not in text
    binary = view_data(state)
    assert isinstance(binary["painted"]["data"], bytes)
    painted = np.frombuffer(binary["painted"]["data"], "u1").reshape(state.output_size)
    np.testing.assert_array_equal(painted, state.painted)


def test_without_anywidget_explore_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import fails
    out = explore()
    assert "anywidget" in repr(out) and "pip install ipywidgets anywidget" in repr(out)
    assert "anywidget" in out._repr_html_()


def test_the_top_level_name_is_the_function():
    assert al.explore is explore
    assert isinstance(al.explore(render=False), Explorer)
