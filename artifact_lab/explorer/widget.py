"""The ipywidgets app."""

from __future__ import annotations

import html
from typing import Any

from .._checks import check_bool, check_int
from ..kernels import FAMILIES
from .state import INPUTS, ExploreState, Layer, _check_stack, _layer_kernel, explore_state
from .views import VIEWS, _png, formula_html, scores_html

__all__ = ["Explorer", "explore"]


class _Missing:
    """What :func:`explore` returns without ipywidgets: a message, as text and HTML."""

    message = (
        "al.explore() needs ipywidgets, which is not installed here. Install it "
        "(pip install ipywidgets, or conda install -c conda-forge ipywidgets) and run "
        "JupyterLab or Jupyter Notebook; al.explore.explore_state(...) computes the same "
        "views' data without widgets, and reports/explorer.html answers offline."
    )

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        return f"<p><b>artifact_lab explorer:</b> {html.escape(self.message)}</p>"


_CHOICES = {"ndim": (1, 2), "family": FAMILIES, "input_kind": INPUTS}
_ORDER = (
    "ndim",
    "family",
    "input_kind",
    "input_size",
    "stride",
    "dilation",
    "kernel_size",
    "seed",
    "output_padding",
    "padding",
)


class Explorer:
    """The widget app of :func:`explore`. ``controls`` maps each control's name to its
    widget; ``state`` is the :class:`ExploreState` the views show; ``set(**values)``
    changes several controls at once and redraws once."""

    def __init__(self, *, render: bool = True, **initial: Any) -> None:
        import ipywidgets as W

        render = check_bool("render", render)

        slider = dict(continuous_update=False, style={"description_width": "110px"})
        self.controls: dict[str, Any] = {
            "ndim": W.ToggleButtons(options=[("1-D", 1), ("2-D", 2)], value=2, description="axes"),
            "family": W.Dropdown(options=FAMILIES, value="ones", description="kernel family"),
            "input_kind": W.Dropdown(options=INPUTS, value="constant", description="input"),
            "input_size": W.IntSlider(12, 1, 64, description="input size n", **slider),
            "stride": W.IntSlider(2, 1, 6, description="stride s", **slider),
            "dilation": W.IntSlider(1, 1, 4, description="dilation d", **slider),
            "kernel_size": W.IntSlider(3, 1, 12, description="kernel size k", **slider),
            "seed": W.IntSlider(0, 0, 9, description="seed", **slider),
            "output_padding": W.IntSlider(0, 0, 1, description="output pad op", **slider),
            "padding": W.IntSlider(0, 0, 10, description="padding p", **slider),
        }
        self.stack_mode = W.Checkbox(value=False, description="stack mode")
        add, clear = W.Button(description="add layer"), W.Button(description="clear stack")
        add.on_click(lambda _: self.add_layer())
        clear.on_click(lambda _: self.clear_stack())
        self.stack: list[Layer] = []
        self.state: ExploreState | None = None
        self.error: str | None = None
        self._render = render
        self._muted = False
        self.images = {name: W.Image(format="png") for name in VIEWS}
        self.scores = W.HTML()
        self.formula = W.HTML()
        self.status = W.HTML()
        for w in [*self.controls.values(), self.stack_mode]:
            w.observe(self._changed, names="value")
        left = W.VBox([self.controls[k] for k in _ORDER])
        right = W.VBox([W.HBox([self.stack_mode, add, clear]), self.status, self.formula])
        self.widget = W.VBox(
            [
                W.HTML("<b>artifact_lab explorer</b>: transposed convolution, by hand"),
                W.HBox([left, right]),
                W.HBox([self.images["overlap"], self.images["gains"]]),
                W.HBox([self.images["output"], self.images["spectrum"]]),
                self.scores,
            ]
        )
        self.set(**initial)

    # values and ranges
    def values(self) -> dict[str, Any]:
        """The controls' values as keyword arguments of :func:`explore_state`."""
        out = {name: w.value for name, w in self.controls.items()}
        out["stack"] = tuple(self.stack) if self.stack_mode.value else ()
        return out

    def _layer(self) -> Layer:
        v = self.values()
        return Layer(*(v[f] for f in Layer.__dataclass_fields__))

    def _limits(self) -> None:
        """Keep every slider inside what torch accepts for the other controls."""
        from ..arithmetic import output_size

        v = self.values()
        c = self.controls
        family = v["family"]
        c["kernel_size"].disabled = family in ("bilinear", "hold")
        c["kernel_size"].description = "sub-kernel k" if family == "icnr" else "kernel size k"
        c["seed"].disabled = family not in ("default", "normal", "icnr")
        c["output_padding"].max = max(v["stride"], v["dilation"]) - 1
        n = v["input_size"]
        try:
            for layer in v["stack"]:
                n = output_size(
                    n,
                    layer.kernel_size,
                    layer.stride,
                    layer.padding,
                    layer.output_padding,
                    layer.dilation,
                )
            k = _layer_kernel(self._layer(), 1).shape[0]
            full = output_size(n, k, v["stride"], 0, c["output_padding"].value, v["dilation"])
            c["padding"].max = (full - 1) // 2  # the largest padding torch accepts
        except ValueError:  # an earlier layer no longer fits: explore_state says why
            pass

    def set(self, **values: Any) -> ExploreState | None:
        """Set several controls (names as in :func:`explore_state`), then redraw once."""
        unknown = set(values) - set(self.controls) - {"stack"}
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; known: {list(self.controls)}")
        for name, value in values.items():  # types first: a widget would raise a TraitError
            if name == "stack":
                _check_stack(value)
            elif name in _CHOICES:
                if value not in _CHOICES[name] or isinstance(value, bool):
                    raise ValueError(f"{name} must be one of {_CHOICES[name]}, got {value!r}")
            else:
                check_int(name, value, minimum=0)
        self._muted = True
        try:
            if "stack" in values:
                self.stack = list(values["stack"])
                self.stack_mode.value = bool(self.stack)
            for name in _ORDER:
                self._limits()
                if name in values:
                    w = self.controls[name]
                    w.value = values[name]
                    if w.value != values[name]:  # a slider clamps silently; say so instead
                        raise ValueError(
                            f"{name}={values[name]!r} is outside the control's range "
                            f"{w.min}..{w.max} for the other controls' values"
                        )
            self._limits()
        finally:
            self._muted = False
        return self.refresh()

    def add_layer(self) -> None:
        """Push the controls' layer onto the stack and switch stack mode on."""
        self.stack.append(self._layer())
        self._muted = True
        self.stack_mode.value = True
        self._muted = False
        self._changed()

    def clear_stack(self) -> None:
        self.stack.clear()
        self._changed()

    def _changed(self, *_: Any) -> None:
        if self._muted:
            return
        self._muted = True
        try:
            self._limits()
        finally:
            self._muted = False
        self.refresh()

    def refresh(self) -> ExploreState | None:
        """Recompute the state from the controls and redraw every view."""
        try:
            self.state = explore_state(**self.values())
            self.error = None
        except (ValueError, TypeError) as exc:
            self.state, self.error = None, str(exc)
            self.status.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
            return None
        st = self.state
        layers = ", ".join(
            f"k{lay.kernel_size}/s{lay.stride}/p{lay.padding}/op{lay.output_padding}"
            f"/d{lay.dilation} {lay.family}"
            for lay in st.layers
        )
        self.status.value = f"layers: {html.escape(layers)}; output size {st.output_size}"
        self.formula.value = formula_html(st)
        self.scores.value = scores_html(st)
        if self._render:
            for name, draw in VIEWS.items():
                self.images[name].value = _png(draw(st))
        return st

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(*, render: bool = True, **initial: Any) -> Explorer | _Missing:
    """An interactive explorer of transposed-convolution geometry for JupyterLab.

    Controls: axes (1-D or 2-D), kernel size, stride, padding, output padding, dilation,
    kernel family and seed, the input (constant, noise, a bundled picture) and its size;
    "add layer" builds a stack. Views: the overlap map with counts, the phase gains, the
    output on the input with the interior marked, its spectrum with the stride harmonics
    marked, the scores (closed forms and measured) and the size formula with the numbers
    filled in. Every view is drawn from :func:`explore_state`, i.e. the library's own
    functions.

    Parameters
    ----------
    render : bool
        Draw the figures (False keeps only the numbers: scores, formula, ``state``).
    **initial
        Initial control values, named as in :func:`explore_state`.

    Returns
    -------
    Explorer
        Displays itself in a notebook. Without ipywidgets, an object that displays a
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
        import ipywidgets  # noqa: F401
    except ImportError:
        return _Missing()
    return Explorer(render=render, **initial)
