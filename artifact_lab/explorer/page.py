"""``reports/explorer.html``: the explorer's questions answered offline, in one HTML file.

The library precomputes every answer on the grid (1-D and 2-D, kernel sizes 1-12, strides
1-6, dilations 1-3, families ones, bilinear, hold and default with three seeds, inputs
constant and noise) and the page embeds them as JSON; the explorer's own script
(``templates/explorer.js``, the widget's too) draws them, with no network.

What is embedded, per configuration at padding 0 and output padding 0 (padding only crops
the padding-0 output, so every padding is answered from it), at full precision:

- per axis and (k, s, d): the overlap map (:func:`artifact_lab.core.overlap.overlap_map`) and the
  interior bounds (:func:`artifact_lab.core.overlap.interior_mask`);
- per kernel and (s, d): the phase gains (:func:`artifact_lab.core.scores.phase_gains`), the
  closed-form scores (:func:`~artifact_lab.core.scores.checkerboard_score`,
  :func:`~artifact_lab.core.scores.noise_checkerboard`, :func:`~artifact_lab.core.overlap.
  overlap_contrast`, :func:`~artifact_lab.core.overlap.has_holes`), for each input the output's
  range (the colour scale) and the measured scores of the interior crop
  (:func:`artifact_lab.explorer.state.measure_crop`, as the widget measures);
- the kernels' taps and the noise input.

The page draws the output by convolving the taps with the input itself (float64, for
drawing only: every number it writes is the library's). It derives only what padding and
output padding do: the output size ``L0 - 2p + op``
and the formula's terms, the crop ``y_p[o] = y_0[o + p]`` (zero past ``L0``), the interior
shifted by ``-p``, the phase gains rolled by ``p``, the 2-D overlap as the outer product of
the per-axis maps, the footprint ``i*s + j*d - p`` of each painted input sample, and the
notes (from :data:`artifact_lab.explorer.state.NOTES`).
``tests/explorer/test_page_browser.py`` checks each against the library in headless
Chromium.
"""

from __future__ import annotations

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
from .._util.checks import check_float, check_mapping, int_values
from .._util.io import write_atomic
from ..core.kernels import FIXED_SIZE, make_kernel
from ..core.overlap import has_holes, interior_mask, overlap_contrast, overlap_map
from ..core.scores import checkerboard_score, noise_checkerboard, phase_gains
from .state import input_signal, measure_crop
from .views import VOCABULARY

__all__ = ["GRID", "explorer_data", "render_page", "write_explorer"]

GRID: dict[str, Any] = {
    "kernel_sizes": tuple(range(1, 13)),
    "strides": tuple(range(1, 7)),
    "dilations": (1, 2, 3),
    "families": ("ones", "bilinear", "hold", "default"),
    "seeds": (0, 1, 2),
    "inputs": ("constant", "noise"),
    "input_size": {1: 12, 2: 6},  # small enough to read every count and paint step by step
}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
_RANDOM = ("default",)


def _num(x: float) -> float | str | None:
    """A float for JSON at full precision (``repr`` round-trips); infinities as strings."""
    x = float(x)
    if math.isnan(x):
        return None
    return ("inf" if x > 0 else "-inf") if math.isinf(x) else x


def _kernels(grid: dict[str, Any], nd: int) -> dict[tuple[str, int, int, int], np.ndarray]:
    """(family, k, s, seed) -> kernel, for every kernel on the grid."""
    out = {}
    for s in grid["strides"]:
        for fam in grid["families"]:
            seeds = grid["seeds"] if fam in _RANDOM else grid["seeds"][:1]
            if fam in FIXED_SIZE:
                kern = make_kernel(fam, None, s, ndim=nd)
                if kern.shape[0] in grid["kernel_sizes"]:
                    out[fam, kern.shape[0], s, seeds[0]] = kern
                continue
            for k in grid["kernel_sizes"]:
                for seed in seeds:
                    out[fam, k, s, seed] = make_kernel(fam, k, s, ndim=nd, seed=seed)
    return out


