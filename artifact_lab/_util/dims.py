"""One per-dimension dispatch: torch's 1-D, 2-D and 3-D functions and module classes by ``ndim``.

Torch names its N-d operations ``conv_transpose2d``, ``nn.AvgPool3d`` and so on; every module
that picks one by the number of spatial axes asks here instead of keeping its own
``{1: ..., 2: ..., 3: ...}`` table. torch is imported on first use, not at import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NDIMS", "functional", "module", "module_ndim", "modules"]

#: The spatial dimensions torch's convolutions and pools come in.
NDIMS = (1, 2, 3)


def _check(ndim: object) -> int:
    if isinstance(ndim, bool) or not isinstance(ndim, int) or ndim not in NDIMS:
        raise ValueError(f"ndim must be 1, 2 or 3 (torch's N-d operations), got {ndim!r}")
    return ndim


def functional(name: str, ndim: int) -> Any:
    """``torch.nn.functional.<name><ndim>d``.

    Examples
    --------
    >>> functional("conv_transpose", 2).__name__
    'conv_transpose2d'
    """
    import torch.nn.functional as F

    return getattr(F, f"{name}{_check(ndim)}d")


def module(name: str, ndim: int) -> type:
    """``torch.nn.<name><ndim>d``.

    Examples
    --------
    >>> module("AvgPool", 3).__name__
    'AvgPool3d'
    """
    from torch import nn

    return getattr(nn, f"{name}{_check(ndim)}d")


def modules(name: str) -> tuple[type, ...]:
    """``torch.nn.<name>1d``, ``2d`` and ``3d`` (those torch has), for ``isinstance``.

    Examples
    --------
    >>> [c.__name__ for c in modules("ConvTranspose")]
    ['ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d']
    """
    from torch import nn

    return tuple(getattr(nn, f"{name}{n}d") for n in NDIMS if hasattr(nn, f"{name}{n}d"))


def module_ndim(layer: object, name: str) -> int | None:
    """The ``ndim`` of ``layer`` if it is a ``torch.nn.<name><ndim>d`` (or a subclass), else None.

    Examples
    --------
    >>> from torch import nn
    >>> module_ndim(nn.ConvTranspose3d(1, 1, 2), "ConvTranspose"), module_ndim(nn.ReLU(), "Conv")
    (3, None)
    """
    return next((n for n, cls in zip(NDIMS, modules(name)) if isinstance(layer, cls)), None)
