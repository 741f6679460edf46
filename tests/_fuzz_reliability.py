"""Fuzz rows beyond bad values (see ``tests/_fuzz.py``): NaN/inf inputs whose scores must be
NaN or a clear error (``NanRow``), and pure functions two threads call at once on different
inputs (``ThreadRow``)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import nn

from artifact_lab.atlas import decision
from artifact_lab.atlas.sweep import sweep
from artifact_lab.core import adjoint, arithmetic, calculator, kernels, overlap, scores, spectral
from artifact_lab.prevent import losses
from artifact_lab.prevent import monitor as monitor_module
from artifact_lab.prevent import nn as al_nn
from artifact_lab.viz import tables
from tests._fuzz import NanRow, Row, ThreadRow

RNG = np.random.default_rng(0)
W = torch.from_numpy(RNG.standard_normal((3, 2, 4, 4)))
W32 = W.float()
KERNEL = RNG.standard_normal((5, 5))


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.ConvTranspose2d(2, 2, 4, 2, 1),
        nn.Conv2d(2, 8, 3, padding=2, dilation=2),
        nn.PixelShuffle(2),
        nn.Conv2d(2, 2, 3, stride=2),
    )


def _monitored(model: nn.Module, direction: str = "both") -> torch.Tensor:
    """The scores the monitor records for ``model``: every layer's, one record."""
    import warnings

    mon = monitor_module.Monitor(model, direction=direction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the diverged-layer warning
        mon.record(0)
    frame = mon.to_frame()
    return frame[["checkerboard_score", "pair_score", "noise_checkerboard"]].to_numpy()


def _constrained() -> nn.Module:
    torch.manual_seed(0)
    return al_nn.CheckerboardFreeConvTranspose2d(2, 3, 4, stride=2, padding=1)


def _measured(op_scale: torch.Tensor) -> adjoint.MeasuredGains:
    """A pool whose gradient is scaled by ``op_scale``'s values on the interior (positions
    4 to 11 of 16; a NaN one: a NaN gradient where the gains are measured)."""
    x = torch.ones(1, 1, 16, dtype=torch.float64)
    mask = adjoint.adjoint_interior(16, 3, 2, whole_windows=True)
    assert mask[4:12].all()
    scale = torch.cat([torch.ones(4, dtype=op_scale.dtype), op_scale.reshape(-1), torch.ones(4)])
    return adjoint.measured_gains(lambda t: F.avg_pool1d(t * scale, 3, 2), x, 2, mask)


def _measured_scores(m: adjoint.MeasuredGains) -> list[float]:
    return [m.score, m.spread]


ROWS: list[Row] = [
    Row(
        losses.record_scores,
        lambda: dict(layer=losses.find_layers(_model(), direction="both")[1]),
        dict(layer=st.sampled_from([None, "layer", 5, W, _model()])),
    ),
]

NAN_ROWS: list[NanRow] = [
    *[
        # score, harmonic power and noise score; the total power of an infinite weight is inf
        NanRow(
            losses.layer_scores,
            dict(weight=w, stride=2, channels=c),
            "weight",
            read=lambda r: r[:3],
        )
        for w in (W, W32)
        for c in ("sum", "pairs")
    ],
    *[
        NanRow(
            losses.checkerboard_penalty,
            dict(model_or_weights=w, stride=(2, 3), channels=c, normalized=n),
            "model_or_weights",
        )
        for w in (W, W32)
        for c in ("sum", "pairs")
        for n in (True, False)
    ],
    NanRow(
        losses.checkerboard_penalty,
        lambda: dict(model_or_weights=_model(), direction="both"),  # the mean over layers
        "model_or_weights",
    ),
    NanRow(
        losses.checkerboard_penalty,
        lambda: dict(model_or_weights=_constrained()),
        "model_or_weights",
    ),
    # one layer's scores are NaN: so is their mean over layers
    NanRow(_monitored, lambda: dict(model=_model()), "model", read=lambda r: r.mean(axis=0)),
    NanRow(_monitored, lambda: dict(model=_constrained(), direction="forward"), "model"),
    NanRow(
        lambda op_scale: _measured_scores(_measured(op_scale)),
        lambda: dict(op_scale=torch.ones(8, dtype=torch.float64)),
        "op_scale",
    ),
    # the closed forms and spectra refuse NaN or infinite data, naming it
    NanRow(scores.checkerboard_score, dict(kernel=torch.from_numpy(KERNEL), stride=2), "kernel"),
    NanRow(
        scores.weight_scores,
        dict(weight=W32, stride=2),
        "weight",
        read=lambda r: r.checkerboard_score,
    ),
    NanRow(spectral.harmonic_fraction, dict(y=torch.rand(4, 16, 16), stride=2), "y"),
    NanRow(spectral.peak_db, dict(y=torch.rand(16, 16), stride=2), "y"),
    NanRow(
        adjoint.adjoint_pattern, dict(kernel=torch.ones(3, 3), input_size=12, stride=2), "kernel"
    ),
]


THREAD_ROWS: list[ThreadRow] = [
    ThreadRow(
        scores.checkerboard_score, dict(kernel=KERNEL, stride=2), dict(kernel=KERNEL, stride=3)
    ),
    ThreadRow(
        scores.weight_scores, dict(weight=W, stride=2), dict(weight=W * 2 + 1, stride=(2, 3))
    ),
    ThreadRow(
        scores.phase_gains, dict(kernel=KERNEL, stride=2, dilation=2), dict(kernel=KERNEL, stride=2)
    ),
    ThreadRow(
        spectral.harmonic_fraction,
        dict(y=np.tile([2.0, 1.0], 8), stride=2),
        dict(y=np.tile([3.0, 1.0, 1.0], 8), stride=3),
    ),
    ThreadRow(
        arithmetic.output_size,
        dict(input_size=8, kernel_size=3, stride=2),
        dict(input_size=9, kernel_size=4, stride=3),
    ),
    ThreadRow(
        calculator.solve, dict(input_size=16, output_size=32), dict(input_size=8, output_size=24)
    ),
    ThreadRow(
        overlap.overlap_map,
        dict(input_size=6, kernel_size=3, stride=2),
        dict(input_size=7, kernel_size=5, stride=3),
    ),
    # seeded draws: each thread's seed must give its own kernel (a shared global generator
    # seeded by one thread and drawn by the other would mix them)
    ThreadRow(
        kernels.default_weight,
        dict(in_channels=2, out_channels=2, kernel_size=4, seed=0),
        dict(in_channels=2, out_channels=2, kernel_size=4, seed=1),
    ),
    ThreadRow(
        kernels.make_kernel,
        dict(family="default", kernel_size=4, stride=2, seed=3),
        dict(family="normal", kernel_size=4, stride=2, seed=3),
    ),
    ThreadRow(
        decision.clean_kernel,
        dict(kernel_size=5, stride=2, seed=0),
        dict(kernel_size=5, stride=3, seed=1),
    ),
    ThreadRow(
        losses.layer_scores, dict(weight=W, stride=2), dict(weight=W, stride=3, channels="pairs")
    ),
    ThreadRow(
        losses.checkerboard_penalty,
        dict(model_or_weights=W32, stride=2),
        dict(model_or_weights=W32 * 1e-30, stride=3),
    ),
    ThreadRow(
        adjoint.adjoint_pattern,
        dict(kernel=[1.0, 2.0, 3.0], input_size=9, stride=2),
        dict(kernel=[1.0, 1.0], input_size=9, stride=2),
    ),
    ThreadRow(
        lambda scale: _measured_scores(_measured(scale)),
        dict(scale=torch.ones(8, dtype=torch.float64)),
        dict(scale=torch.linspace(1, 2, 8, dtype=torch.float64)),
    ),
    ThreadRow(
        sweep,
        dict(
            kernel_sizes=[3], strides=[2], inputs=("noise",), input_size=8, batch=2, progress=False
        ),
        dict(
            kernel_sizes=[4],
            strides=[3],
            inputs=("constant",),
            input_size=8,
            batch=2,
            progress=False,
        ),
        rounds=3,
    ),
    ThreadRow(tables.table, lambda: dict(frame=_frame(1)), lambda: dict(frame=_frame(2))),
]


def _frame(k):
    import pandas as pd

    return pd.DataFrame({"kernel_size": [k, k + 1], "checkerboard_score": [0.1 * k, 0.0]})
