"""The explorer for JupyterLab: :func:`explore` opens it, :class:`Explorer` is the app.

The app is an anywidget: its views are drawn in the browser by the explorer's own script
(``templates/explorer.js``, the offline page's too), from the data
:func:`~artifact_lab.explorer.views.view_data` gives for :func:`~artifact_lab.explorer.
state.explore_state`'s state. A control change goes to Python, which keeps every control
inside what torch accepts (saying so when a value had to move), computes the state and
sends the views' data back; the browser redraws only the panels whose data changed.
"""

from __future__ import annotations

import html
import time
from importlib import resources
from typing import Any

from .._util.checks import check_bool, check_int, check_mapping
from ..core.arithmetic import output_size
from ..core.kernels import FAMILIES, FIXED_SIZE
from .state import INPUTS, ExploreState, Layer, check_stack, explore_state, kernel_length
from .views import VOCABULARY, view_data

try:
    import anywidget
    import traitlets
except ImportError:  # explore() says what to install
    anywidget = traitlets = None

__all__ = ["DEFAULTS", "Explorer", "control_limits", "explore"]

#: The controls' starting values (names as :func:`explore_state`'s arguments).
DEFAULTS: dict[str, Any] = {
    "ndim": 2,
    "family": "ones",
    "seed": 0,
    "input_kind": "constant",
    "input_size": 12,
    "kernel_size": 3,
    "stride": 2,
    "dilation": 1,
    "output_padding": 0,
    "padding": 0,
    "paint_step": None,
}
_RANDOM = ("default", "normal", "icnr")
_SPEC = {c["name"]: c for c in VOCABULARY["controls"]}
_CHOICES = {"ndim": (1, 2), "family": FAMILIES, "input_kind": INPUTS}


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def control_limits(values: dict[str, Any], stack: tuple[Layer, ...] = ()) -> dict[str, dict]:
    """Each control's range for the others' values: what torch accepts, within the sliders.

    Output padding stays below ``max(stride, dilation)``; padding keeps at least one output
    sample (torch's rule); the kernel size is fixed by ``bilinear`` and ``hold``; the seed
    matters only to the random families; ``paint_step`` runs over the input's samples.

    Examples
    --------
    >>> lim = control_limits(dict(DEFAULTS, kernel_size=5, stride=3, dilation=2, input_size=4))
    >>> lim["output_padding"]["max"], lim["padding"]["max"], lim["paint_step"]["max"]
    (2, 8, 16)
    """
    check_mapping("values", values)
    missing = set(DEFAULTS) - set(values)
    if missing:
        raise ValueError(f"values must give every control, missing {sorted(missing)}")
    v = dict(values)
    _check_values(v)
    stack = check_stack(stack)
    out: dict[str, dict] = {
        name: {"min": c["min"], "max": c["max"]} for name, c in _SPEC.items() if "min" in c
    }
    out["kernel_size"] |= {
        "disabled": v["family"] in FIXED_SIZE,
        "label": VOCABULARY["sub_kernel_label"] if v["family"] == "icnr" else None,
    }
    out["seed"] = {"disabled": v["family"] not in _RANDOM}
    out["output_padding"]["max"] = max(v["stride"], v["dilation"]) - 1
    out["paint_step"]["max"] = v["input_size"] ** v["ndim"]
    n = v["input_size"]
    try:
        for lay in stack:
            k = kernel_length(lay.family, lay.kernel_size, lay.stride)
            n = output_size(n, k, lay.stride, lay.padding, lay.output_padding, lay.dilation)
        k = kernel_length(v["family"], v["kernel_size"], v["stride"])
        op = min(v["output_padding"], out["output_padding"]["max"])
        full = output_size(n, k, v["stride"], 0, op, v["dilation"])
        out["padding"]["max"] = (full - 1) // 2  # the largest padding torch accepts
    except ValueError:  # an earlier layer no longer fits: the state says why
        out["padding"]["max"] = max(v["padding"], 0)
    return out


