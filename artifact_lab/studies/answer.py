"""Which layer should I use? One row per situation, with the evidence that backs it.

Each row names a situation a practitioner is in, the layer to use, the closed-form score of
torch's default choice against the recommended one, what the experiments measured for the
recommended layer (the grid left in outputs or gradients, the cost in quality, each with its
95% interval over seeds, taken from the claims of the notebook that backs the row) and the
verdict of that notebook's test. Where no experiment measures a situation (3-D volumes,
audio quality), the row says so instead of borrowing a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .claims import Claim
from .gradients import recommended_fix

__all__ = ["AnswerRow", "answer_rows", "default_init_score"]


@dataclass(frozen=True)
class AnswerRow:
    """One situation of the answer table.

    ``grid`` and ``cost`` are claims whose estimate and interval the table prints (None:
    not measured); ``passes`` is the backing notebook's verdict on the recommendation, in
    words.
    """

    situation: str
    use: str
    default_score: float
    recommended_score: float
    grid: Claim | None
    grid_unit: str
    cost: Claim | None
    cost_unit: str
    passes: str
    notebook: str


def default_init_score(kernel_size: int, stride: int, *, ndim: int = 2, seeds: int = 30) -> float:
    """Mean closed-form score of torch's default ``ConvTranspose{ndim}d`` initialisation
    (8 input and 8 output channels, scored as a whole) over ``seeds`` seeds.

    Examples
    --------
    >>> round(default_init_score(4, 2), 2)  # near 1 - 1/s^2 = 0.75
    0.75
    """
    from .._util.checks import check_int
    from ..core.kernels import default_weight
    from ..core.scores import weight_scores

    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    ndim = check_int("ndim", ndim, minimum=1)
    if ndim > 3:
        raise ValueError(f"ndim must be 1, 2 or 3, got {ndim}")
    seeds = check_int("seeds", seeds, minimum=1)
    if kernel_size**ndim > 4096 or seeds > 1000:
        raise ValueError(
            f"kernel_size={kernel_size} in {ndim}-D over {seeds} seeds is beyond this summary "
            "(at most 4096 taps, 1000 seeds)"
        )
    return float(
        np.mean(
            [
                weight_scores(
                    default_weight(8, 8, kernel_size, ndim=ndim, seed=s), stride
                ).checkerboard_score
                for s in range(seeds)
            ]
        )
    )


def answer_rows(
    learning: dict[str, list[Claim]],
    gradients: dict[str, list[Claim]],
    prevention: dict[str, list[Claim]],
    choices,
) -> list[AnswerRow]:
    """The answer table's rows from the claims of notebooks 5, 7 and 8.

    Parameters
    ----------
    learning, gradients, prevention : dict
        :func:`~artifact_lab.studies.learning.learning_claims`,
        :func:`~artifact_lab.studies.gradients.gradient_claims` and
        :func:`~artifact_lab.studies.prevention.prevention_claims`.
    choices : DataFrame
        :func:`~artifact_lab.studies.prevention.prevention_choices` of the same claims.
    """
    from .._util.checks import check_frame, check_items

    for name, value in (("learning", learning), ("gradients", gradients),
                        ("prevention", prevention)):  # fmt: skip
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict of claim lists, got {type(value).__name__}")
        for key, part in value.items():
            check_items(f"{name}[{key!r}]", part, Claim)
    check_frame("choices", choices, ("factor", "method", "meets"))
    by_id = {c.id: c for part in (learning, gradients, prevention) for s in part.values()
             for c in s}  # fmt: skip

    def passes(factor: int, method: str) -> str:
        row = choices[(choices.factor == factor) & (choices.method == method)]
        if row.empty:
            return "not tested"
        return "passes all three tests" if bool(row.meets.iloc[0]) else "does not pass all three"

    def get(claim_id: str) -> Claim | None:
        return by_id.get(claim_id)

    k4 = default_init_score(4, 2)
    # notebook 7's rule; blur when no fix qualifies
    fix = recommended_fix(gradients, fixes=tuple(GRADIENT_FIXES)) or "blur"
    cost_fix = get(f"07-cost-{fix}")
    fix_grid = get(f"07-{fix}-trained-p2")
    return [
        AnswerRow(
            "a new upsampler (images, ×2)",
            "resize-convolution: nearest upsampling, then a convolution",
            k4,
            0.0,
            get("08-outputs-resize-conv-x2"),
            "× the pictures' own",
            get("08-cost-resize-conv-x2"),
            "dB of PSNR against a plain ConvTranspose2d",
            passes(2, "resize-conv"),
            "8",
        ),
        AnswerRow(
            "a new upsampler (images, ×4)",
            "resize-convolution: nearest upsampling, then a convolution",
            default_init_score(8, 4),
            0.0,
            get("08-outputs-resize-conv-x4"),
            "× the pictures' own",
            get("08-cost-resize-conv-x4"),
            "dB of PSNR against a plain ConvTranspose2d",
            passes(4, "resize-conv"),
            "8",
        ),
        AnswerRow(
            "an existing ConvTranspose2d to keep (same shape)",
            "al.nn.from_module(layer): the constrained layer, clean at every step",
            k4,
            0.0,
            get("08-outputs-constrained-x2"),
            "× the pictures' own",
            get("08-cost-constrained-x2"),
            "dB of PSNR against the plain layer",
            passes(2, "the constrained layer"),
            "8 (and 6)",
        ),
        AnswerRow(
            "training a sub-pixel layer from scratch",
            "ICNR initialisation, watched with al.monitor (it may drift)",
            default_init_score(4, 2),
            0.0,
            get("08-outputs-sub-pixel-icnr-x2"),
            "× the pictures' own",
            get("08-cost-sub-pixel-icnr-x2"),
            "dB of PSNR against a plain ConvTranspose2d",
            passes(2, "sub-pixel ICNR"),
            "8 (and 5)",
        ),
        AnswerRow(
            "discriminator or classifier gradients",
            GRADIENT_FIXES[fix],
            _adjoint_default(),
            0.0,
            fix_grid,
            "× chance (saliency, trained)",
            cost_fix,
            "test accuracy lost (share)",
            _verdict_words(fix_grid, "saliency below chance after training"),
            "7",
        ),
        AnswerRow(
            "audio, 1-D (vocoder ×8 layers)",
            "al.fix(model): each flagged layer swapped for a hold-smoothed one",
            default_init_score(16, 8, ndim=1),
            0.0,
            None,
            "measured on HiFi-GAN at seed 0 (notebook 6)",
            None,
            "not measured (no audio training here)",
            "not tested over seeds",
            "6",
        ),
        AnswerRow(
            "3-D volumes (×2)",
            "CheckerboardFreeConvTranspose3d or trilinear resize-convolution",
            default_init_score(4, 2, ndim=3),
            0.0,
            None,
            "not measured (closed form only)",
            None,
            "not measured",
            "not tested over seeds",
            "none (closed form only)",
        ),
    ]


#: The classifier study's backward fixes, in words.
GRADIENT_FIXES = {
    "blur": "blur before subsampling (stride 1, then BlurPool)",
    "pool": "average pooling after a stride-1 layer (stride 1, then AvgPool)",
    "even": "an even kernel for the stride (k % s == 0)",
}


def _adjoint_default() -> float:
    """Mean adjoint score of a default-initialised 3x3/s2 convolution (8 channels)."""
    import torch

    from ..core.scores import weight_scores

    out = []
    for s in range(30):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s)
            w = torch.nn.Conv2d(8, 8, 3, stride=2, padding=1).weight.detach()
        out.append(weight_scores(w, 2).checkerboard_score)
    return float(np.mean(out))


def _verdict_words(c: Claim | None, what: str) -> str:
    if c is None:
        return "not tested"
    return f"{what}: {c.verdict}"
