"""One call that answers "is my layer fine?": :func:`check_layer`.

Give it a transposed convolution (the module, the line of code that builds it, its geometry,
or a weight) and it says, in words and numbers, whether the layer paints a checkerboard, how
strongly, what the numbers mean, and what to use instead: the same geometry constrained to
stay clean (:func:`artifact_lab.prevent.nn.from_module`), a clean initial kernel
(:func:`artifact_lab.atlas.decision.clean_kernel`) or a geometry with even overlap and the
same output size. Every number comes from the closed forms of :mod:`artifact_lab.core`.
"""

from __future__ import annotations

import ast
import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import IntOrTuple, check_int, check_ndim, check_seeds, per_axis
from ..atlas.decision import RECOMMENDATIONS, clean_init_exists, clean_kernel, recommendation
from ..core.calculator import transposed_geometry
from ..core.overlap import overlap_contrast, phase_counts
from ..core.scores import as_kernel, checkerboard_score, noise_checkerboard, weight_scores
from .findings import FLAG
from .severity import BANDS, band

__all__ = ["FLAG", "LayerCheck", "check_layer", "parse_layer", "score_db"]

_CLASSES = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
_POSITIONAL = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "groups",
    "bias",
    "dilation",
)
#: Seeds of torch's default initialisation averaged when only the geometry is given (as in
#: the decision table).
DEFAULT_SEEDS = range(30)
#: More seeds than this add nothing to a mean but time.
MAX_SEEDS = 1000


def score_db(score: float) -> float:
    """The checkerboard score in decibels: ``10 log10(score / (1 - score))``.

    ``score`` is the fraction of a constant input's output power at the stride's harmonics,
    so ``score / (1 - score)`` is the checkerboard's power over the mean level's: 0 dB when
    they are equal, about -34 dB at the flag threshold (``score = 4e-4``, the "visible"
    band, a pattern of 2% of the mean in RMS amplitude). ``-inf`` for a clean layer,
    ``inf`` when the output has no mean at all.

    Examples
    --------
    >>> round(score_db(0.1), 2), round(score_db(4e-4), 1), score_db(0.0)
    (-9.54, -34.0, -inf)
    """
    if isinstance(score, bool) or not isinstance(score, numbers.Real):
        raise TypeError(f"score must be a real number, got {score!r} ({type(score).__name__})")
    score = float(score)
    if math.isnan(score):
        return math.nan
    if not 0 <= score <= 1:
        raise ValueError(f"score must be a fraction of power in [0, 1] (or NaN), got {score!r}")
    if score == 0:
        return -math.inf
    if score == 1:
        return math.inf
    return 10 * math.log10(score / (1 - score))


