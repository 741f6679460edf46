"""What the explorer's views show, in one vocabulary for the page and the widget.

The views are drawn in the browser by one script (``templates/explorer.js``), shared by
the widget and the offline page: canvases with axes and colour scales, tables, captions
and notes. This module says what they draw and in which words:

- :data:`VOCABULARY`: the controls (names as :func:`~artifact_lab.explorer.state.
  explore_state`'s arguments, labels, ranges), the panels' titles and captions, the score
  labels, the notes and how many decimals each kind of number gets;
- :func:`view_data`: the data of every view for one :class:`~artifact_lab.explorer.state.
  ExploreState`, at full precision (the script rounds once, when it writes a number);
- :func:`format_number`: that rounding, in Python (the script's twin is tested against it).
"""

from __future__ import annotations

import base64
import math
import numbers
from typing import Any

import numpy as np

from .._util.checks import check_bool, check_choice, check_float, check_instance
from ..core.images import IMAGES
from ..core.kernels import FAMILIES
from .state import INPUTS, NOTES, ExploreState

__all__ = ["DECIMALS", "VOCABULARY", "colour_scale", "format_number", "view_data"]

#: Decimals of each kind of number (counts and sizes are integers).
DECIMALS = {"score": 4, "gain": 4, "tap": 4, "value": 3, "db": 1}

_PICTURE = (
    'The scikit-image picture "{name}" ({{shape}} samples; in 1-D its middle row), values '
    "{{lo}} to {{hi}}."
)

#: Every word the views show. Control names are :func:`explore_state`'s arguments.
VOCABULARY: dict[str, Any] = {
    "decimals": DECIMALS,
    "controls": [
        {"name": "ndim", "kind": "radio", "label": "axes", "options": [["1-D", 1], ["2-D", 2]]},
        {"name": "family", "kind": "select", "label": "kernel family", "options": list(FAMILIES)},
        {
            "name": "seed",
            "kind": "select",
            "label": "seed",
            "options": list(range(10)),
            "numeric": True,
        },
        {"name": "input_kind", "kind": "select", "label": "input", "options": list(INPUTS)},
        {
            "name": "input_size",
            "kind": "range",
            "label": "input size n",
            "min": 1,
            "max": 64,
            "only": "widget",
        },
        {"name": "kernel_size", "kind": "range", "label": "kernel size k", "min": 1, "max": 12},
        {"name": "stride", "kind": "range", "label": "stride s", "min": 1, "max": 6},
        {"name": "dilation", "kind": "range", "label": "dilation d", "min": 1, "max": 4},
        {
            "name": "output_padding",
            "kind": "range",
            "label": "output padding op",
            "min": 0,
            "max": 5,
        },
        {"name": "padding", "kind": "range", "label": "padding p", "min": 0, "max": 64},
        {
            "name": "paint_step",
            "kind": "range",
            "label": "paint: input samples",
            "min": 0,
            "max": 256,
        },
    ],
    "sub_kernel_label": "sub-kernel size k",
    "clamped": "{label} went from {old} to {new}: the largest torch accepts with the other "
    "controls.",
    "panels": {
        "input": {"title": "Input", "what": "The signal the layer upsamples."},
        "overlap": {
            "title": "Overlap map: how many (input, tap) pairs land on each output",
            "what": "Pale: the border. Gold frame (1-D: gold band): the interior, where the "
            "count depends only on the phase o mod s. The paint slider adds one input sample "
            "at a time (red: the newest sample's footprint).",
            "table": "The counts as a table",
        },
        "gains": {
            "title": "Phase gains",
            "what": "Sum of the taps landing on each output phase: the interior output for a "
            "constant input of 1. Equal gains mean no checkerboard, whatever the overlap.",
        },
        "output": {
            "title": "Output on the chosen input",
            "what": "Gold frame (1-D: gold band): the interior, where every tap sees an "
            "input. Outside it lies the border, a separate effect. Red positive, blue "
            "negative; viridis when no value is below 0.",
        },
        "spectrum": {
            "title": "Spectrum of the interior",
            "what": "Power of the interior crop (whole periods, mean removed), log scale. "
            "Circles (1-D: red lines) mark the stride harmonics m/s, where a checkerboard "
            "puts its power.",
        },
        "taps": {
            "title": "Kernel taps",
            "what": "The kernel as its family draws it (torch's ConvTranspose initialisation "
            "for default).",
            "table": "The taps as a table",
        },
        "scores": {"title": "Scores"},
        "formula": {"title": "Output size", "what": "torch's formula, with this layer's numbers."},
    },
    "labels": {
        "overlap_contrast": "overlap contrast: (max − min)/mean of the taps per phase",
        "checkerboard_score": "checkerboard score (closed form)",
        "noise_checkerboard": "noise checkerboard (closed form)",
        "holes": "holes (a phase gets no tap)",
        "harmonic_fraction": "measured harmonic fraction ({input} input)",
        "peak_db": "measured harmonic peak over the floor, dB ({input} input)",
    },
    "captions": {
        "input": {
            "constant": "Constant input: every sample is 1 ({shape} samples).",
            "noise": "White noise of seed 0 ({shape} samples), values {lo} to {hi}.",
            **{name: _PICTURE.format(name=name) for name in IMAGES},
        },
        "overlap": "{shape} output samples, {inside} of them interior; counts from 0 to {top}.",
        "painted": " Painted: the first {step} of {pixels} input samples, row by row.",
        "unlabelled": " The cells are too small to print the counts: see the table below.",
        "taps": "The {family} kernel: {shape} taps.",
        "output": "{shape} output samples on the {input} input; {scale} {lo} to {hi} (the "
        "layer's range at padding 0, so that padding crops without rescaling).",
        "interior": " Interior: outputs {first} to {last}{each}.",
        "no_interior": " No interior: every sample is border.",
        "spectrum": "Power spectrum of the {shape} interior crop (at padding 0).",
        "no_spectrum": "No spectrum: the interior holds less than one period of the stride.",
        "gains": "Phase gains, 4 decimals",
        "measure": (
            "Measured on the layer's output at padding 0 and output padding 0 (the {shape} "
            "{input} input), over its interior crop of whole periods. Rounding noise is no "
            "measurement: a harmonic amplitude below 1e-10 of the largest output the input "
            "and kernel can make counts as 0 (exact), with no peak (none); power off the "
            "harmonics that small makes the output exactly periodic, its peak over the floor ∞."
        ),
    },
    "words": {
        "pairs": "(input, tap) pairs",
        "scale": {"1": "value axis", "2": "colour scale"},
        "each": {"1": "", "2": " along each axis"},
    },
    "notes": NOTES,
}


