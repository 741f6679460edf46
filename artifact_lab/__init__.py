"""artifact_lab: explain and measure checkerboard artifacts of upsampling layers.

The public API (DESIGN.md section 2) is re-exported here; each name lives in the module
of its concept (``arithmetic``, ``overlap``, ``scores``, ``kernels``, ...).
"""

from . import compare, images, kernels, spectral, training, upsamplers, zoo
from .arithmetic import (
    TransposedConv,
    conv_transpose_by_zero_insertion,
    output_size,
    output_size_terms,
    zero_insert,
)
from .audit import audit, fix
from .backend import select_device
from .calculator import solve
from .compare import compare_upsamplers
from .overlap import (
    OverlapStats,
    has_holes,
    interior_mask,
    overlap,
    overlap_contrast,
    overlap_map,
    phase_counts,
)
from .scores import (
    WeightScores,
    checkerboard_score,
    noise_checkerboard,
    noise_gains,
    phase_gains,
    weight_scores,
)
from .spectral import harmonic_fraction, interior_crop
from .stacks import Composite, composite, stack_response
from .sweep import sweep  # the function; the module stays importable as artifact_lab.sweep

__version__ = "0.1.0"

__all__ = [
    "Composite",
    "OverlapStats",
    "TransposedConv",
    "WeightScores",
    "audit",
    "checkerboard_score",
    "compare",
    "compare_upsamplers",
    "composite",
    "conv_transpose_by_zero_insertion",
    "fix",
    "harmonic_fraction",
    "has_holes",
    "images",
    "interior_crop",
    "interior_mask",
    "kernels",
    "noise_checkerboard",
    "noise_gains",
    "output_size",
    "output_size_terms",
    "overlap",
    "overlap_contrast",
    "overlap_map",
    "phase_counts",
    "phase_gains",
    "select_device",
    "solve",
    "spectral",
    "stack_response",
    "sweep",
    "training",
    "upsamplers",
    "weight_scores",
    "zero_insert",
    "zoo",
]