@dataclass(frozen=True, repr=False)
class LayerCheck:
    """The answer of :func:`check_layer`; ``print(check)`` says it in words.

    Attributes
    ----------
    layer : str
        What was checked, e.g. ``"ConvTranspose2d(64, 32, kernel_size=3, stride=2, ...)"``.
    ndim : int
        Spatial axes of the layer (1 to 3): the overlap contrast depends on it.
    kernel_size, stride, padding, output_padding, dilation : tuple of int
        The geometry, per axis.
    weights : str
        Whose taps were scored: ``"its weights"``, ``"the given weight"`` or ``"torch's
        default initialisation, mean of 30 seeds"``.
    checkerboard_score : float
        Fraction of a constant input's steady-state output power at the stride's harmonics
        (0 = clean, 1 = all of it), of the whole multi-channel layer.
    checkerboard_db : float
        The same as ``10 log10(score / (1 - score))``: the checkerboard's power over the
        mean level's (:func:`score_db`).
    score_range : tuple of float
        Smallest and largest score over the seeds (geometry only), else ``(score, score)``.
    noise_checkerboard : float
        ``std / mean`` over phases of the output variance for white-noise input.
    zero_gain : bool
        No output responds to a constant input: the score says nothing.
    overlap : {"even", "uneven", "holes"}
        The all-ones verdict: taps per phase equal, unequal, or some phase without a tap.
    phase_counts : numpy.ndarray, shape ``stride``
        Taps per output phase (the interior overlap of an all-ones kernel).
    overlap_contrast : float
        ``(max - min) / mean`` of ``phase_counts`` for this ``ndim``.
    clean_init_exists : bool
        Some kernel of this geometry scores 0 (every phase receives a tap).
    severity : {"none", "faint", "visible", "strong"}
        The audit's band of the score (RMS of the pattern against the mean: under 1%, 1-2%,
        2-8%, 8% and up).
    flagged : bool
        ``holes``, or a severity of ``"visible"`` or ``"strong"`` (the audit's rule).
    threshold : float
        The flag threshold on the score (``4e-4``, the lower edge of ``"visible"``).
    advice : str
        The decision table's advice for the geometry.
    instead : tuple of str
        What to use instead, best first: a line of code and why.
    clean_kernel : numpy.ndarray or None
        A kernel of this geometry with all phase gains 1 (None when there is none).
    """

    layer: str
    ndim: int
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    weights: str
    checkerboard_score: float
    checkerboard_db: float
    score_range: tuple[float, float]
    noise_checkerboard: float
    zero_gain: bool
    overlap: str
    phase_counts: np.ndarray = field(compare=False)
    overlap_contrast: float
    clean_init_exists: bool
    severity: str
    flagged: bool
    threshold: float
    advice: str
    instead: tuple[str, ...]
    clean_kernel: np.ndarray | None = field(compare=False)

    @property
    def verdict(self) -> str:
        """One line: flagged or fine, with the score in both units."""
        if self.zero_gain:
            return "no output responds to a constant input: the score is undefined"
        word = "CHECKERBOARD (flagged)" if self.flagged else "fine: no checkerboard"
        if self.overlap == "holes":
            word = "CHECKERBOARD (flagged: some phases get no tap)"
        return f"{word}, score {_num(self.checkerboard_score)} ({_db(self)})"

    def explain(self) -> str:
        """The whole answer: the verdict, each number with its meaning, what to use instead."""
        s, counts = self.checkerboard_score, self.phase_counts
        period = "x".join(map(str, self.stride))
        spread = ""
        if self.score_range[0] != self.score_range[1]:
            lo, hi = self.score_range
            spread = f" (from {_num(lo)} to {_num(hi)})"
        lines = [
            f"  verdict: {self.verdict}",
            f"  score: for a constant input, {100 * s:.3g}% of the output's power sits at the"
            f" stride's harmonics, a pattern repeating every {period} pixels; scored on"
            f" {self.weights}{spread}. dB = 10 log10(score / (1 - score)), the pattern's power"
            f" over the mean level's. Severity {self.severity}; flagged from"
            f" {self.threshold:g} ({score_db(self.threshold):.0f} dB: a pattern of"
            f" {100 * math.sqrt(self.threshold):.0f}% of the mean in RMS, visible at 1:1 in"
            " flat regions).",
            f"  noise checkerboard {_num(self.noise_checkerboard)}: on textured input the"
            f" output's variance differs by {100 * self.noise_checkerboard:.3g}% (std / mean)"
            f" across the {counts.size} phases.",
            f"  overlap ({self.ndim}-D, {'x'.join(map(str, self.kernel_size))} taps on"
            f" {period} phases): {self.overlap}, {_counts(counts)} taps per phase, contrast"
            f" {_num(self.overlap_contrast)} ((max - min) / mean); "
            + (
                "a clean initialisation exists (every phase gets a tap)."
                if self.clean_init_exists
                else "no kernel of this geometry is clean: change the geometry."
            ),
            f"  advice: {self.advice}",
        ]
        if self.instead:
            lines.append("  instead:")
            lines += [f"    {line}" for line in self.instead]
        return "\n".join([self.layer] + [_wrap(line) for line in lines])

    def __str__(self) -> str:
        return self.explain()

    def __repr__(self) -> str:
        return self.explain()

    def to_frame(self) -> pd.DataFrame:
        """One row per number: ``quantity``, ``value`` and what it means.

        Examples
        --------
        >>> check_layer(kernel_size=4, stride=2).to_frame().set_index("quantity").value["overlap"]
        'even'
        """
        rows = [
            ("layer", self.layer, "what was checked"),
            ("ndim", self.ndim, "spatial axes (the overlap contrast depends on it)"),
            ("weights", self.weights, "whose taps were scored"),
            (
                "checkerboard_score",
                self.checkerboard_score,
                "fraction of a constant input's output power at the stride's harmonics",
            ),
            (
                "checkerboard_db",
                self.checkerboard_db,
                "10 log10(score / (1 - score)): the pattern's power over the mean level's",
            ),
            ("noise_checkerboard", self.noise_checkerboard, "std / mean of the output variance"),
            ("overlap", self.overlap, "even, uneven or holes (all-ones kernel)"),
            ("overlap_contrast", self.overlap_contrast, "(max - min) / mean of taps per phase"),
            ("clean_init_exists", self.clean_init_exists, "some kernel of this geometry is clean"),
            ("severity", self.severity, "none, faint, visible or strong (the audit's bands)"),
            ("flagged", self.flagged, f"holes, or a score from {self.threshold:g} (visible)"),
            ("advice", self.advice, "the decision table's advice"),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value", "meaning"])


def _num(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.3g}" if 0 < abs(x) < 1e-3 else f"{x:.3f}"


def _db(c: LayerCheck) -> str:
    db = c.checkerboard_db
    return f"{db:+.1f} dB" if math.isfinite(db) else ("-inf dB" if db < 0 else "+inf dB")


def _counts(counts: np.ndarray) -> str:
    values = sorted(set(counts.ravel().tolist()))
    return "/".join(map(str, values)) if len(values) > 1 else f"{values[0]} (all)"


def _wrap(line: str, width: int = 96) -> str:
    import textwrap

    indent = len(line) - len(line.lstrip())
    return textwrap.fill(line, width, subsequent_indent=" " * (indent + 2), break_long_words=False)


def parse_layer(layer: str):
    """Build the torch layer a line of code describes, e.g. ``"ConvTranspose2d(64, 32, 3, 2)"``.

    Only ``ConvTranspose1d/2d/3d`` (optionally written ``nn.`` or ``torch.nn.``) with literal
    arguments are accepted: nothing is evaluated. Weights are torch's default initialisation
    under ``torch.manual_seed(0)``, the caller's random state untouched.

    Examples
    --------
    >>> parse_layer("nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)")
    ConvTranspose2d(64, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1),
    output_padding=(1, 1))
    """
    import torch

    if not isinstance(layer, str):
        raise TypeError(f"layer must be a torch module or its code as a str, got {layer!r}")
    text = layer
    hint = "e.g. 'ConvTranspose2d(64, 32, 3, stride=2, padding=1)'"
    try:
        call = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        raise ValueError(f"layer {text!r} is not a line of code; {hint}") from None
    name = None
    if isinstance(call, ast.Call):
        name = call.func.attr if isinstance(call.func, ast.Attribute) else None
        name = call.func.id if isinstance(call.func, ast.Name) else name
    if name not in _CLASSES:
        raise ValueError(f"layer {text!r} must build one of {', '.join(_CLASSES)}; {hint}")
    try:
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    except ValueError:
        raise ValueError(f"layer {text!r}: every argument must be a literal; {hint}") from None
    if len(args) > len(_POSITIONAL) or None in kwargs:
        raise ValueError(f"layer {text!r} has too many arguments; {hint}")
    unknown = set(kwargs) - set(_POSITIONAL) - {"padding_mode"}
    if unknown:
        raise ValueError(f"layer {text!r}: unknown arguments {sorted(unknown)}; {hint}")
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's own warnings: the checks below say more
        torch.manual_seed(0)
        try:
            layer = getattr(torch.nn, name)(*args, **kwargs)
        except (TypeError, ValueError, RuntimeError) as exc:
            detail = " ".join(str(exc).split())
            raise ValueError(f"layer {text!r}: torch refuses it: {detail}") from None
    nd = int(name[-2])
    try:  # torch builds some layers it cannot run (kernel_size 0, stride 0, ...)
        for attr in ("in_channels", "out_channels"):
            check_int(attr, getattr(layer, attr), minimum=1)
        for attr in ("kernel_size", "stride", "dilation"):
            per_axis(attr, getattr(layer, attr), nd, minimum=1)
        for attr in ("padding", "output_padding"):
            per_axis(attr, getattr(layer, attr), nd, minimum=0)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"layer {text!r}: {exc}") from None
    return layer


