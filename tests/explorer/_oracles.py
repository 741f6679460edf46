"""Independent references for the explorer's tests: torch for outputs, numpy FFTs for the
measurements, and random control settings over the whole range torch accepts."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.core.kernels import FAMILIES, make_kernel
from artifact_lab.explorer.state import input_signal

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
# scaled from the profile: a few dozen draws in the fast suite, thousands under test-all
EXAMPLES = max(20, settings().max_examples // 3)


def kernel(family, k, s, nd, seed):
    return make_kernel(family, None if family in ("bilinear", "hold") else k, s, ndim=nd, seed=seed)


def torch_output(x, kern, s, p, op, d):
    """``conv_transpose`` of one channel, float64."""
    nd = x.ndim
    xt = torch.as_tensor(x, dtype=torch.float64)[None, None]
    w = torch.as_tensor(kern, dtype=torch.float64)[None, None]
    return CONV_T[nd](xt, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0].numpy()


def measured(crop: np.ndarray, s: int, scale: float) -> tuple[float, float]:
    """The explorer's measurement rule, written again from its definition.

    Power by Parseval from a plain DFT; the harmonics are the bins at multiples of
    ``size/s``; a power at most ``(1e-10 * scale)**2 * size**2`` is rounding noise.
    """
    power = np.abs(np.fft.fftn(crop)) ** 2
    size = crop.size
    mask = np.zeros(crop.shape, bool)
    mask[tuple(slice(None, None, m // s) for m in crop.shape)] = True
    dc = power.ravel()[0]
    on = power[mask].sum() - dc
    off = power[~mask].sum()
    floor = (1e-10 * scale) ** 2 * size**2
    if on <= floor:
        return 0.0, -math.inf
    frac = on / power.sum()
    if off <= floor:
        return frac, math.inf
    peak = max(v for i, v in enumerate(power[mask].ravel()) if i)  # the strongest non-DC
    return frac, 10 * math.log10(peak / (off / (size - mask.sum())))


@st.composite
def controls(draw, families=FAMILIES, inputs=("constant", "noise", "camera"), max_n=None):
    """A random valid setting of the controls, over the whole range torch accepts."""
    nd = draw(st.sampled_from([1, 2]))
    family = draw(st.sampled_from(families))
    s = draw(st.integers(1, 6))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 12 if family != "icnr" else 4))
    seed = draw(st.integers(0, 9))
    n = draw(st.integers(1, max_n or (24 if nd == 2 else 64)))
    op = draw(st.integers(0, max(s, d) - 1))
    k_eff = kernel(family, k, s, 1, seed).shape[0]
    full = al.output_size(n, k_eff, s, 0, op, d)
    p = draw(st.integers(0, (full - 1) // 2))  # every padding torch accepts
    step = draw(st.one_of(st.none(), st.integers(0, n**nd)))
    return dict(
        ndim=nd,
        family=family,
        kernel_size=k,
        stride=s,
        dilation=d,
        seed=seed,
        input_size=n,
        output_padding=op,
        padding=p,
        input_kind=draw(st.sampled_from(inputs)),
        paint_step=step,
    )


def signal(kind, n, nd):
    return input_signal(kind, n, nd)