def _clamped(values: dict[str, Any], stack: tuple[Layer, ...]) -> list[str]:
    """Move values their range no longer holds; say which, in the page's words."""
    said = []
    if values["family"] in FIXED_SIZE:  # the slider shows the size the family fixes
        values["kernel_size"] = kernel_length(values["family"], 1, values["stride"])
    if values["family"] not in _RANDOM:
        values["seed"] = 0
    for name in ("output_padding", "padding"):
        top = control_limits(values, stack)[name]["max"]
        if values[name] > top:
            said.append(
                VOCABULARY["clamped"].format(label=_SPEC[name]["label"], old=values[name], new=top)
            )
            values[name] = top
    step = values["paint_step"]
    if step is not None and step >= values["input_size"] ** values["ndim"]:
        values["paint_step"] = None
    return said


def _check_values(values: dict[str, Any]) -> None:
    """Names and types first (a value out of its range is refused by :meth:`Explorer.set`)."""
    unknown = set(values) - set(DEFAULTS) - {"stack"}
    if unknown:
        raise ValueError(f"unknown controls {sorted(unknown)}; known: {[*DEFAULTS, 'stack']}")
    for name, value in values.items():
        if name == "stack":
            check_stack(value)
        elif name in _CHOICES:
            if isinstance(value, bool) or value not in _CHOICES[name]:
                raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")
        elif not (name == "paint_step" and value is None):
            check_int(name, value, minimum=_SPEC[name].get("min", 0))


class _Missing:
    """What :func:`explore` returns without anywidget: a message, as text and HTML."""

    message = (
        "al.explore() needs ipywidgets and anywidget, which are not installed here. Install "
        "them (pip install ipywidgets anywidget, or conda install -c conda-forge ipywidgets "
        "anywidget) and run JupyterLab or Jupyter Notebook; "
        "artifact_lab.explorer.state.explore_state(...) computes the same views' data "
        "without widgets, and reports/explorer.html answers offline."
    )

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return f"<p><b>artifact_lab explorer:</b> {html.escape(self.message)}</p>"


_Base: Any = anywidget.AnyWidget if anywidget is not None else object