def _describe(layer) -> str:
    text = repr(layer)
    return text if "\n" not in text else type(layer).__name__


def check_layer(
    layer: Any = None,
    *,
    kernel_size: IntOrTuple | None = None,
    stride: IntOrTuple | None = None,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    ndim: int | None = None,
    weight: Any = None,
    groups: int = 1,
    channels: tuple[int, int] = (1, 1),
    seeds: Sequence[int] = DEFAULT_SEEDS,
) -> LayerCheck:
    """Is this transposed convolution fine? The answer in words, with the numbers.

    Three ways to ask:

    - ``check_layer(layer)``: a ``torch.nn.ConvTranspose1d/2d/3d`` (its own weights are
      scored, all channels together) or the line of code that builds one, as a str;
    - ``check_layer(weight=w, stride=2)``: a weight ``(in, out // groups, *k)`` in torch's
      layout, or a single kernel with ``ndim`` given;
    - ``check_layer(kernel_size=3, stride=2, ndim=2)``: the geometry alone, scored for
      torch's default initialisation of ``channels`` (one channel pair by default, as in
      the decision table), averaged over ``seeds``.

    Parameters
    ----------
    layer : torch.nn.Module or str, optional
    kernel_size, stride, padding, output_padding, dilation : int or tuple of int
        The geometry when no layer is given (``kernel_size`` comes from ``weight`` when one
        is given). Padding and output padding move the pattern, never the scores.
    ndim : int, optional
        Spatial axes: from the layer or the weight; 2 (``ConvTranspose2d``) for a geometry.
    weight : array_like or torch.Tensor, optional
    groups : int
        The layer's ``groups`` (with ``weight``).
    channels : (int, int)
        Input and output channels of the default initialisation (geometry only): the score
        of a whole layer depends on them.
    seeds : sequence of int
        Seeds of the default initialisation (geometry only), at most :data:`MAX_SEEDS`.

    Returns
    -------
    LayerCheck
        ``print()`` it for the answer; ``.flagged``, ``.checkerboard_score`` and the rest
        for code; ``.to_frame()`` for a table.

    Raises
    ------
    TypeError
        ``layer`` is neither a ConvTranspose module nor a str; conflicting arguments.
    ValueError
        Bad geometry or weight (named, with the rule).

    Examples
    --------
    >>> import torch
    >>> check = check_layer(torch.nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1))
    >>> check.overlap, check.flagged, check.clean_init_exists
    ('even', True, True)
    >>> check = check_layer(kernel_size=4, stride=2, dilation=2, ndim=1)   # a geometry
    >>> print(check.layer)
    k4/s2/p0/op0/d2 (1-D)
    >>> print(check.verdict)
    CHECKERBOARD (flagged: some phases get no tap), score 0.500 (+0.0 dB)
    >>> print(check.instead[0])
    nn.ConvTranspose1d(in, out, 6, stride=2, padding=0, output_padding=1): k % s == 0 (even
    overlap), the same output size; init with al.decision.clean_kernel(6, 2, ndim=1) starts it
    clean
    """
    geometry = dict(
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        dilation=dilation,
    )
    # every argument checked before any work, whichever way of asking it serves
    groups = check_int("groups", groups, minimum=1)
    ndim = None if ndim is None else check_ndim(ndim)
    channels = _channels(channels)
    if hasattr(seeds, "__len__") and not isinstance(seeds, str) and len(seeds) > MAX_SEEDS:
        raise ValueError(f"seeds holds {len(seeds)} seeds, more than {MAX_SEEDS}; pass fewer")
    seeds = check_seeds("seeds", seeds, scalar=False)
    if layer is not None and not isinstance(layer, str) and not hasattr(layer, "weight"):
        raise TypeError(
            f"layer must be a torch.nn.ConvTranspose1d/2d/3d or its code as a str, got {layer!r}"
        )
    if layer is not None and (weight is not None or kernel_size is not None or stride is not None):
        raise TypeError(
            "pass a layer, or a weight with its stride, or kernel_size and stride: not both"
        )
    if isinstance(layer, str):
        layer = parse_layer(layer)
    if layer is not None:
        return _check_module(layer)
    if weight is not None:
        return _check_weight(weight, geometry, ndim, groups)
    if kernel_size is None or stride is None:
        missing = "kernel_size" if kernel_size is None else "stride"
        raise TypeError(
            f"check_layer needs a layer, a weight with its stride, or kernel_size and stride; "
            f"{missing} is None"
        )
    return _check_geometry(geometry, 2 if ndim is None else ndim, channels, seeds)


