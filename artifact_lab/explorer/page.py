"""``reports/explorer.html``: the explorer's questions answered offline, in one HTML file.

The library precomputes every answer on the grid (1-D and 2-D, kernel sizes 1-12, strides
1-6, dilations 1-3, families ones, bilinear, hold and default with several seeds) and the
page embeds them as JSON, drawn by plain JavaScript on SVG and canvas, with no network.

What is embedded, per configuration at padding 0 and output padding 0 (padding only crops
the padding-0 output, so every padding is answered from it):

- per axis and (k, s, d): the overlap map (:func:`artifact_lab.overlap.overlap_map`) and the
  interior bounds (:func:`artifact_lab.overlap.interior_mask`);
- per kernel and (s, d): the phase gains (:func:`artifact_lab.scores.phase_gains`), the
  closed-form and measured scores of the atlas (:func:`artifact_lab.sweep.sweep`), and the
  outputs for a constant and a white-noise input (torch's ``conv_transpose``, quantised
  to 8 bits for drawing);
- the kernels' taps.

The page derives only what padding and output padding do: the output size
``L0 - 2p + op`` and the formula's terms, the crop ``y_p[o] = y_0[o + p]`` (zero past
``L0``), the interior shifted by ``-p``, the phase gains rolled by ``p``, the 2-D overlap
as the outer product of the per-axis maps (an N-d box kernel's overlap map is that outer
product), and, for the step slider, the footprint ``i*s + j*d - p`` of each input pixel.
``tests/test_explorer_browser.py`` checks each against the library in headless Chromium.
"""

from __future__ import annotations

import base64
import json
import math
import os
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .. import __version__
from .._checks import check_float, check_mapping, int_values
from .._io import write_atomic
from ..kernels import make_kernel
from ..overlap import interior_mask, overlap_map
from ..scores import phase_gains

__all__ = ["GRID", "explorer_data", "render_page", "write_explorer"]

GRID: dict[str, Any] = {
    "kernel_sizes": tuple(range(1, 13)),
    "strides": tuple(range(1, 7)),
    "dilations": (1, 2, 3),
    "families": ("ones", "bilinear", "hold", "default"),
    "seeds": (0, 1, 2),
    "inputs": ("constant", "noise"),
    "input_size": {1: 12, 2: 6},  # small enough to read every count and paint step by step
    "measure_size": 32,  # the atlas's measured scores: input side and noise batch
    "measure_batch": 4,
}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
_FIXED = ("bilinear", "hold")  # families whose size follows the stride
_RANDOM = ("default",)


def _num(x: float, digits: int = 6) -> float | None:
    """A float rounded to ``digits`` significant digits for JSON; NaN becomes null."""
    x = float(x)
    return None if math.isnan(x) else float(f"{x:.{digits}g}")


def _quantised(y: np.ndarray) -> list:
    """``[lo, hi, base64 of uint8]``: ``y ~ lo + q * (hi - lo) / 255`` (for drawing)."""
    lo, hi = float(y.min()), float(y.max())
    q = np.zeros(y.shape, np.uint8)
    if hi > lo:
        q = np.rint((y - lo) / (hi - lo) * 255).astype(np.uint8)
    return [_num(lo, 8), _num(hi, 8), base64.b64encode(q.tobytes()).decode("ascii")]


def _signals(n: int, nd: int) -> np.ndarray:
    from .state import _signal  # the explorer's inputs: ones and white noise of seed 0

    return np.stack([_signal(kind, n, nd) for kind in GRID["inputs"]])


def _kernels(grid: dict[str, Any], nd: int) -> dict[tuple[str, int, int, int], np.ndarray]:
    """(family, k, s, seed) -> kernel, for every kernel on the grid."""
    out = {}
    for s in grid["strides"]:
        for fam in grid["families"]:
            seeds = grid["seeds"] if fam in _RANDOM else grid["seeds"][:1]
            if fam in _FIXED:
                kern = make_kernel(fam, None, s, ndim=nd)
                if kern.shape[0] in grid["kernel_sizes"]:
                    out[fam, kern.shape[0], s, seeds[0]] = kern
                continue
            for k in grid["kernel_sizes"]:
                for seed in seeds:
                    out[fam, k, s, seed] = make_kernel(fam, k, s, ndim=nd, seed=seed)
    return out