def format_number(kind: str, value: Any) -> str:
    """A number as the views write it: rounded once, from full precision.

    ``kind`` is one of ``count``, ``int``, ``bool``, ``hf`` (a harmonic fraction: exactly
    0 is written ``0 (exact)``), ``db`` (``inf`` is ``∞``, ``-inf`` is ``none``) or a key
    of :data:`DECIMALS`. None and NaN are ``n/a``. The page's script writes the same
    strings (tested in a browser).

    Examples
    --------
    >>> format_number("score", 0.03125), format_number("gain", -1e-9)
    ('0.0312', '0.0000')
    >>> format_number("db", -math.inf), format_number("hf", 0.0)
    ('none', '0 (exact)')
    """
    check_choice("kind", kind, ("count", "int", "bool", "hf", "db", *DECIMALS))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "bool":
        return "yes" if check_bool("value", value) else "no"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number or None, got {value!r}")
    if kind in ("count", "int") and not float(value).is_integer():
        raise ValueError(f"value must be a whole number for kind {kind!r}, got {value!r}")
    if kind in ("count", "int"):
        return str(int(value))
    if kind == "db" and math.isinf(value):
        return "∞" if value > 0 else "none"
    if math.isinf(value):
        raise ValueError(f"value must be finite for kind {kind!r} (only dB may be infinite)")
    if kind == "hf" and value == 0:
        return "0 (exact)"
    decimals = DECIMALS["score" if kind == "hf" else kind]
    text = format(float(value), f".{decimals}f")
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def _array(a: np.ndarray, dtype: str, binary: bool) -> dict[str, Any]:
    data = np.ascontiguousarray(a, dtype=dtype).tobytes()  # little-endian on every host here
    return (
        {"dtype": dtype, "data": data}
        if binary
        else {
            "dtype": dtype,
            "b64": base64.b64encode(data).decode("ascii"),
        }
    )