def _channels(channels: object) -> tuple[int, int]:
    if not isinstance(channels, tuple | list) or len(channels) != 2:
        raise TypeError(f"channels must be (in_channels, out_channels), got {channels!r}")
    return tuple(check_int(f"channels[{i}]", c, minimum=1) for i, c in enumerate(channels))


def _check_module(layer) -> LayerCheck:
    import torch

    nd = next(
        (n for n, c in enumerate(_CLASSES, 1) if isinstance(layer, getattr(torch.nn, c))), None
    )
    if nd is None:
        raise TypeError(
            f"layer must be a torch.nn.ConvTranspose1d, 2d or 3d, got {type(layer).__name__}; "
            "for strided convolutions and pools (the gradient's checkerboard) use "
            "al.audit(model, input_shape, direction='backward')"
        )
    if layer.weight.is_meta:
        raise ValueError("layer has no weights (a meta tensor); materialise it first")
    w = layer.weight.detach().to("cpu", torch.float64)
    ws = weight_scores(w, layer.stride, layer.dilation, ndim=nd, groups=layer.groups)
    geometry = {
        "kernel_size": layer.kernel_size,
        "stride": layer.stride,
        "padding": layer.padding,
        "output_padding": layer.output_padding,
        "dilation": layer.dilation,
    }
    return _answer(
        _describe(layer),
        nd,
        geometry,
        "its weights",
        (ws.checkerboard_score,),
        ws.noise_checkerboard,
        ws.zero_gain,
        layer=layer,
    )