def _atlas(grid: dict[str, Any], nd: int) -> dict[tuple, dict[str, Any]]:
    from ..sweep import sweep

    frame = sweep(
        kernel_sizes=grid["kernel_sizes"],
        strides=grid["strides"],
        paddings=[0],
        dilations=grid["dilations"],
        ndim=nd,
        kernels=grid["families"],
        seeds=grid["seeds"],
        input_size=grid["measure_size"],
        batch=grid["measure_batch"],
        inputs=grid["inputs"],
        progress=False,
    )
    out: dict[tuple, dict[str, Any]] = {}
    for row in frame.itertuples(index=False):
        key = (row.kernel, row.kernel_size, row.stride, row.dilation, row.seed)
        entry = out.setdefault(
            key,
            {
                "cb": _num(row.checkerboard_score),
                "ncb": _num(row.noise_checkerboard),
                "oc": _num(row.overlap_contrast),
                "holes": bool(row.holes),
                "hf": [None, None],
                "db": [None, None],
            },
        )
        i = grid["inputs"].index(row.input)
        entry["hf"][i], entry["db"][i] = _num(row.harmonic_fraction), _num(row.peak_db, 5)
    return out


def explorer_data(
    *,
    kernel_sizes: Sequence[int] = GRID["kernel_sizes"],
    strides: Sequence[int] = GRID["strides"],
    dilations: Sequence[int] = GRID["dilations"],
    seeds: Sequence[int] = GRID["seeds"],
) -> dict[str, Any]:
    """Every number the page shows, computed by the library, as JSON-ready data.

    Parameters
    ----------
    kernel_sizes, strides, dilations, seeds : sequence of int
        The grid (default :data:`GRID`: k 1-12, s 1-6, d 1-3, seeds 0-2 of ``default``).

    Returns
    -------
    dict
        ``grid``, ``n`` (input size per ndim), ``signal`` (quantised noise input),
        ``fixed_k`` (bilinear and hold sizes per stride), ``geo[nd]["k,s,d"]`` =
        ``[overlap map at padding 0 (one axis), interior first, interior last, first
        interior sample of the measured input]`` (None when the interior is empty),
        ``taps[nd]["family,k,s,seed"]`` and
        ``ker[nd]["family,k,s,d,seed"]`` with the phase gains at padding 0 (``g``, flat),
        the closed forms ``cb``, ``ncb``, ``oc``, ``holes``, the measured ``hf`` and ``db``
        (constant, noise) and the quantised outputs ``out`` (constant, noise).

    Raises
    ------
    ValueError
        An empty or out-of-range grid (through :func:`artifact_lab.sweep.sweep`).

    Examples
    --------
    >>> data = explorer_data(kernel_sizes=[3, 4], strides=[2], dilations=[1], seeds=[0])
    >>> data["geo"][1]["3,2,1"][0][:7], data["ker"][1]["ones,3,2,1,0"]["g"]
    ([1, 1, 2, 1, 2, 1, 2], [2.0, 1.0])
    """
    grid = dict(GRID) | {  # sorted and unique, as the sweep takes them
        "kernel_sizes": tuple(int_values("kernel_sizes", kernel_sizes, minimum=1)),
        "strides": tuple(int_values("strides", strides, minimum=1)),
        "dilations": tuple(int_values("dilations", dilations, minimum=1)),
        "seeds": tuple(int_values("seeds", seeds, minimum=0)),
    }
    atlases = {nd: _atlas(grid, nd) for nd in (1, 2)}  # checks the grid before other work
    data: dict[str, Any] = {
        "version": __version__,
        "grid": {
            "k": list(grid["kernel_sizes"]),
            "s": list(grid["strides"]),
            "d": list(grid["dilations"]),
            "families": list(grid["families"]),
            "seeds": list(grid["seeds"]),
            "random": list(_RANDOM),
            "inputs": list(grid["inputs"]),
        },
        "measure": {"input_size": grid["measure_size"], "batch": grid["measure_batch"]},
        "n": {},
        "signal": {},
        "fixed_k": {
            fam: {s: int(make_kernel(fam, None, s, ndim=1).shape[0]) for s in grid["strides"]}
            for fam in _FIXED
        },
        "geo": {},
        "taps": {},
        "ker": {},
    }
    for nd in (1, 2):
        n = grid["input_size"][nd]
        x = torch.as_tensor(_signals(n, nd))[:, None]  # (inputs, 1, *n)
        data["n"][nd] = n
        data["signal"][nd] = {"noise": _quantised(x[1, 0].numpy())}
        geo = {}
        for k in grid["kernel_sizes"]:
            for s in grid["strides"]:
                for d in grid["dilations"]:
                    inside = np.flatnonzero(interior_mask(n, k, s, 0, 0, d))
                    bounds = [int(inside[0]), int(inside[-1])] if len(inside) else [None, None]
                    # where the atlas's measurement starts: a larger padding crops into it
                    measured = np.flatnonzero(interior_mask(grid["measure_size"], k, s, 0, 0, d))
                    start = int(measured[0]) if len(measured) else None
                    geo[f"{k},{s},{d}"] = [overlap_map(n, k, s, 0, 0, d).tolist(), *bounds, start]
        data["geo"][nd] = geo
        kernels = _kernels(grid, nd)
        atlas = atlases[nd]
        data["taps"][nd] = {
            f"{f},{k},{s},{seed}": [_num(v, 5) for v in kern.ravel()]
            for (f, k, s, seed), kern in kernels.items()
        }
        ker = {}
        for d in grid["dilations"]:
            for (fam, k, s, seed), kern in kernels.items():
                w = torch.as_tensor(kern)[None, None]
                y = _CONV_T[nd](x, w, stride=s, dilation=d)[:, 0].numpy()
                entry = dict(atlas[fam, k, s, d, seed])
                entry["g"] = [_num(v) for v in phase_gains(kern, s, d).ravel()]
                entry["out"] = [_quantised(y[i]) for i in range(len(grid["inputs"]))]
                ker[f"{fam},{k},{s},{d},{seed}"] = entry
        data["ker"][nd] = ker
    return data