class Explorer(_Base):
    """The explorer app (an anywidget). Made by :func:`explore`.

    ``controls`` holds the controls' values (names as :func:`explore_state`'s
    arguments), ``state`` the :class:`ExploreState` the views show (None when the controls
    make no valid layer; ``error`` says why), ``clamped`` the sentences saying which values
    had to move when another control shrank their range, ``stack`` the earlier layers.
    ``set(**values)`` changes several controls at once and redraws once.
    """

    if anywidget is not None:
        _esm = _asset("explorer.js") + "\n" + _asset("widget.js")
        _css = _asset("explorer.css")
        vocabulary = traitlets.Dict().tag(sync=True)
        controls = traitlets.Dict().tag(sync=True)
        limits = traitlets.Dict().tag(sync=True)
        view = traitlets.Dict().tag(sync=True)
        error = traitlets.Unicode("").tag(sync=True)
        clamped = traitlets.List().tag(sync=True)

    def __init__(self, *, render: bool = True, **initial: Any) -> None:
        if anywidget is None:
            raise ImportError(_Missing.message)
        render = check_bool("render", render)
        _check_values(initial)
        super().__init__()
        self.stack: list[Layer] = []
        self.state: ExploreState | None = None
        self.seconds: float | None = None  # the last update's time in Python
        self._render = render
        self._busy = False
        self.vocabulary = VOCABULARY
        self.controls = dict(DEFAULTS)
        self.observe(self._from_browser, names="controls")
        self.on_msg(self._command)
        self.set(**initial)

    # ---- what the browser sends
    def _from_browser(self, change: dict) -> None:
        if self._busy:
            return
        try:
            new = {name: change["new"].get(name, DEFAULTS[name]) for name in DEFAULTS}
            _check_values(new)
        except (TypeError, ValueError, AttributeError) as exc:
            self.error = str(exc)
            return
        self._update(new, clamp=True)

    def _command(self, _widget: Any, content: dict, _buffers: Any = None) -> None:
        command = content.get("command") if isinstance(content, dict) else None
        if command == "add_layer":
            self.add_layer()
        elif command == "clear_stack":
            self.clear_stack()

    # ---- the API
    def set(self, **values: Any) -> ExploreState | None:
        """Set several controls (names as in :func:`explore_state`), then redraw once.

        A value outside its control's range is refused (ValueError naming it and the
        range); a value that another control's change pushes out of range is moved to the
        nearest one, and ``clamped`` says so. Changing any control but ``paint_step``
        paints every input sample again.
        """
        _check_values(values)
        if "stack" in values:
            self.stack = list(values.pop("stack"))
        new = dict(self.controls) | values
        if "paint_step" not in values and any(new[k] != self.controls[k] for k in values):
            new["paint_step"] = None  # a new configuration paints all
        limits = control_limits(new, tuple(self.stack))
        for name, value in values.items():
            lim = limits.get(name, {})
            if name == "paint_step" and value is None:
                continue
            if "max" in lim and not lim["min"] <= value <= lim["max"]:
                raise ValueError(
                    f"{name}={value!r} is outside the control's range {lim['min']}..{lim['max']} "
                    "for the other controls' values"
                )
        return self._update(new, clamp=True)

    def add_layer(self) -> None:
        """Push the controls' layer onto the stack (stack mode: the views show the stack)."""
        v = self.controls
        self.stack.append(
            Layer(
                v["kernel_size"],
                v["stride"],
                v["padding"],
                v["output_padding"],
                v["dilation"],
                v["family"],
                v["seed"],
            )
        )
        self._update(dict(self.controls), clamp=True)

    def clear_stack(self) -> None:
        """Empty the stack: the views show the controls' layer alone."""
        self.stack.clear()
        self._update(dict(self.controls), clamp=True)

    def _update(self, values: dict[str, Any], *, clamp: bool) -> ExploreState | None:
        start = time.perf_counter()
        said = _clamped(values, tuple(self.stack)) if clamp else []
        limits = control_limits(values, tuple(self.stack))
        self._busy = True
        try:
            with self.hold_sync():
                self.controls = values
                self.limits = limits
                self.clamped = said
                try:
                    self.state = explore_state(**values, stack=tuple(self.stack))
                except (ValueError, TypeError) as exc:
                    self.state, self.error = None, str(exc)
                else:
                    self.error = ""
                    if self._render:
                        self.view = view_data(self.state)
        finally:
            self._busy = False
        self.seconds = time.perf_counter() - start
        return self.state


def explore(*, render: bool = True, **initial: Any) -> Explorer | _Missing:
    """An interactive explorer of transposed-convolution geometry for JupyterLab.

    Controls: axes (1-D or 2-D), kernel family and seed, the input (constant, noise, a
    bundled picture) and its size, kernel size, stride, dilation, output padding, padding,
    and a paint step that adds one input sample at a time; "add layer" builds a stack.
    Views: the input, the overlap map, the phase gains, the output with its interior
    framed, its spectrum with the stride harmonics marked, the kernel's taps, the scores
    (closed forms and measured) with notes, and the size formula with the numbers filled
    in. Every view is drawn from :func:`explore_state`, i.e. the library's own functions,
    in the words and rounding of the offline page.

    Parameters
    ----------
    render : bool
        Send the views' data to the browser (False keeps only ``state``, for scripts).
    **initial
        Initial control values, named as in :func:`explore_state`.

    Returns
    -------
    Explorer
        Displays itself in a notebook. Without anywidget, an object that displays a
        message saying what to install.

    Examples
    --------
    >>> app = explore(kernel_size=4, stride=2, padding=1, render=False)
    >>> app.state.checkerboard_score, app.state.output_size
    (0.0, (24, 24))
    >>> app.set(kernel_size=3).overlap_contrast   # in JupyterLab, ``app`` shows the app
    1.3333333333333333
    """
    check_bool("render", render)
    try:
        import anywidget  # noqa: F401
        import ipywidgets  # noqa: F401
    except ImportError:
        return _Missing()
    return Explorer(render=render, **initial)