def _check_weight(weight, geometry, ndim, groups) -> LayerCheck:
    if geometry["stride"] is None:
        raise TypeError("check_layer(weight=...) needs the layer's stride; stride is None")
    w = as_kernel(weight, name="weight")
    if ndim is not None and w.ndim == check_ndim(ndim):
        w = w[None, None]  # a single kernel
    nd = w.ndim - 2
    if not 1 <= nd <= 3:
        raise ValueError(
            f"weight must have shape (in, out, *kernel) with 1 to 3 spatial axes, or be one "
            f"kernel with ndim given; got shape {w.shape}"
        )
    k = tuple(w.shape[2:])
    if (
        geometry["kernel_size"] is not None
        and per_axis("kernel_size", geometry["kernel_size"], nd, minimum=1) != k
    ):
        raise ValueError(f"kernel_size={geometry['kernel_size']!r} disagrees with weight {k}")
    ws = weight_scores(w, geometry["stride"], geometry["dilation"], ndim=nd, groups=groups)
    geometry = {**geometry, "kernel_size": k}
    name = f"weight {tuple(w.shape)}"
    return _answer(
        name,
        nd,
        geometry,
        "the given weight",
        (ws.checkerboard_score,),
        ws.noise_checkerboard,
        ws.zero_gain,
    )


