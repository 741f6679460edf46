"""Oracles several test files share: torch's own operations by dimension, and the harmonic
fraction by brute force (an FFT of the crop), independent of the library's code."""

import numpy as np
import torch.nn.functional as F
from torch import nn

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
LP_POOL = {1: F.lp_pool1d, 2: F.lp_pool2d, 3: F.lp_pool3d}
CONV_MODULE = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
AVG_MODULE = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
MAX_MODULE = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
LP_MODULE = {1: nn.LPPool1d, 2: nn.LPPool2d, 3: nn.LPPool3d}


def harmonic_fraction_fft(crop, period, ndim: int = 2) -> float:
    """Power at the non-zero harmonics of ``period`` over the total power, summed over the
    leading axes (channels), from ``np.fft.fftn`` of a crop holding whole periods."""
    crop = np.asarray(crop, dtype=np.float64)
    axes = tuple(range(crop.ndim - ndim, crop.ndim))
    period = (period,) * ndim if np.isscalar(period) else tuple(period)
    power = np.abs(np.fft.fftn(crop, axes=axes)) ** 2
    step = tuple(crop.shape[a] // p for a, p in zip(axes, period, strict=True))
    harmonic = power[(Ellipsis, *(slice(None, None, st) for st in step))].sum()
    dc = power[(Ellipsis, *(0,) * ndim)].sum()
    return float((harmonic - dc) / power.sum())
