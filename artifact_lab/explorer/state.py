"""Explore by hand: an ipywidgets app whose every view is drawn from the library's functions.

The app is split in two so that it can be tested without a browser:

- :func:`explore_state` is a pure function of the control values. It returns a frozen
  :class:`ExploreState` holding everything the views draw (overlap map, interior mask,
  phase gains, input and output, interior crop and its spectrum, the scores, the size
  formula), each computed by the library (``overlap_map``, ``phase_gains``,
  ``checkerboard_score``, ``harmonic_stats``, ``composite``, ``output_size_terms``, ...).
- :func:`explore` builds the widgets; on every change it calls :func:`explore_state` and
  renders the result as small matplotlib figures (PNG images, so it works in JupyterLab,
  the classic notebook and other front ends alike).

Stack mode: layers added with "add layer" come first, the layer on the controls comes last;
the views then show the stack (its overlap map for all-ones kernels, its output) and the
composite layer (:func:`artifact_lab.stacks.composite`) that scores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .._checks import check_choice, check_int, check_ndim
from ..arithmetic import TransposedConv, output_size_terms
from ..images import IMAGES, load_image
from ..kernels import FAMILIES, make_kernel
from ..overlap import (
    has_holes,
    interior_mask,
    overlap_contrast,
    overlap_map,
    phase_counts,
)
from ..scores import checkerboard_score, noise_checkerboard, noise_gains, phase_gains
from ..spectral import harmonic_stats, interior_crop, power_spectrum
from ..stacks import composite, stack_interior, stack_response

__all__ = ["INPUTS", "ExploreState", "Layer", "explore_state"]

#: Input choices: a constant of ones, seeded white noise, or a bundled scikit-image picture
#: (in 1-D: the picture's middle row).
INPUTS = ("constant", "noise", *IMAGES)
MAX_INPUT = 256
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
_NOISE_SEED = 0


@dataclass(frozen=True)
class Layer:
    """One layer of a stack, as the controls describe it.

    ``kernel_size`` is ignored by ``bilinear`` and ``hold`` (their size follows the
    stride); for ``icnr`` it is the sub-kernel size and the transposed kernel is
    ``kernel_size * stride``.
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
    overlap, interior : ndarray
        Overlap map (int64) and steady-state mask over the output (the stack's all-ones
        response and the composite's interior in stack mode).
    phase_counts : ndarray or None
        Taps per phase (one layer only).
    phase_gains, noise_gains : ndarray, shape ``(s,)*ndim``
    signal, output : ndarray
        The chosen input and the layer's (stack's) output on it.
    crop, spectrum : ndarray or None
        Interior crop of whole periods and its power spectrum (mean removed, DC at index
        0); None when the interior holds less than one period.
    overlap_contrast : float or None
        Of the layer (None in stack mode: see ``layer_contrasts``).
    layer_contrasts : tuple of float
    checkerboard_score, noise_checkerboard : float
        Closed forms.
    harmonic_fraction, peak_db : float
        Measured on ``crop`` (:func:`artifact_lab.spectral.harmonic_stats`); NaN without
        a crop.
    holes, zero_gain : bool
    size_terms : tuple of dict
        :func:`artifact_lab.arithmetic.output_size_terms` of each layer (axis 0; every axis
        has the same geometry), the input of layer ``i+1`` being the output of layer ``i``.
    output_size : tuple of int
    notes : tuple of str
    """

    ndim: int
    input_size: int
    input_kind: str
    layers: tuple[Layer, ...]
    kernel: np.ndarray
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    overlap: np.ndarray
    interior: np.ndarray
    phase_counts: np.ndarray | None
    phase_gains: np.ndarray
    noise_gains: np.ndarray
    signal: np.ndarray
    output: np.ndarray
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
    notes: tuple[str, ...] = field(default=())

    @property
    def scores(self) -> dict[str, Any]:
        """The numbers of the scores view, by name."""
        return {
            "overlap_contrast": self.overlap_contrast,
            "checkerboard_score": self.checkerboard_score,
            "noise_checkerboard": self.noise_checkerboard,
            "harmonic_fraction": self.harmonic_fraction,
            "peak_db": self.peak_db,
            "holes": self.holes,
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


def _layer_kernel(layer: Layer, ndim: int) -> np.ndarray:
    size = None if layer.family in ("bilinear", "hold") else layer.kernel_size
    return make_kernel(layer.family, size, layer.stride, ndim=ndim, seed=layer.seed)


@lru_cache(maxsize=64)
def _signal(kind: str, n: int, ndim: int) -> np.ndarray:
    if kind == "constant":
        return np.ones((n,) * ndim)
    if kind == "noise":
        return np.random.default_rng(_NOISE_SEED).standard_normal((n,) * ndim)
    picture = load_image(kind, (n, n)).numpy()
    return picture if ndim == 2 else picture[n // 2].copy()


def _check_stack(stack: object) -> tuple[Layer, ...]:
    """A sequence of :class:`Layer` (each checked when it was made)."""
    if isinstance(stack, Layer) or not isinstance(stack, Sequence) or isinstance(stack, str):
        raise TypeError(f"stack must be a sequence of Layer, got {stack!r}")
    for i, layer in enumerate(stack):
        if not isinstance(layer, Layer):
            raise TypeError(f"stack[{i}] must be an explorer Layer, got {layer!r}")
    return tuple(stack)


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
) -> ExploreState:
    """The data of every explorer view for one setting of the controls (no widgets).

    Parameters
    ----------
    ndim : {1, 2}
        Spatial axes; the geometry is the same on every axis.
    kernel_size, stride, padding, output_padding, dilation : int
        The layer on the controls, as in ``torch.nn.ConvTranspose{1,2}d``.
    family : str
        One of :data:`artifact_lab.kernels.FAMILIES`. ``bilinear`` and ``hold`` take their
        size from the stride (``kernel_size`` is ignored); ``icnr``'s ``kernel_size`` is
        the sub-kernel size, its transposed kernel has ``kernel_size * stride`` taps.
    seed : int
        Seed of the random families (``default``, ``normal``, ``icnr``).
    input_kind : str
        One of :data:`INPUTS`: ``constant`` (ones), ``noise`` (white, seed 0), or a bundled
        scikit-image picture (its middle row in 1-D).
    input_size : int
        Input samples per axis, 1 to 256.
    stack : sequence of Layer
        Earlier layers; when not empty the views show the stack ending with the controls'
        layer, scored through its composite kernel.

    Returns
    -------
    ExploreState

    Raises
    ------
    ValueError, TypeError
        A control out of range, naming it, its value and the rule (torch's rules for the
        geometry), before any work.

    Examples
    --------
    >>> st = explore_state(ndim=1, kernel_size=3, stride=2, input_size=4)
    >>> st.overlap, st.phase_gains, round(st.checkerboard_score, 3)
    (array([1, 1, 2, 1, 2, 1, 2, 1, 1]), array([2., 1.]), 0.1)
    >>> st.formula[0]
    'L = (n-1)*s - 2*p + d*(k-1) + op + 1 = (4-1)*2 - 2*0 + 1*(3-1) + 0 + 1 = 6 + 0 + 2 + 0 + 1 = 9'
    """
    nd = check_ndim(ndim)
    if nd == 3:
        raise ValueError("ndim must be 1 or 2 in the explorer (its views are 1-D and 2-D)")
    n = check_int("input_size", input_size, minimum=1)
    if n > MAX_INPUT:
        raise ValueError(f"input_size must be <= {MAX_INPUT} in the explorer, got {n}")
    check_choice("input_kind", input_kind, INPUTS)
    current = Layer(kernel_size, stride, padding, output_padding, dilation, family, seed)
    layers = [*_check_stack(stack), current]
    kernels = [_layer_kernel(layer, nd) for layer in layers]
    layers = [replace(lay, kernel_size=k.shape[0]) for lay, k in zip(layers, kernels, strict=True)]
    geoms = [
        TransposedConv(
            lay.kernel_size, lay.stride, lay.padding, lay.output_padding, lay.dilation, ndim=nd
        )
        for lay in layers
    ]
    terms, size = [], n
    for lay in layers:  # every size error (torch's rules) before any work
        t = output_size_terms(
            size, lay.kernel_size, lay.stride, lay.padding, lay.output_padding, lay.dilation
        )[0]
        terms.append(t)
        size = t["size"]
    x = _signal(input_kind, n, nd)
    y = torch.as_tensor(x)[None, None]
    for geom, kern in zip(geoms, kernels, strict=True):
        y = _CONV_T[nd](
            y,
            torch.as_tensor(kern)[None, None],
            stride=geom.stride,
            padding=geom.padding,
            output_padding=geom.output_padding,
            dilation=geom.dilation,
        )
    output = y[0, 0].numpy()
    if len(layers) == 1:
        view = _one_layer(layers[0], kernels[0], n, nd, output)
    else:
        view = _stack(layers, geoms, kernels, n, nd, output)
    notes = list(view.pop("notes"))
    kern, stride, dil, pad = view["kernel"], view["stride"], view.pop("dilation"), view["padding"]
    gains = phase_gains(kern, stride, dil, pad)
    crop, spectrum, frac, db = view.pop("crop"), None, float("nan"), float("nan")
    if crop is None:
        notes.append("the interior holds less than one period: no measured scores")
    else:
        frac, db = harmonic_stats(crop, stride)
        spectrum = power_spectrum(crop, ndim=nd)
    zero_gain = bool(np.all(gains == 0))
    if zero_gain:
        notes.append("every phase gain is 0: a constant input gives no output")
    if view["holes"]:
        notes.append("some output phase receives no tap (holes)")
    return ExploreState(
        ndim=nd,
        input_size=n,
        input_kind=input_kind,
        layers=tuple(layers),
        phase_gains=gains,
        noise_gains=noise_gains(kern, stride, dil, pad),
        signal=x,
        output=output,
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


def _one_layer(lay: Layer, kern: np.ndarray, n: int, nd: int, output: np.ndarray) -> dict:
    k, s, p, op, d = lay.kernel_size, lay.stride, lay.padding, lay.output_padding, lay.dilation
    args = ((n,) * nd, k, s, p, op, d)
    try:
        crop = interior_crop(output, *args)
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


def _stack(layers, geoms, kernels, n: int, nd: int, output: np.ndarray) -> dict:
    comp = composite(geoms, kernels)
    axis = stack_interior(
        n,
        [
            TransposedConv(x.kernel_size, x.stride, x.padding, x.output_padding, x.dilation, ndim=1)
            for x in layers
        ],
    )
    interior = axis if nd == 1 else np.logical_and.outer(axis, axis)
    crop = None
    hit = np.flatnonzero(axis)
    S = comp.stride[0]
    if len(hit) and hit[-1] - hit[0] + 1 == len(hit) and len(hit) >= S:
        window = slice(hit[0], hit[0] + len(hit) // S * S)  # whole periods, as interior_crop
        crop = output[(window,) * nd]
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
            f"stack of {len(layers)} layers = one layer with kernel {comp.kernel.shape}, "
            f"stride {comp.stride}, padding {comp.padding}, output padding "
            f"{comp.output_padding}",
        ),
    }