def _check_geometry(geometry, nd, channels, seeds) -> LayerCheck:
    from ..core.kernels import default_weight

    n_in, n_out = channels
    k = per_axis("kernel_size", geometry["kernel_size"], nd, minimum=1)
    s = per_axis("stride", geometry["stride"], nd, minimum=1)
    d = per_axis("dilation", geometry["dilation"], nd, minimum=1)
    phase_counts(k, s, d, ndim=nd)  # bounds the phases before any kernel is drawn
    scores, noise = [], []
    for seed in seeds:
        w = default_weight(n_in, n_out, k, ndim=nd, seed=seed).double().numpy()
        if (n_in, n_out) == (1, 1):  # exactly the decision table's kernels
            scores.append(checkerboard_score(w[0, 0], s, d))
            noise.append(noise_checkerboard(w[0, 0], s, d))
        else:
            ws = weight_scores(w, s, d, ndim=nd)
            scores.append(ws.checkerboard_score)
            noise.append(ws.noise_checkerboard)
    channel_text = "" if (n_in, n_out) == (1, 1) else f" of {n_in} -> {n_out} channels"
    name = (
        f"k{_c(k)}/s{_c(s)}/p{_c(per_axis('padding', geometry['padding'], nd, minimum=0))}"
        f"/op{_c(per_axis('output_padding', geometry['output_padding'], nd, minimum=0))}"
        f"/d{_c(d)} ({nd}-D)"
    )
    return _answer(
        name,
        nd,
        geometry,
        f"torch's default initialisation{channel_text}, mean of {len(seeds)} seeds",
        tuple(scores),
        float(np.mean(noise)),
        False,
    )


def _c(values: tuple[int, ...]) -> str:
    """``3`` for an isotropic value, ``3x5`` per axis (for names)."""
    return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))


def _code(values: tuple[int, ...]) -> str:
    """``3`` for an isotropic value, ``(3, 5)`` per axis (for lines of code)."""
    return str(values[0]) if len(set(values)) == 1 else str(tuple(values))


def _answer(name, nd, geometry, weights, scores, noise, zero_gain, *, layer=None) -> LayerCheck:
    k = per_axis("kernel_size", geometry["kernel_size"], nd, minimum=1)
    s = per_axis("stride", geometry["stride"], nd, minimum=1)
    p = per_axis("padding", geometry["padding"], nd, minimum=0)
    op = per_axis("output_padding", geometry["output_padding"], nd, minimum=0)
    d = per_axis("dilation", geometry["dilation"], nd, minimum=1)
    counts = phase_counts(k, s, d, p, ndim=nd)
    holes = bool((counts == 0).any())
    overlap = "holes" if holes else ("even" if counts.min() == counts.max() else "uneven")
    clean = clean_init_exists(k, s, d, ndim=nd)
    score = float(np.mean(scores))
    severity = "none" if zero_gain else band(score)
    flagged = holes or severity in FLAG
    iso = len(set(k)) == 1 and len(set(s)) == 1 and len(set(d)) == 1
    if iso:
        advice = recommendation(k[0], s[0], d[0])
    elif all(x == 1 for x in s):
        advice = RECOMMENDATIONS["stride 1"]
    else:
        advice = RECOMMENDATIONS["equal gains"] if clean else RECOMMENDATIONS["holes"]
    kernel = clean_kernel(k, s, d, ndim=nd) if clean else None
    return LayerCheck(
        layer=name,
        ndim=nd,
        kernel_size=k,
        stride=s,
        padding=p,
        output_padding=op,
        dilation=d,
        weights=weights,
        checkerboard_score=score,
        checkerboard_db=score_db(score),
        score_range=(float(min(scores)), float(max(scores))),
        noise_checkerboard=float(noise),
        zero_gain=bool(zero_gain),
        overlap=overlap,
        phase_counts=counts,
        overlap_contrast=overlap_contrast(k, s, d, p, ndim=nd),
        clean_init_exists=clean,
        flagged=bool(flagged),
        severity=severity,
        threshold=BANDS["visible"],
        advice=advice,
        instead=_instead(flagged, overlap, clean, k, s, p, op, d, nd, kernel, layer),
        clean_kernel=kernel,
    )


