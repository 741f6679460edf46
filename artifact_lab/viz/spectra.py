"""Figures of spectra: 1-D and 2-D power spectra with the stride harmonics marked, radial
spectra, and galleries of pictures."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .._util.checks import (
    as_real_array,
    check_int,
    check_mapping,
)
from .style import (
    FONT_PT,
    TEXT_WIDTH,
    as_array,
    axes_for,
    check_args,
    check_maps,
    check_stride,
    house_style,
    mark_harmonics,
    new_figure,
    powers_of_ten,
    wrap,
)

__all__ = ["plot_gallery", "plot_radial_spectra", "plot_spectra", "plot_spectrum", "spectrum_db"]


def spectrum_db(y: Any, *, window: str | None = "hann") -> np.ndarray:
    """Power spectrum of a 2-D array in dB relative to its own maximum, DC at the centre."""
    from ..core.spectral import power_spectrum

    arr = as_real_array("y", y)  # complex, text, NaN: refused naming y
    if arr.ndim != 2:
        raise ValueError(f"y must be 2-D, got shape {arr.shape}")
    power = np.fft.fftshift(power_spectrum(arr, ndim=2, window=window))
    return 10 * np.log10(np.maximum(power / power.max(), 1e-12))


@house_style
def plot_spectrum(
    y: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    window: str | None = "hann",
    stride: int | Sequence[int] | None = None,
    vmin: float = -80.0,
    colorbar: bool = True,
) -> Figure:
    """Power spectrum of a 2-D output in dB (re its maximum), DC at the centre.

    Frequencies in cycles/sample with the vertical axis pointing up; ``stride`` marks the
    stride harmonics ``m/s`` with open circles. The colour scale is fixed (``vmin`` to
    0 dB), so panels drawn with the same ``vmin`` are comparable.
    """
    check_args(ax=ax, title=title, window=window, vmin=vmin, colorbar=colorbar)
    check_stride(stride, 2)
    as_real_array("y", y)
    db = spectrum_db(y, window=window)
    fig, ax = axes_for(ax, height=3.0, width=3.6)
    h, w = db.shape
    fx = (np.arange(w) - w // 2) / w
    fy = (np.arange(h) - h // 2) / h
    im = ax.imshow(
        db,
        cmap="magma",
        vmin=vmin,
        vmax=0,
        origin="lower",
        extent=(fx[0] - 0.5 / w, fx[-1] + 0.5 / w, fy[0] - 0.5 / h, fy[-1] + 0.5 / h),
    )
    if stride is not None:
        mark_harmonics(ax, stride, ndim=2, color="#4dd0e1")
    ax.set_xlabel("horizontal frequency (cycles/sample)")
    ax.set_ylabel("vertical frequency (cycles/sample)")
    ax.set_xticks([-0.5, -0.25, 0, 0.25, 0.5])
    ax.set_yticks([-0.5, -0.25, 0, 0.25, 0.5])
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.85)
        cb.set_label("power (dB re max)")
    if title:
        ax.set_title(title)
    return fig


@house_style
def plot_spectra(
    outputs: Mapping[str, Any],
    *,
    stride: int | Sequence[int] | None = None,
    ncols: int = 3,
    vmin: float = -80.0,
    window: str | None = "hann",
    suptitle: str | None = None,
) -> Figure:
    """Several 2-D power spectra on one colour scale (dB re each map's maximum) with one
    colour bar; ``stride`` marks the harmonics on every panel. Keys are the panel titles."""
    check_maps("outputs", outputs)
    check_stride(stride, 2)
    check_args(ncols=ncols, vmin=vmin, window=window, suptitle=suptitle)
    ncols = min(ncols, len(outputs))
    nrows = -(-len(outputs) // ncols)
    side = (TEXT_WIDTH - 1.2) / ncols
    fig, axes = new_figure(nrows, ncols, height=(side + 0.45) * nrows + 0.5, squeeze=False)
    flat = axes.ravel()
    for ax, (name, y) in zip(flat, outputs.items(), strict=False):
        plot_spectrum(
            y,
            ax=ax,
            title=wrap(name, side),
            window=window,
            stride=stride,
            vmin=vmin,
            colorbar=False,
        )
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([-0.5, 0, 0.5])
        ax.set_yticks([-0.5, 0, 0.5])
    for ax in flat[len(outputs) :]:
        ax.axis("off")
    cb = fig.colorbar(flat[0].get_images()[0], ax=list(flat), shrink=0.8)
    cb.set_label("power (dB re each map's maximum)")
    fig.supxlabel("horizontal frequency (cycles/sample)")
    fig.supylabel("vertical frequency (cycles/sample)")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


@house_style
def plot_radial_spectra(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    ax: Any = None,
    title: str | None = None,
    marks: Sequence[float] = (),
    stride: int | None = None,
    ylabel: str = "power (relative units)",
) -> Figure:
    """Radially averaged (or 1-D) power spectra on a log scale, one line per name.

    ``stride`` marks the harmonics ``m/s`` with dotted lines (``marks`` adds any others).
    The legend sits below the axes so that the curves keep the full width.
    """
    check_mapping("curves", curves)
    for name, curve in curves.items():
        if not isinstance(curve, tuple) or len(curve) != 2:
            raise TypeError(f"curves[{name!r}] must be a (frequencies, power) pair, got {curve!r}")
        f, p = (as_real_array(f"curves[{name!r}]", v) for v in curve)
        if f.shape != p.shape or f.ndim != 1:
            raise ValueError(f"curves[{name!r}] needs 1-D frequencies and power of one length")
    check_args(ax=ax, title=title, ylabel=ylabel)
    as_real_array("marks", marks, empty_ok=True)
    if stride is not None:
        check_int("stride", stride, minimum=1)
    fig, ax = axes_for(ax, height=3.0 + 0.16 * len(curves))
    for name, (f, p) in curves.items():
        ax.semilogy(f, p, label=name)
    powers_of_ten(ax)
    for m in marks:
        ax.axvline(m, color="0.45", ls=":", lw=1)
    if stride is not None:
        mark_harmonics(ax, stride, ndim=1)
    dotted = "; dotted: stride harmonics m/s" if stride is not None or marks else ""
    ax.set_xlabel(f"frequency (cycles/sample){dotted}")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 0.5 * math.sqrt(2) if max(np.max(f) for f, _ in curves.values()) > 0.5 else 0.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    if title:
        ax.set_title(title)
    return fig


# -- images ----------------------------------------------------------------------------------


@house_style
def plot_gallery(
    images: Mapping[str, Any],
    *,
    ncols: int = 4,
    crop: tuple[slice, slice] | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    shared: bool = True,
    standardize: bool = False,
    colorbar_label: str = "intensity",
    suptitle: str | None = None,
) -> Figure:
    """Images side by side without smoothing, so a grid shows.

    ``shared=True`` (default) draws every image on one colour scale (``vmin``/``vmax`` or
    the range over all images) with one colour bar; ``shared=False`` stretches each image
    to its own range and gives each its own colour bar. ``standardize=True`` first maps each
    image (after the crop) to zero mean and unit standard deviation, so that outputs of
    different gains share one scale in standard deviations (default ±2.5). ``crop`` zooms
    every image to the same window.
    """
    check_maps("images", images)
    check_args(ncols=ncols, cmap=cmap, vmin=vmin, vmax=vmax, shared=shared)
    check_args(standardize=standardize, colorbar_label=colorbar_label, suptitle=suptitle)
    if crop is not None and not (
        isinstance(crop, tuple) and len(crop) == 2 and all(isinstance(c, slice) for c in crop)
    ):
        raise TypeError(f"crop must be a pair of slices (rows, columns) or None, got {crop!r}")
    arrays = {name: as_array(img) for name, img in images.items()}
    if crop is not None:
        arrays = {name: a[crop] for name, a in arrays.items()}
    if standardize:
        arrays = {name: (a - a.mean()) / (a.std() or 1.0) for name, a in arrays.items()}
        vmin = -2.5 if vmin is None else vmin
        vmax = 2.5 if vmax is None else vmax
        if colorbar_label == "intensity":
            colorbar_label = "output (standard deviations)"
    ncols = min(ncols, len(arrays))
    nrows = -(-len(arrays) // ncols)
    side = (TEXT_WIDTH - 0.8) / ncols
    fig, axes = new_figure(nrows, ncols, height=(side + 0.35) * nrows + 0.3, squeeze=False)
    flat = axes.ravel()
    lo = min(float(a.min()) for a in arrays.values()) if vmin is None else vmin
    hi = max(float(a.max()) for a in arrays.values()) if vmax is None else vmax
    im = None
    for ax, (name, arr) in zip(flat, arrays.items(), strict=False):
        if shared:
            im = ax.imshow(arr, cmap=cmap, vmin=lo, vmax=hi)
        else:
            one = ax.imshow(arr, cmap=cmap)
            fig.colorbar(one, ax=ax, shrink=0.8)
        ax.set_title(wrap(name, side - 0.1))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    for ax in flat[len(arrays) :]:
        ax.axis("off")
    if shared and im is not None:
        cb = fig.colorbar(im, ax=list(flat), shrink=0.8)
        cb.set_label(wrap(colorbar_label, 0.8 * fig.get_figheight() - 0.2, FONT_PT))
    if suptitle:
        fig.suptitle(suptitle)
    return fig