def explorer_data(
    *,
    kernel_sizes: Sequence[int] = GRID["kernel_sizes"],
    strides: Sequence[int] = GRID["strides"],
    dilations: Sequence[int] = GRID["dilations"],
    seeds: Sequence[int] = GRID["seeds"],
) -> dict[str, Any]:
    """Every number the page shows, computed by the library at full precision, as JSON data.

    Parameters
    ----------
    kernel_sizes, strides, dilations, seeds : sequence of int
        The grid (default :data:`GRID`: k 1-12, s 1-6, d 1-3, seeds 0-2 of ``default``).

    Returns
    -------
    dict
        ``grid``, ``n`` (input size per ndim), ``signal`` (the noise input per ndim),
        ``fixed_k`` (bilinear and hold sizes per stride), ``vocabulary``
        (:data:`artifact_lab.explorer.views.VOCABULARY` with the page's ranges),
        ``geo[nd]["k,s,d"] = [overlap map at padding 0 (one axis), interior first,
        interior last]`` (None when the interior is empty), ``taps[nd]["family,k,s,seed"]``
        and ``ker[nd]["family,k,s,d,seed"]`` with the phase gains at padding 0 (``g``,
        flat), the closed forms ``cb``, ``ncb``, ``oc``, ``holes``, and per input (in
        ``grid["inputs"]`` order) the output's range ``lo``/``hi``, its 8-bit drawing
        ``q`` and the measured scores ``m = {"first,samples": [fraction, dB]}`` of each
        interior crop.

    Raises
    ------
    ValueError
        An empty or out-of-range grid, before any work.

    Examples
    --------
    >>> data = explorer_data(kernel_sizes=[3, 4], strides=[2], dilations=[1], seeds=[0])
    >>> data["geo"][1]["3,2,1"][0][:7], data["ker"][1]["ones,3,2,1,0"]["g"]
    ([1, 1, 2, 1, 2, 1, 2], [2.0, 1.0])
    >>> data["ker"][1]["ones,3,2,1,0"]["m"][0]   # constant input: fraction, dB
    [0.1, 'inf']
    """
    grid = dict(GRID) | {  # sorted and unique
        "kernel_sizes": tuple(int_values("kernel_sizes", kernel_sizes, minimum=1)),
        "strides": tuple(int_values("strides", strides, minimum=1)),
        "dilations": tuple(int_values("dilations", dilations, minimum=1)),
        "seeds": tuple(int_values("seeds", seeds, minimum=0)),
    }
    for name, top in (("kernel_sizes", 12), ("strides", 6), ("dilations", 3), ("seeds", 2**31)):
        if max(grid[name]) > top:  # the page's data stay a few MB
            raise ValueError(f"{name} must be <= {top} on the page, got {max(grid[name])}")
    vocabulary = json.loads(json.dumps(VOCABULARY))
    ranges = {
        "kernel_size": (min(grid["kernel_sizes"]), max(grid["kernel_sizes"])),
        "stride": (min(grid["strides"]), max(grid["strides"])),
        "dilation": (min(grid["dilations"]), max(grid["dilations"])),
    }
    for c in vocabulary["controls"]:
        if c["name"] in ranges:
            c["min"], c["max"] = ranges[c["name"]]
        elif c["name"] == "seed":
            c["options"] = list(grid["seeds"])
        elif c["name"] == "input_kind":
            c["options"] = list(grid["inputs"])
        elif c["name"] == "family":
            c["options"] = list(grid["families"])
    data: dict[str, Any] = {
        "version": __version__,
        "vocabulary": vocabulary,
        "grid": {
            "k": list(grid["kernel_sizes"]),
            "s": list(grid["strides"]),
            "d": list(grid["dilations"]),
            "families": list(grid["families"]),
            "seeds": list(grid["seeds"]),
            "random": list(_RANDOM),
            "inputs": list(grid["inputs"]),
        },
        "n": {},
        "signal": {},
        "fixed_k": {
            fam: {s: int(make_kernel(fam, None, s, ndim=1).shape[0]) for s in grid["strides"]}
            for fam in FIXED_SIZE
        },
        "geo": {},
        "taps": {},
        "ker": {},
    }
    for nd in (1, 2):
        n = grid["input_size"][nd]
        signals = np.stack([input_signal(kind, n, nd) for kind in grid["inputs"]])
        x = torch.as_tensor(signals)[:, None]  # (inputs, 1, *n)
        peak = np.abs(signals).reshape(len(signals), -1).max(axis=1)
        data["n"][nd] = n
        data["signal"][nd] = {"noise": [_num(v) for v in input_signal("noise", n, nd).ravel()]}
        geo = {}
        for k in grid["kernel_sizes"]:
            for s in grid["strides"]:
                for d in grid["dilations"]:
                    inside = np.flatnonzero(interior_mask(n, k, s, 0, 0, d))
                    ends = [int(inside[0]), int(inside[-1])] if len(inside) else [None, None]
                    geo[f"{k},{s},{d}"] = [overlap_map(n, k, s, 0, 0, d).tolist(), *ends]
        data["geo"][nd] = geo

        def bounds(k, s, d, geo=geo):
            return geo[f"{k},{s},{d}"][1:]

        kernels = _kernels(grid, nd)
        data["taps"][nd] = {
            f"{f},{k},{s},{seed}": [_num(v) for v in kern.ravel()]
            for (f, k, s, seed), kern in kernels.items()
        }
        ker = {}
        for d in grid["dilations"]:
            for (fam, k, s, seed), kern in kernels.items():
                w = torch.as_tensor(kern)[None, None]
                y = _CONV_T[nd](x, w, stride=s, dilation=d)[:, 0].numpy()
                entry: dict[str, Any] = {
                    "g": [_num(v) for v in phase_gains(kern, s, d).ravel()],
                    "cb": _num(checkerboard_score(kern, s, d)),
                    "ncb": _num(noise_checkerboard(kern, s, d)),
                    "oc": _num(overlap_contrast((k,) * nd, s, d)),
                    "holes": bool(has_holes(k, s, d)),
                    "lo": [_num(y[i].min()) for i in range(len(y))],
                    "hi": [_num(y[i].max()) for i in range(len(y))],
                    "m": None,
                }
                first, last = bounds(k, s, d)
                samples = 0 if first is None else (last - first + 1) // s * s
                if samples:  # the measured scores: the interior crop at padding 0
                    window = (slice(first, first + samples),) * nd
                    norm = float(np.abs(kern).sum())
                    entry["m"] = [
                        [_num(v) for v in measure_crop(y[i][window], (s,) * nd, peak[i] * norm)[:2]]
                        for i in range(len(y))
                    ]
                ker[f"{fam},{k},{s},{d},{seed}"] = entry
        data["ker"][nd] = ker
    return data


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def render_page(data: dict[str, Any], *, seconds: float | None = None) -> str:
    """The page: its jinja2 template with ``data`` embedded, its own size stated in the note.

    Examples
    --------
    >>> page = render_page({"version": "0"})
    >>> page.startswith("<!DOCTYPE html>"), '{"version":"0"}' in page
    (True, True)
    """
    import jinja2
    from markupsafe import Markup

    check_mapping("data", data, empty_ok=True)
    if seconds is not None:
        seconds = check_float("seconds", seconds, minimum=0)
    try:
        blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be JSON data without NaN: {exc}") from None
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: _asset(name)),
        autoescape=True,
        keep_trailing_newline=True,
    )
    template = env.get_template("page.html")
    # the data and scripts go into <script> elements: only "</" could end one early
    script = {
        "data": Markup(blob.replace("</", "<\\/")),
        "core": Markup(_asset("explorer.js").replace("</", "<\\/")),
        "page": Markup(_asset("page.js").replace("</", "<\\/")),
        "css": Markup(_asset("explorer.css")),
    }
    grid = data.get("grid", {})
    took = "" if seconds is None else f", generated in {seconds:.1f} s"
    size = ""
    for _ in range(3):  # the stated size is part of the page: settle it
        page = template.render(
            **script,
            version=data.get("version", ""),
            grid=grid,
            n=data.get("n", {}),
            size=size + took,
        )
        size = f"{len(page.encode('utf-8')) / 1e6:.2f} MB"
    return page


def write_explorer(path: str | Path = Path("reports") / "explorer.html") -> Path:
    """Compute the data with the library and write the self-contained explorer page.

    Parameters
    ----------
    path : str or Path
        Where to write (atomically); folders are created.

    Returns
    -------
    Path
        The written file (a few MB, no network access when opened).

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