def _template() -> str:
    return resources.files(__package__).joinpath("templates", "page.html").read_text("utf-8")


def render_page(data: dict[str, Any], *, seconds: float | None = None) -> str:
    """The page: the template with ``data`` embedded, its own size stated in the note.

    Examples
    --------
    >>> page = render_page({"version": "0"})
    >>> page.startswith("<!DOCTYPE html>"), '{"version":"0"}' in page
    (True, True)
    """
    check_mapping("data", data, empty_ok=True)
    if seconds is not None:
        seconds = check_float("seconds", seconds, minimum=0)
    try:
        blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be JSON data without NaN: {exc}") from None
    blob = blob.replace("</", "<\\/")
    page = _template().replace("/*DATA*/", blob)
    took = "" if seconds is None else f", generated in {seconds:.1f} s"
    size = ""
    for _ in range(3):  # the stated size is part of the page: settle it
        text = page.replace("<!--SIZE-->", f"{size}{took}")
        size = f"{len(text.encode('utf-8')) / 1e6:.2f} MB"
    return page.replace("<!--SIZE-->", f"{size}{took}")


def write_explorer(path: str | Path = Path("reports") / "explorer.html") -> Path:
    """Compute the data with the library and write the self-contained explorer page.

    Parameters
    ----------
    path : str or Path
        Where to write (atomically); folders are created.

    Returns
    -------
    Path
        The written file (under 5 MB, no network access when opened).

    Examples
    --------
    >>> import tempfile
    >>> out = write_explorer(Path(tempfile.mkdtemp()) / "explorer.html")  # doctest: +SKIP
    >>> out.stat().st_size < 5e6  # doctest: +SKIP
    True
    """
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise TypeError(f"path must be a file path, got {path!r}")
    if Path(path).is_dir():
        raise ValueError(f"path {str(path)!r} is a folder: name the page's file")
    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # thousands of tiny convolutions: threads only contend
    try:
        data = explorer_data()
    finally:
        torch.set_num_threads(threads)
    page = render_page(data, seconds=time.perf_counter() - start)
    path = Path(path)
    write_atomic(path, page)
    return path
