"""The explorer's state: everything its views draw, one pure function of the controls.

:func:`explore_state` takes the controls' values and returns a frozen :class:`ExploreState`
holding the overlap map (and the part painted so far), the interior mask, the phase gains,
the input and the output, the interior crop and its spectrum, the scores and the size
formula, each computed by the library (``overlap_map``, ``phase_gains``,
``checkerboard_score``, ``composite``, ``output_size_terms``, ...). The widget
(:mod:`artifact_lab.explorer.widget`) and the offline page (:mod:`artifact_lab.explorer.page`)
show it with the same words and the same rounding (:mod:`artifact_lab.explorer.views`).

Stack mode: the layers of ``stack`` come first, the controls' layer last; the state is then
that of the stack (its overlap map for all-ones kernels, its output) and of the composite
layer (:func:`artifact_lab.core.stacks.composite`) that scores it.

Every array is bounded before any work (:data:`MAX_SAMPLES` samples, :data:`MAX_WORK`
multiply-adds per convolution): a setting beyond the bounds is refused with the argument,
the rule and the smallest change that fits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np

from .._util.checks import (
    as_real_array,
    check_choice,
    check_float,
    check_instance,
    check_int,
    check_ndim,
    per_axis,
)
from ..core.arithmetic import TransposedConv, output_size_terms
from ..core.images import IMAGES, load_image
from ..core.kernels import FAMILIES, FIXED_SIZE, make_kernel
from ..core.overlap import (
    MAX_ELEMENTS,
    has_holes,
    interior_mask,
    overlap_contrast,
    overlap_map,
    phase_counts,
)
from ..core.scores import checkerboard_score, noise_checkerboard, noise_gains, phase_gains
from ..core.spectral import interior_crop, power_spectrum
from ..core.stacks import composite, stack_interior, stack_response

__all__ = [
    "FLOAT_FLOOR",
    "INPUTS",
    "MAX_INPUT",
    "MAX_SAMPLES",
    "MAX_WORK",
    "NOTES",
    "ExploreState",
    "Layer",
    "check_stack",
    "explore_state",
    "input_signal",
    "kernel_length",
    "layer_kernel",
    "measure_crop",
]

#: Input choices: a constant of ones, seeded white noise, or a bundled scikit-image picture
#: (in 1-D: the picture's middle row).
INPUTS = ("constant", "noise", *IMAGES)
#: Largest input side.
MAX_INPUT = 256
#: Largest array the state holds (output, kernel, phases): 2**22 samples (32 MiB of float64).
MAX_SAMPLES = 2**22
#: Largest convolution: input samples times kernel taps, 2**26 multiply-adds (about 1 s).
MAX_WORK = 2**26
#: Harmonic (or off-harmonic) amplitude below this fraction of the largest output the input
#: and kernel can make (``max|x| * sum|K|``) is rounding noise: float64 sums of at most a few
#: thousand products leave below 1e-12 of it, and nothing a picture can show is this small.
FLOAT_FLOOR = 1e-10
NOISE_SEED = 0
#: The notes' sentences, filled with ``str.format`` here and the same way on the page.
NOTES = {
    "fixed_k": "The {family} kernel's size follows the stride: k = {k}.",
    "empty_interior": (
        "Empty interior: no output sample shown receives every tap from a valid input (it "
        "would run from d·(k−1) − p = {first} to (n−1)·s − p = {last}). Everything drawn "
        "is border."
    ),
    "empty_stack": (
        "Empty interior: no output sample shown reads only valid samples through every "
        "layer. Everything drawn is border."
    ),
    "no_crop": (
        "The interior at padding 0 holds less than one period of the stride: no measured "
        "scores, no spectrum."
    ),
    "border": (
        "Border: {border} of {total} output samples lie outside the interior (drawn paler); "
        "there the values depend on the edges, not on the phases."
    ),
    "cut": (
        "Padding p = {p} > d·(k−1) = {reach} crops part of the steady state away; the "
        "measured scores are of the whole interior, at padding 0."
    ),
    "holes": "Some output phases receive no tap at all (holes).",
    "zero_gain": "Every phase gain is 0: a constant input gives no interior output.",
    "exact_zero": (
        "The harmonic power is at the rounding floor (amplitude below 1e-10 of the largest "
        "output the input and kernel can make): counted as exactly 0, no peak."
    ),
    "periodic": (
        "The output is exactly periodic (the power off the harmonics is at the rounding "
        "floor): its peak over that floor is unbounded (∞)."
    ),
}


@dataclass(frozen=True)
class Layer:
    """One layer of a stack, as the controls describe it.

    ``kernel_size`` is ignored by ``bilinear`` and ``hold`` (their size follows the
    stride); for ``icnr`` it is the sub-kernel size and the transposed kernel is
    ``kernel_size * stride``.

    Examples
    --------
    >>> Layer(4, 2, 1)
    Layer(kernel_size=4, stride=2, padding=1, output_padding=0, dilation=1, family='ones', seed=0)
    """

    kernel_size: int = 3
    stride: int = 2
    padding: int = 0
    output_padding: int = 0
    dilation: int = 1
    family: str = "ones"
    seed: int = 0

    def __post_init__(self) -> None:  # a layer that exists is a valid one
        check_choice("family", self.family, FAMILIES)
        for name in ("kernel_size", "stride", "dilation"):
            check_int(name, getattr(self, name), minimum=1)
        for name in ("padding", "output_padding", "seed"):
            check_int(name, getattr(self, name), minimum=0)


@dataclass(frozen=True, eq=False)
class ExploreState:
    """Everything the explorer's views draw, for one setting of the controls.

    Attributes
    ----------
    ndim, input_size, input_kind : the input (``input_size`` per axis).
    layers : tuple of Layer
        The stack, the controls' layer last (one layer outside stack mode). Each layer's
        ``kernel_size`` is the effective one (bilinear, hold and icnr fix it).
    kernel : ndarray
        The layer's kernel, or the stack's composite kernel.
    stride, padding, output_padding : tuple of int
        Per axis; of the composite layer in stack mode.
    dilation : int
        Of the layer (1 in stack mode: the composite kernel holds the dilations' zeros).
    overlap, interior : ndarray
        Overlap map (int64) and steady-state mask over the output (the stack's all-ones
        response and its interior, :func:`artifact_lab.core.stacks.stack_interior`, in stack
        mode).
    painted, newest : ndarray
        The overlap map of the first ``paint_step`` input samples (row-major), and the
        output samples the last of them reaches (bool); ``painted`` is ``overlap`` and
        ``newest`` all False when every sample is painted.
    paint_step, pixels : int
        Input samples painted, and input samples in all (``input_size ** ndim``).
    phase_counts : ndarray or None
        Taps per phase (one layer only).
    phase_gains, noise_gains : ndarray, shape ``(s,)*ndim``
    signal, output : ndarray
        The chosen input and the layer's (stack's) output on it.
    output_range : (float, float)
        Smallest and largest output at padding 0 and output padding 0 of the controls'
        layer: the views' colour scale, fixed while padding crops the output.
    crop, spectrum : ndarray or None
        Interior crop of whole periods and its power spectrum (mean removed, DC at index
        0), of the output at padding 0 and output padding 0 of the controls' layer (where
        the whole steady state is in view: padding only crops it); None when that interior
        holds less than one period.
    overlap_contrast : float or None
        Of the layer (None in stack mode: see ``layer_contrasts``).
    layer_contrasts : tuple of float
    checkerboard_score, noise_checkerboard : float
        Closed forms.
    harmonic_fraction, peak_db : float
        Measured on ``crop``: the fraction of its power at the non-zero stride harmonics,
        and the strongest harmonic over the mean power off the harmonics, in dB. Rounding
        noise is no measurement: a harmonic amplitude below :data:`FLOAT_FLOOR` of
        ``max|x| * sum|K|`` counts as exactly zero (fraction 0.0, ``peak_db`` -inf: no
        peak), an off-harmonic one likewise (``peak_db`` +inf: an exactly periodic
        output). NaN without a crop.
    holes, zero_gain : bool
    size_terms : tuple of dict
        :func:`artifact_lab.core.arithmetic.output_size_terms` of each layer (axis 0; every axis
        has the same geometry), the input of layer ``i+1`` being the output of layer ``i``.
    output_size : tuple of int
    notes : tuple of (str, str)
        ``(key, sentence)`` pairs saying what the pictures alone do not: an empty
        interior, the border, holes, a zero gain, rounding-level measurements, ...
    """

    ndim: int
    input_size: int
    input_kind: str
    layers: tuple[Layer, ...]
    kernel: np.ndarray
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: int
    overlap: np.ndarray
    interior: np.ndarray
    painted: np.ndarray
    newest: np.ndarray
    paint_step: int
    pixels: int
    phase_counts: np.ndarray | None
    phase_gains: np.ndarray
    noise_gains: np.ndarray
    signal: np.ndarray
    output: np.ndarray
    output_range: tuple[float, float]
    crop: np.ndarray | None
    spectrum: np.ndarray | None
    overlap_contrast: float | None
    layer_contrasts: tuple[float, ...]
    checkerboard_score: float
    noise_checkerboard: float
    harmonic_fraction: float
    peak_db: float
    holes: bool
    zero_gain: bool
    size_terms: tuple[dict[str, int], ...]
    output_size: tuple[int, ...]
    notes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def scores(self) -> dict[str, Any]:
        """The numbers of the scores view, by name."""
        return {
            "overlap_contrast": self.overlap_contrast,
            "checkerboard_score": self.checkerboard_score,
            "noise_checkerboard": self.noise_checkerboard,
            "holes": self.holes,
            "harmonic_fraction": self.harmonic_fraction,
            "peak_db": self.peak_db,
        }

    @property
    def formula(self) -> list[str]:
        """The output-size formula with the numbers filled in, one line per layer."""
        lines = []
        for i, t in enumerate(self.size_terms):
            name = f"L{i + 1}" if len(self.size_terms) > 1 else "L"
            lines.append(
                f"{name} = (n-1)*s - 2*p + d*(k-1) + op + 1 = "
                f"({t['n']}-1)*{t['s']} - 2*{t['p']} + {t['d']}*({t['k']}-1) + {t['op']} + 1 = "
                f"{t['stretch']} {_signed(t['crop'])} + {t['reach']} + {t['extra']} + 1 = "
                f"{t['size']}"
            )
        return lines

    def to_frame(self):
        """One row: the controls of the last layer and every score."""
        import pandas as pd

        row = {"ndim": self.ndim, "input_size": self.input_size, "input": self.input_kind}
        row |= asdict(self.layers[-1]) | {"layers": len(self.layers)}
        row |= self.scores
        return pd.DataFrame([row])


def _signed(v: int) -> str:
    return f"- {-v}" if v < 0 else f"+ {v}"


def kernel_length(family: str, kernel_size: int, stride: int) -> int:
    """Taps per axis of the kernel :func:`layer_kernel` makes, without making it.

    Examples
    --------
    >>> kernel_length("bilinear", 7, 3), kernel_length("icnr", 3, 2), kernel_length("ones", 4, 2)
    (5, 6, 4)
    """
    check_choice("family", family, FAMILIES)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    if family == "bilinear":
        return 2 * s - s % 2
    if family == "hold":
        return s
    return k * s if family == "icnr" else k


def layer_kernel(layer: Layer, ndim: int) -> np.ndarray:
    """The kernel of one layer (``kernel_size`` ignored where the family fixes it).

    Examples
    --------
    >>> layer_kernel(Layer(5, 2, family="bilinear"), 1)
    array([0.25, 0.75, 0.75, 0.25])
    """
    check_instance("layer", layer, Layer, hint="Layer(kernel_size, stride, ...)")
    nd = check_ndim(ndim)
    k = kernel_length(layer.family, layer.kernel_size, layer.stride)
    if k**nd > MAX_SAMPLES:
        raise ValueError(
            f"layer {layer} needs a kernel of {k**nd:,} taps ({nd}-D), above MAX_SAMPLES = "
            f"{MAX_SAMPLES:,}: use kernel_size (or stride, for {layer.family!r}) at most "
            f"{int(MAX_SAMPLES ** (1 / nd))} taps per axis"
        )
    size = None if layer.family in FIXED_SIZE else layer.kernel_size
    return make_kernel(layer.family, size, layer.stride, ndim=nd, seed=layer.seed)


def input_signal(kind: str, n: int, ndim: int) -> np.ndarray:
    """The explorer's input: ones, white noise of seed 0, or a picture (its middle row in 1-D).

    Float64, shape ``(n,) * ndim``; the same input on the page and in the widget.

    Examples
    --------
    >>> input_signal("constant", 3, 1)
    array([1., 1., 1.])
    >>> input_signal("noise", 4, 2).shape
    (4, 4)
    """
    check_choice("kind", kind, INPUTS)
    n = check_int("n", n, minimum=1)
    if n > MAX_INPUT:
        raise ValueError(f"n must be <= {MAX_INPUT} (the explorer's largest input), got {n}")
    nd = check_ndim(ndim)
    if nd == 3:
        raise ValueError("ndim must be 1 or 2 in the explorer (its views are 1-D and 2-D)")
    return _signal(kind, n, nd).copy()


@lru_cache(maxsize=64)
def _signal(kind: str, n: int, ndim: int) -> np.ndarray:
    if kind == "constant":
        return np.ones((n,) * ndim)
    if kind == "noise":
        return np.random.default_rng(NOISE_SEED).standard_normal((n,) * ndim)
    picture = load_image(kind, (n, n)).numpy()
    return picture if ndim == 2 else picture[n // 2].copy()


def check_stack(stack: object) -> tuple[Layer, ...]:
    """``stack`` as a tuple of :class:`Layer` (each was checked when it was made).

    Examples
    --------
    >>> check_stack([Layer(3, 2)])[0].stride
    2
    """
    if isinstance(stack, Layer) or not isinstance(stack, Sequence) or isinstance(stack, str):
        raise TypeError(f"stack must be a sequence of Layer, got {stack!r}")
    for i, layer in enumerate(stack):
        if not isinstance(layer, Layer):
            raise TypeError(f"stack[{i}] must be an explorer Layer, got {layer!r}")
    return tuple(stack)


# --- bounds: every array and convolution sized before any work ----------------------------


def _excess(n: int, layers: Sequence[Layer], nd: int) -> tuple[int, str] | None:
    """``(layer index, what is too large)`` for the first bound a setting breaks, or None.

    Raises torch's size rules (ValueError) as :func:`output_size_terms` words them.
    """
    size, span, period = n, 0, 1  # composite kernel span and stride, per axis
    for i, lay in enumerate(layers):
        k = kernel_length(lay.family, lay.kernel_size, lay.stride)
        s, d = lay.stride, lay.dilation
        if k**nd > MAX_SAMPLES:
            return i, f"a kernel of {k**nd:,} taps ({k:,} per axis)"
        if s**nd > MAX_SAMPLES:
            return i, f"{s**nd:,} phases ({s:,} per axis)"
        reach = d * (k - 1) + 1
        if size**nd * k**nd > MAX_WORK:
            return i, f"a convolution of {size**nd * k**nd:,} multiply-adds"
        t = output_size_terms(size, k, s, lay.padding, lay.output_padding, d)[0]
        full = (size - 1) * s + reach + lay.output_padding
        if max(full, t["size"]) ** nd > MAX_SAMPLES:
            return i, f"an output of {full**nd:,} samples ({full:,} per axis)"
        if full**nd * k > MAX_ELEMENTS or full * k > MAX_WORK // 8:  # overlap_map's cost
            return i, f"an overlap map costing {full * k:,} steps per axis"
        if i:  # the composite kernel: zero-inserted, then convolved with this one
            inserted = (span - 1) * s + 1
            if (inserted + reach - 1) ** nd > MAX_SAMPLES:
                return i, f"a composite kernel of {(inserted + reach - 1) ** nd:,} taps"
            if inserted**nd * reach**nd > MAX_WORK:
                return i, f"a composite kernel costing {inserted**nd * reach**nd:,} multiply-adds"
            span, period = inserted + reach - 1, period * s
        else:
            span, period = reach, s
        if period**nd > MAX_SAMPLES:
            return i, f"{period**nd:,} composite phases ({period:,} per axis)"
        size = t["size"]
    return None


def _fits(n: int, layers: Sequence[Layer], nd: int) -> bool:
    try:
        return _excess(n, layers, nd) is None
    except ValueError:  # torch's size rules: a change that breaks them does not fit
        return False


def _largest(fits, low: int, high: int) -> int | None:
    """The largest ``v`` in ``[low, high]`` with ``fits(v)``, for a monotone ``fits``."""
    if not fits(low):
        return None
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if fits(mid) else (low, mid - 1)
    return low


def _check_bounds(n: int, layers: list[Layer], nd: int) -> None:
    """Refuse a setting whose arrays or convolutions exceed the bounds, before any work."""
    found = _excess(n, layers, nd)
    if found is None:
        return
    i, what = found
    last = i == len(layers) - 1
    prefix = "" if last else f"stack[{i}]."
    lay = layers[i]
    # every single change that fits, smallest relative change first
    changes = []
    best = _largest(lambda v: _fits(v, layers, nd), 1, n - 1) if n > 1 else None
    if best is not None:
        changes.append((n / best, f"input_size <= {best}"))
    names = ["stride", "dilation"] + ([] if lay.family in FIXED_SIZE else ["kernel_size"])
    for name in names:
        value = getattr(lay, name)

        def fits(v: int, name: str = name) -> bool:
            return _fits(n, [*layers[:i], replace(lay, **{name: v}), *layers[i + 1 :]], nd)

        best = _largest(fits, 1, value - 1) if value > 1 else None
        if best is not None:
            changes.append((value / best, f"{prefix}{name} <= {best}"))
    ok = ", or ".join(text for _, text in sorted(changes)) or "no single change of this layer"
    where = "the controls' layer" if last else f"layer stack[{i}]"
    raise ValueError(
        f"{where} (kernel_size={lay.kernel_size}, stride={lay.stride}, "
        f"dilation={lay.dilation}, family={lay.family!r}) on input_size={n} ({nd}-D) needs "
        f"{what}; the explorer holds at most {MAX_SAMPLES:,} samples per array (MAX_SAMPLES) "
        f"and {MAX_WORK:,} multiply-adds per convolution (MAX_WORK; an overlap map at most "
        f"{MAX_WORK // 8:,} steps per axis). What fits: {ok}"
    )


# --- the state --------------------------------------------------------------------------


def explore_state(
    *,
    ndim: int = 2,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
    family: str = "ones",
    seed: int = 0,
    input_kind: str = "constant",
    input_size: int = 16,
    stack: Sequence[Layer] = (),
    paint_step: int | None = None,
) -> ExploreState:
    """The data of every explorer view for one setting of the controls (no widgets).

    Parameters
    ----------
    ndim : {1, 2}
        Spatial axes; the geometry is the same on every axis.
    kernel_size, stride, padding, output_padding, dilation : int
        The layer on the controls, as in ``torch.nn.ConvTranspose{1,2}d``.
    family : str
        One of :data:`artifact_lab.core.kernels.FAMILIES`. ``bilinear`` and ``hold`` take their
        size from the stride (``kernel_size`` is ignored); ``icnr``'s ``kernel_size`` is
        the sub-kernel size, its transposed kernel has ``kernel_size * stride`` taps.
    seed : int
        Seed of the random families (``default``, ``normal``, ``icnr``).
    input_kind : str
        One of :data:`INPUTS`: ``constant`` (ones), ``noise`` (white, seed 0), or a bundled
        scikit-image picture (its middle row in 1-D).
    input_size : int
        Input samples per axis, 1 to :data:`MAX_INPUT`.
    stack : sequence of Layer
        Earlier layers; when not empty the views show the stack ending with the controls'
        layer, scored through its composite kernel.
    paint_step : int, optional
        Paint only the first ``paint_step`` input samples (row-major) into the overlap map,
        0 to ``input_size ** ndim``; None paints all.

    Returns
    -------
    ExploreState

    Raises
    ------
    ValueError, TypeError
        A control out of range, naming it, its value and the rule (torch's rules for the
        geometry; :data:`MAX_SAMPLES` and :data:`MAX_WORK` for the sizes, with the
        smallest change that fits), before any work.

    Examples
    --------
    >>> st = explore_state(ndim=1, kernel_size=3, stride=2, input_size=4)
    >>> st.overlap, st.phase_gains, round(st.checkerboard_score, 3)
    (array([1, 1, 2, 1, 2, 1, 2, 1, 1]), array([2., 1.]), 0.1)
    >>> st.formula[0]
    'L = (n-1)*s - 2*p + d*(k-1) + op + 1 = (4-1)*2 - 2*0 + 1*(3-1) + 0 + 1 = 6 + 0 + 2 + 0 + 1 = 9'
    >>> explore_state(ndim=1, kernel_size=3, stride=2, input_size=4, paint_step=1).painted
    array([1, 1, 1, 0, 0, 0, 0, 0, 0])
    """
    nd = check_ndim(ndim)
    if nd == 3:
        raise ValueError("ndim must be 1 or 2 in the explorer (its views are 1-D and 2-D)")
    n = check_int("input_size", input_size, minimum=1)
    if n > MAX_INPUT:
        raise ValueError(f"input_size must be <= {MAX_INPUT} in the explorer, got {n}")
    check_choice("input_kind", input_kind, INPUTS)
    current = Layer(kernel_size, stride, padding, output_padding, dilation, family, seed)
    layers = [*check_stack(stack), current]
    pixels = n**nd
    if paint_step is not None:
        paint_step = check_int("paint_step", paint_step, minimum=0)
        if paint_step > pixels:
            raise ValueError(
                f"paint_step must be <= input_size**ndim = {pixels} (the input's samples), "
                f"got {paint_step}"
            )
    terms, size = [], n
    for lay in layers:  # torch's size rules, then the explorer's bounds, before any work
        k = kernel_length(lay.family, lay.kernel_size, lay.stride)
        t = output_size_terms(size, k, lay.stride, lay.padding, lay.output_padding, lay.dilation)
        terms.append(t[0])
        size = t[0]["size"]
    _check_bounds(n, layers, nd)

    kernels = [layer_kernel(layer, nd) for layer in layers]
    layers = [replace(lay, kernel_size=k.shape[0]) for lay, k in zip(layers, kernels, strict=True)]
    geoms = [
        TransposedConv(
            lay.kernel_size, lay.stride, lay.padding, lay.output_padding, lay.dilation, ndim=nd
        )
        for lay in layers
    ]
    x = _signal(input_kind, n, nd)
    # the last layer at padding 0 and output padding 0: the whole steady state in view
    last = replace(geoms[-1], padding=(0,) * nd, output_padding=(0,) * nd)
    full = _through(x, [*geoms[:-1], last], kernels, nd)
    output = _cropped(full, layers[-1].padding, layers[-1].output_padding)
    if len(layers) == 1:
        view = _one_layer(layers[0], kernels[0], n, nd, full)
    else:
        view = _stack(layers, geoms, kernels, n, nd, full)
    notes = list(view.pop("notes"))
    kern, strides, dil, pad = view["kernel"], view["stride"], view["dilation"], view["padding"]
    gains = phase_gains(kern, strides, dil, pad)
    zero_gain = bool(np.all(gains == 0))

    step = pixels if paint_step is None else paint_step
    painted, newest = view["overlap"], np.zeros(output.shape, bool)
    if step < pixels:
        ones = [np.ones((g.kernel_size[0],) * nd) for g in geoms]
        mask = (np.arange(pixels) < step).reshape((n,) * nd).astype(np.float64)
        painted = np.rint(_through(mask, geoms, ones, nd)).astype(np.int64)
        if step:
            delta = np.zeros(pixels)
            delta[step - 1] = 1.0
            newest = _through(delta.reshape((n,) * nd), geoms, ones, nd) > 0.5

    crop = view.pop("crop")
    spectrum, frac, db = None, math.nan, math.nan
    if crop is not None:
        scale = float(np.abs(x).max()) * float(np.abs(kern).sum())
        frac, db, floor = measure_crop(crop, strides, scale)
        spectrum = power_spectrum(crop, ndim=nd)
        if floor:
            notes.append(floor)
    notes += _notes(layers, view, n, nd, output, crop, zero_gain, terms)
    return ExploreState(
        ndim=nd,
        input_size=n,
        input_kind=input_kind,
        layers=tuple(layers),
        painted=painted,
        newest=newest,
        paint_step=step,
        pixels=pixels,
        phase_gains=gains,
        noise_gains=noise_gains(kern, strides, dil, pad),
        signal=x.copy(),
        output=output,
        output_range=(float(full.min()), float(full.max())),
        crop=crop,
        spectrum=spectrum,
        harmonic_fraction=float(frac),
        peak_db=float(db),
        zero_gain=zero_gain,
        size_terms=tuple(terms),
        output_size=tuple(output.shape),
        notes=tuple(notes),
        **view,
    )


def _cropped(full: np.ndarray, p: int, op: int) -> np.ndarray:
    """What padding and output padding make of the padding-0 output ``y0``: ``y[o] = y0[o +
    p]``, zero past the end of ``y0`` (no tap reaches there), ``len(y0) - 2p + op`` long."""
    L0 = full.shape[0]
    L = L0 - 2 * p + op
    m = max(min(L, L0 - p), 0)
    out = np.zeros((L,) * full.ndim)
    out[(slice(0, m),) * full.ndim] = full[(slice(p, p + m),) * full.ndim]
    return out


def _through(x: np.ndarray, geoms, kernels, nd: int) -> np.ndarray:
    """``x`` through the layers: each a one-channel transposed convolution, float64.

    Tap by tap, ``y[i*s + j*d - p] += K[j] * x[i]`` as strided slices of the padding-0
    output (one array operation per tap: several times faster than torch's
    ``conv_transpose`` on one channel; the tests compare the two).
    """
    y = np.asarray(x, dtype=np.float64)
    for geom, kern in zip(geoms, kernels, strict=True):
        n, s, d = y.shape[0], geom.stride[0], geom.dilation[0]
        k = kern.shape[0]
        full = np.zeros(((n - 1) * s + d * (k - 1) + 1,) * nd)
        span = (n - 1) * s + 1
        for j in np.ndindex(*kern.shape):
            if kern[j]:
                full[tuple(slice(a * d, a * d + span, s) for a in j)] += kern[j] * y
        y = _cropped(full, geom.padding[0], geom.output_padding[0])
    return y


def measure_crop(
    crop: np.ndarray, stride: Sequence[int], scale: float
) -> tuple[float, float, tuple[str, str] | None]:
    """Harmonic fraction and peak over the floor (dB) of an interior crop, rounding aside.

    Parameters
    ----------
    crop : ndarray
        Whole periods of the output's interior (:func:`artifact_lab.core.spectral.interior_crop`).
    stride : sequence of int
        Per axis.
    scale : float
        The largest output the input and kernel can make, ``max|x| * sum|K|``: a harmonic
        (or off-harmonic) power below ``(FLOAT_FLOOR * scale)**2`` per sample is rounding
        noise, and counts as exactly zero.

    Returns
    -------
    (float, float, note or None)
        The fraction of the power at the non-zero harmonics ``m/s`` (as
        :func:`artifact_lab.core.spectral.harmonic_stats`; 0.0 at the floor), the strongest
        harmonic over the mean power off the harmonics in dB (-inf: no harmonic above the
        floor; +inf: nothing off the harmonics above it, an exactly periodic output), and
        the note that says which rule applied.

    Examples
    --------
    >>> measure_crop(np.tile([2.0, 1.0], 4), [2], 2.0)[:2]
    (0.1, inf)
    >>> measure_crop(np.ones(8), [2], 1.0)[:2]
    (0.0, -inf)
    """
    crop = as_real_array("crop", crop)
    if crop.ndim not in (1, 2):
        raise ValueError(f"crop must be 1-D or 2-D (the explorer's views), got shape {crop.shape}")
    stride = per_axis("stride", stride, crop.ndim, minimum=1)
    scale = check_float("scale", scale, minimum=0)
    if crop.size > MAX_SAMPLES:
        raise ValueError(f"crop holds {crop.size:,} samples, above MAX_SAMPLES = {MAX_SAMPLES:,}")
    if any(m % s for m, s in zip(crop.shape, stride)):
        raise ValueError(f"crop of shape {crop.shape} must hold whole periods of stride {stride}")
    power = np.abs(np.fft.fftn(crop)) ** 2
    bins = crop.size
    on_grid = np.zeros(crop.shape, bool)
    on_grid[tuple(slice(None, None, m // s) for m, s in zip(crop.shape, stride))] = True
    harmonic = power[on_grid]  # DC first
    total = float(power.sum())
    on = float(harmonic[1:].sum())  # the non-zero harmonics
    off = float(power[~on_grid].sum())  # summed, not total minus harmonics: no cancellation
    floor = (FLOAT_FLOOR * scale) ** 2 * bins**2  # Parseval: |FFT|^2 sums to bins * sum y^2
    if on <= floor:
        return 0.0, -math.inf, ("exact_zero", NOTES["exact_zero"])
    frac = on / total
    if off <= floor:
        return frac, math.inf, ("periodic", NOTES["periodic"])
    peak = float(harmonic[1:].max())  # on > 0: there is a non-zero harmonic
    return frac, 10 * math.log10(peak / (off / (bins - len(harmonic)))), None


def _one_layer(lay: Layer, kern: np.ndarray, n: int, nd: int, full: np.ndarray) -> dict:
    """The views of one layer; ``full`` is its output at padding 0 and output padding 0."""
    k, s, p, op, d = lay.kernel_size, lay.stride, lay.padding, lay.output_padding, lay.dilation
    args = ((n,) * nd, k, s, p, op, d)
    try:
        crop = interior_crop(full, (n,) * nd, k, s, 0, 0, d)
    except ValueError:  # the interior holds less than one period
        crop = None
    contrast = overlap_contrast(k, s, d, p, ndim=nd)
    return {
        "kernel": kern,
        "stride": (s,) * nd,
        "padding": (p,) * nd,
        "output_padding": (op,) * nd,
        "dilation": d,
        "overlap": overlap_map(*args, ndim=nd),
        "interior": interior_mask(*args, ndim=nd),
        "phase_counts": phase_counts(k, s, d, p, ndim=nd),
        "overlap_contrast": contrast,
        "layer_contrasts": (contrast,),
        "checkerboard_score": float(checkerboard_score(kern, s, d, p)),
        "noise_checkerboard": float(noise_checkerboard(kern, s, d, p)),
        "holes": has_holes(k, s, d, ndim=nd),
        "crop": crop,
        "notes": (),
    }


def _stack(layers, geoms, kernels, n: int, nd: int, full: np.ndarray) -> dict:
    """The views of a stack; ``full`` is its output with the last layer at padding 0."""
    comp = composite(geoms, kernels)
    axes = [
        TransposedConv(x.kernel_size, x.stride, x.padding, x.output_padding, x.dilation, ndim=1)
        for x in layers
    ]
    axis = stack_interior(n, axes)
    interior = axis if nd == 1 else np.logical_and.outer(axis, axis)
    crop = None
    hit = np.flatnonzero(
        stack_interior(n, [*axes[:-1], replace(axes[-1], padding=0, output_padding=0)])
    )
    S = comp.stride[0]
    if len(hit) and hit[-1] - hit[0] + 1 == len(hit) and len(hit) >= S:
        window = slice(hit[0], hit[0] + len(hit) // S * S)  # whole periods, as interior_crop
        crop = full[(window,) * nd]
    ones = composite(geoms)
    return {
        "kernel": comp.kernel,
        "stride": comp.stride,
        "padding": comp.padding,
        "output_padding": comp.output_padding,
        "dilation": 1,  # the composite kernel holds the dilations' zeros
        "overlap": np.rint(stack_response((n,) * nd, geoms, device="cpu")).astype(np.int64),
        "interior": interior,
        "phase_counts": None,
        "overlap_contrast": None,
        "layer_contrasts": tuple(
            overlap_contrast(x.kernel_size, x.stride, x.dilation, x.padding, ndim=nd)
            for x in layers
        ),
        "checkerboard_score": comp.checkerboard_score,
        "noise_checkerboard": comp.noise_checkerboard,
        "holes": bool((phase_gains(ones.kernel, ones.stride) == 0).any()),
        "crop": crop,
        "notes": (
            (
                "stack",
                f"A stack of {len(layers)} layers acts as one layer with a "
                f"{'×'.join(map(str, comp.kernel.shape))} kernel, stride {comp.stride[0]}, "
                f"padding {comp.padding[0]} and output padding {comp.output_padding[0]} "
                "(per axis): the scores are that layer's.",
            ),
        ),
    }


def _notes(layers, view, n, nd, output, crop, zero_gain, terms) -> list[tuple[str, str]]:
    """What the pictures alone do not say, from :data:`NOTES` (the page fills the same)."""
    keys: list[tuple[str, dict]] = []
    lay = layers[-1]
    if lay.family in FIXED_SIZE:
        keys.append(("fixed_k", {"family": lay.family, "k": lay.kernel_size}))
    inside = int(view["interior"].sum())
    if inside == 0:
        if len(layers) == 1:
            t = terms[0]
            keys.append(
                ("empty_interior", {"first": t["reach"] - t["p"], "last": t["stretch"] - t["p"]})
            )
        else:
            keys.append(("empty_stack", {}))
    if crop is None:
        keys.append(("no_crop", {}))
    if inside and output.size > inside:
        keys.append(("border", {"border": output.size - inside, "total": output.size}))
    reach = lay.dilation * (lay.kernel_size - 1)
    if len(layers) == 1 and inside and lay.padding > reach:
        keys.append(("cut", {"p": lay.padding, "reach": reach}))
    if view["holes"]:
        keys.append(("holes", {}))
    if zero_gain:
        keys.append(("zero_gain", {}))
    return [(key, NOTES[key].format(**values)) for key, values in keys]
