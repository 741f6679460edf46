"""Where torch work runs: device selection and the dtype used for exact checks.

Order of choice: the ``device`` argument, then the ``ARTIFACT_LAB_DEVICE`` environment
variable, then CUDA, MPS and CPU, whichever is present first. Every torch code path in the
library takes its device from here, so the CUDA path is the same code as the CPU path.
"""

from __future__ import annotations

import os

import torch

__all__ = ["ENV_VAR", "exact_dtype", "select_device"]

ENV_VAR = "ARTIFACT_LAB_DEVICE"


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def select_device(device: str | torch.device | None = None) -> torch.device:
    """The torch device to compute on.

    Parameters
    ----------
    device : str or torch.device, optional
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or ``"auto"``. Default: the
        ``ARTIFACT_LAB_DEVICE`` environment variable, else ``"auto"`` (CUDA, then MPS,
        then CPU).

    Raises
    ------
    ValueError
        An unknown device name, or one that is not present on this machine.

    Examples
    --------
    >>> select_device("cpu")
    device(type='cpu')
    """
    source = "device"
    if device is None:
        device = os.environ.get(ENV_VAR) or "auto"
        source = ENV_VAR
    if isinstance(device, str) and device.strip().lower() == "auto":
        for kind in ("cuda", "mps"):
            if _available(kind):
                return torch.device(kind)
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"{source} must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        ) from exc
    if not _available(dev.type):
        raise ValueError(f"{source}={device!r} was asked for, but no {dev.type} device is present")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(
            f"{source}={device!r}: only {torch.cuda.device_count()} CUDA device(s) are present"
        )
    return dev


def exact_dtype(device: torch.device) -> torch.dtype:
    """float64 wherever the device supports it (MPS does not: float32 there)."""
    return torch.float32 if device.type == "mps" else torch.float64