def _instead(flagged, overlap, clean, k, s, p, op, d, nd, kernel, layer) -> tuple[str, ...]:
    lines = []
    subject = "layer" if layer is not None else "a layer of this geometry"
    if clean and (flagged or overlap != "even"):
        fit = ""
        if layer is not None:
            from ..prevent.nn import from_module

            distance = from_module(layer).fit.relative_distance
            fit = f", fitted to its weights (relative distance {distance:.2f})"
        lines.append(
            f"al.nn.from_module({subject}): the same geometry constrained to equal phase"
            f" gains{fit}; score 0 while it trains"
        )
    if clean and flagged:
        name, code = _init_code(k, s, nd)
        if not name and kernel.size <= 9:
            code += f" = {_kernel_text(kernel.round(4).tolist())}"
        lines.append(f"start every channel pair from {code} (each phase gain 1)")
    if overlap != "even":  # an even geometry needs only a clean start, not a new geometry
        swap = _even_geometry(k, s, p, op, d, nd, layer)
        if swap:
            lines.append(swap)
    return tuple(lines)


def _kernel_text(values) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_kernel_text(v) for v in values) + "]"
    return f"{values:g}"


def _init_code(k: tuple[int, ...], s: tuple[int, ...], nd: int) -> tuple[str, str]:
    """A clean initial kernel of a geometry: ``(name, code)``, a known kernel when one fits."""
    if all(kk == 2 * ss - ss % 2 for kk, ss in zip(k, s)):
        return "bilinear", f"al.kernels.bilinear({_code(s)}, ndim={nd})"
    if k == s:
        return "hold", f"al.kernels.hold({_code(s)}, ndim={nd})"
    return "", f"al.decision.clean_kernel({_code(k)}, {_code(s)}, ndim={nd})"


def _init_text(k: tuple[int, ...], s: tuple[int, ...], nd: int) -> str:
    name, code = _init_code(k, s, nd)
    return f"{name} init ({code})" if name else f"init with {code}"


def _even_geometry(k, s, p, op, d, nd, layer) -> str:
    """A dilation-1 geometry with ``k % s == 0`` and the same output size for every input."""
    picks = []
    for a in range(nd):
        # L = n*s + c for every n: keep c, so the output size never changes
        c = d[a] * (k[a] - 1) - 2 * p[a] + op[a] + 1 - s[a]
        n = max(16, 2 + abs(c))
        options = transposed_geometry(n, n * s[a] + c, s[a])
        even = [g for g in options if g[0] % s[a] == 0]
        if not even:
            return ""
        picks.append(even[0])
    ks, ps, ops = (tuple(g[i] for g in picks) for i in range(3))
    if layer is not None:
        cls = type(layer).__name__
        if cls not in _CLASSES:
            cls = f"ConvTranspose{nd}d"
        head = f"nn.{cls}({layer.in_channels}, {layer.out_channels}, {_code(ks)}"
    else:
        head = f"nn.ConvTranspose{nd}d(in, out, {_code(ks)}"
    code = f"{head}, stride={_code(s)}, padding={_code(ps)}"
    if any(ops):
        code += f", output_padding={_code(ops)}"
    if layer is not None and layer.groups != 1:
        code += f", groups={layer.groups}"
    return (
        f"{code}): k % s == 0 (even overlap), the same output size; {_init_text(ks, s, nd)}"
        " starts it clean"
    )
