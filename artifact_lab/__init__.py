"""artifact_lab: explain and measure checkerboard artifacts of upsampling layers.

The public API (DESIGN.md section 2) is re-exported here; each name lives in the module
of its concept (``arithmetic``, ``overlap``, ``scores``, ``kernels``, ...). Submodules load
lazily (PEP 562), so ``import artifact_lab`` stays light and pays for torch, pandas or
nbformat only when a name that needs them is first used.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the submodule that defines it
_NAMES = {
    "TransposedConv": "arithmetic",
    "conv_transpose_by_zero_insertion": "arithmetic",
    "output_size": "arithmetic",
    "output_size_terms": "arithmetic",
    "zero_insert": "arithmetic",
    "audit": "audit",
    "fix": "audit",
    "select_device": "backend",
    "solve": "calculator",
    "compare_upsamplers": "compare",
    "explore": "explore",  # the function; the module stays importable as artifact_lab.explore
    "monitor": "monitor",  # the function; the module stays importable as artifact_lab.monitor
    "OverlapStats": "overlap",
    "has_holes": "overlap",
    "interior_mask": "overlap",
    "overlap": "overlap",
    "overlap_contrast": "overlap",
    "overlap_map": "overlap",
    "phase_counts": "overlap",
    "WeightScores": "scores",
    "checkerboard_score": "scores",
    "noise_checkerboard": "scores",
    "noise_gains": "scores",
    "phase_gains": "scores",
    "weight_scores": "scores",
    "harmonic_fraction": "spectral",
    "inspect": "inspect.detect",  # the function; the subpackage is artifact_lab.inspect
    "interior_crop": "spectral",
    "Composite": "stacks",
    "composite": "stacks",
    "stack_interior": "stacks",
    "stack_response": "stacks",
    "sweep": "sweep",  # the function; the module stays importable as artifact_lab.sweep
}
# submodules reachable as attributes (``al.kernels.ones``)
_MODULES = (
    "adjoint",
    "arithmetic",
    "audit",
    "backend",
    "calculator",
    "compare",
    "decision",
    "diagrams",
    "explorer_page",
    "images",
    "kernels",
    "losses",
    "nn",
    "plotting",
    "report",
    "scores",
    "spectral",
    "stacks",
    "tables",
    "training",
    "upsamplers",
    "zoo",
)

__all__ = sorted([*_NAMES, *_MODULES])


def __getattr__(name: str) -> Any:
    if name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'artifact_lab' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """Keeps ``al.sweep``, ``al.audit`` and ``al.overlap`` the functions.

    Importing a submodule makes Python set it as an attribute of the package; where a
    function of the same name is public (``al.sweep`` is the function, the module stays
    ``artifact_lab.sweep`` in ``sys.modules``), that assignment is dropped.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _NAMES.get(name, "").split(".")[0] == name:
            return  # the function is loaded (or already was) by __getattr__
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # static analysers and IDEs see the eager imports
    from . import (
        adjoint,
        compare,
        decision,
        diagrams,
        explorer_page,
        images,
        kernels,
        losses,
        nn,
        spectral,
        tables,
        training,
        upsamplers,
        zoo,
    )
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
    from .explore import explore
    from .inspect.detect import inspect
    from .monitor import monitor
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
    from .stacks import Composite, composite, stack_interior, stack_response
    from .sweep import sweep
