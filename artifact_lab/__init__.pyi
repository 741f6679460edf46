# The public API, read at import time by lazy_loader (nothing here is imported eagerly) and by
# type checkers and IDEs. A name added here is public; ``dir(artifact_lab)`` lists exactly these.
from . import (
    atlas,
    backend,
    core,
    explorer,
    inspection,
    layers,
    models,
    prevent,
    report,
    studies,
    viz,
)
from .atlas import decision
from .atlas.sweep import sweep
from .backend import select_device
from .core import (
    adjoint,
    arithmetic,
    calculator,
    images,
    kernels,
    scores,
    spectral,
    stacks,
)
from .core.arithmetic import (
    TransposedConv,
    conv_transpose_by_zero_insertion,
    output_size,
    output_size_terms,
    zero_insert,
)
from .core.calculator import solve
from .core.overlap import (
    OverlapStats,
    has_holes,
    interior_mask,
    overlap,
    overlap_contrast,
    overlap_map,
    phase_counts,
)
from .core.scores import (
    WeightScores,
    checkerboard_score,
    noise_checkerboard,
    noise_gains,
    phase_gains,
    weight_scores,
)
from .core.spectral import harmonic_fraction, interior_crop
from .core.stacks import Composite, composite, stack_interior, stack_response
from .explorer.widget import explore
from .inspection.detect import inspect
from .layers import upsamplers
from .models import zoo
from .models.advice import check_layer
from .models.audit import audit, fix
from .models.loading import load_model
from .prevent import losses, nn
from .prevent.monitor import monitor
from .studies import compare, training
from .studies.compare import compare_upsamplers
from .viz import diagrams, plotting, tables

__version__: str