def _finite(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else float(x)


def _axis(mask: np.ndarray, axis: int) -> list[int]:
    """The per-axis mask whose outer product is ``mask`` (along ``axis``)."""
    others = tuple(a for a in range(mask.ndim) if a != axis)
    return mask.any(axis=others).astype(int).tolist() if others else mask.astype(int).tolist()


def colour_scale(lo: float, hi: float) -> tuple[float, float]:
    """The ends of a colour scale for data from ``lo`` to ``hi``: symmetric about 0 for
    signed data, else from 0 (the script's rule too).

    Examples
    --------
    >>> colour_scale(-1.0, 3.0), colour_scale(0.5, 2.0), colour_scale(0.0, 0.0)
    ((-3.0, 3.0), (0.0, 2.0), (0.0, 1.0))
    """
    lo, hi = check_float("lo", lo), check_float("hi", hi)
    if lo > hi:
        raise ValueError(f"lo must be <= hi, got lo={lo!r} and hi={hi!r}")
    if lo < 0:
        m = max(-lo, hi) or 1.0
        return -m, m
    return 0.0, hi if hi > 0 else 1.0


def _steps(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``values`` as the 256 steps of a colour scale from ``lo`` to ``hi`` (for drawing)."""
    steps = np.floor((values - lo) * (255 / (hi - lo)) + 0.5)
    return np.clip(steps, 0, 255).astype(np.uint8)


def _spectrum(spectrum: np.ndarray | None, binary: bool) -> dict[str, Any]:
    """The spectrum as drawn: log10 power (a floor of 1e-12 of the peak), DC in the middle,
    in 256 steps of its range (the range's ends are written, so sent exactly)."""
    if spectrum is None:
        return {"spectrum": None}
    logs = np.fft.fftshift(np.log10(spectrum + 1e-12 * (float(spectrum.max()) or 1.0)))
    lo, hi = float(logs.min()), float(logs.max())
    steps = _steps(logs, lo, hi if hi > lo else lo + 1)
    return {"spectrum": _array(steps, "u1", binary), "spectrum_lo": lo, "spectrum_hi": hi}


def view_data(state: ExploreState, *, binary: bool = True) -> dict[str, Any]:
    """Everything the views draw for ``state``, JSON-ready, numbers at full precision.

    Parameters
    ----------
    state : ExploreState
    binary : bool
        Arrays as ``{"dtype", "data": bytes}`` (the widget sends them as binary buffers)
        or ``{"dtype", "b64": str}`` (plain JSON).

    Returns
    -------
    dict
        ``nd``, ``n``, ``input``, ``signal`` (+ ``signal_lo``, ``signal_hi``), ``L``,
        ``painted``, ``overlap_max``, ``interior_axis`` and ``newest_axes`` (per-axis masks
        whose outer product is the mask), ``step``, ``pixels``, ``s``, ``gains``, ``k``,
        ``taps``, ``family``, ``output`` (only drawn: in 256 steps of its colour scale,
        :func:`colour_scale` of ``output_lo`` and ``output_hi``), ``spectrum`` (log10
        power, DC in the middle, in 256 steps from ``spectrum_lo`` to ``spectrum_hi``) and
        ``crop_shape`` (or None),
        ``scores``, ``terms``,
        ``notes``, ``key`` and ``kernel_key`` (what a view depends on: a view is redrawn
        only when its key changes) and ``status``. The offline page builds the same dict
        in its script, from its embedded data.

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> v = view_data(explore_state(ndim=1, kernel_size=3, stride=2, input_size=4), binary=False)
    >>> v["L"], v["s"], round(v["scores"]["cb"], 12), v["terms"][0]["size"]
    (9, 2, 0.1, 9)
    """
    check_instance("state", state, ExploreState, hint="explore_state() gives one")
    binary = check_bool("binary", binary)
    st = state
    lay = st.layers[-1]
    # what is only drawn travels light (the numbers written are sent at full precision)
    arrays = {
        "signal": (st.signal, "<f8"),
        "painted": (st.painted, "u1" if st.painted.max() < 2**8 else "<i4"),
        "gains": (st.phase_gains, "<f8"),
        "taps": (st.kernel, "<f8"),
        "output": (_steps(st.output, *colour_scale(*st.output_range)), "u1"),
    }
    view: dict[str, Any] = {name: _array(a, t, binary) for name, (a, t) in arrays.items()}
    stacked = len(st.layers) > 1
    geometry = [
        [x.kernel_size, x.stride, x.padding, x.output_padding, x.dilation] for x in st.layers
    ]
    kernels = [[x.family, x.kernel_size, x.stride, x.seed] for x in st.layers]
    view |= {
        "nd": st.ndim,
        "n": st.input_size,
        "input": st.input_kind,
        "signal_lo": float(st.signal.min()),
        "signal_hi": float(st.signal.max()),
        "L": st.output_size[0],
        "overlap_max": int(st.overlap.max()),
        # the interior and the newest sample's reach are outer products of per-axis masks
        "interior_axis": _axis(st.interior, 0),
        "newest_axes": [_axis(st.newest, a) for a in range(st.ndim)] if st.newest.any() else None,
        "step": st.paint_step,
        "pixels": st.pixels,
        "s": st.stride[0],
        "k": st.kernel.shape[0],
        "family": "composite" if stacked else lay.family,
        "output_lo": st.output_range[0],
        "output_hi": st.output_range[1],
        **_spectrum(st.spectrum, binary),
        "crop_shape": None if st.crop is None else list(st.crop.shape),
        "scores": {
            "oc": st.overlap_contrast,
            "layer_oc": list(st.layer_contrasts),
            "cb": st.checkerboard_score,
            "ncb": st.noise_checkerboard,
            "holes": st.holes,
            "hf": _finite(st.harmonic_fraction),
            "db": _finite(st.peak_db),
        },
        "terms": [dict(t) for t in st.size_terms],
        "notes": [list(note) for note in st.notes],
        "key": repr([st.ndim, st.input_size, geometry]),
        "kernel_key": repr(kernels),
        "status": (
            "layers: "
            + "; ".join(
                f"k{x.kernel_size} s{x.stride} p{x.padding} op{x.output_padding} d{x.dilation} "
                f"{x.family}"
                for x in st.layers
            )
            if stacked
            else None
        ),
    }
    return view
