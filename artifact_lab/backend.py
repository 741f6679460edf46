"""Where torch work runs: device selection, exact arithmetic, memory budgets and timing.

Order of choice: the ``device`` argument, then the ``ARTIFACT_LAB_DEVICE`` environment
variable, then CUDA, MPS and CPU, whichever is present first. Every torch code path in the
library takes its device from here, so the CUDA path is the same code as the CPU path.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ._util.checks import check_callable, check_device, check_int

__all__ = [
    "ENV_VAR",
    "KernelTimer",
    "exact_dtype",
    "exact_math",
    "free_memory",
    "host_available_memory",
    "select_device",
    "work_budget",
]

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
    check_device("device", device)
    return torch.float32 if device.type == "mps" else torch.float64


# --- exact arithmetic for measurements ------------------------------------------------------

# (module path, attribute) of every fp32 precision switch torch >= 2.9 has; older torch has
# the legacy flags handled below. "ieee" means true float32 (no TF32, no bf16 shortcuts).
_PRECISION_SWITCHES = (
    ("cuda.matmul", "fp32_precision"),
    ("cudnn.conv", "fp32_precision"),
    ("cudnn.rnn", "fp32_precision"),
    ("mkldnn.matmul", "fp32_precision"),
    ("mkldnn.conv", "fp32_precision"),
    ("mkldnn.rnn", "fp32_precision"),
)
_exact_lock = threading.RLock()
_exact_depth = 0
_exact_saved: list[tuple[object, str, object]] = []


def _switches() -> list[tuple[object, str]]:
    found = []
    for path, attr in _PRECISION_SWITCHES:
        obj = torch.backends
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None and hasattr(obj, attr):
            found.append((obj, attr))
    return found


@contextmanager
def exact_math() -> Iterator[None]:
    """Run the enclosed torch work in true float32/float64: TF32 and reduced-precision
    shortcuts off for cuDNN convolutions, cuBLAS matmuls and oneDNN, restored on exit.

    torch lets cuDNN convolutions use TF32 by default on Ampere and later GPUs, which keeps
    only 10 mantissa bits: a float32 measurement would silently lose three decimal digits.
    Every measurement in the library runs inside this context. On torch >= 2.9 the
    per-backend ``fp32_precision`` switches are used (mixing them with the legacy
    ``allow_tf32`` flags makes torch raise); older torch gets ``allow_tf32 = False`` and
    ``set_float32_matmul_precision("highest")``. Nested and concurrent use (threads) is safe:
    the outermost entry saves the settings and the last exit restores them.

    Examples
    --------
    >>> with exact_math():
    ...     y = torch.ones(2, 2) @ torch.ones(2, 2)
    >>> y.tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """
    global _exact_depth
    with _exact_lock:
        if _exact_depth == 0:
            _exact_saved.clear()
            switches = _switches()
            if switches:
                for obj, attr in switches:
                    _exact_saved.append((obj, attr, getattr(obj, attr)))
                    setattr(obj, attr, "ieee")
            else:  # torch < 2.9
                cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
                _exact_saved.extend(
                    [
                        (cudnn, "allow_tf32", cudnn.allow_tf32),
                        (matmul, "allow_tf32", matmul.allow_tf32),
                        (torch, "float32_matmul_precision", torch.get_float32_matmul_precision()),
                    ]
                )
                cudnn.allow_tf32 = False
                matmul.allow_tf32 = False
                torch.set_float32_matmul_precision("highest")
        _exact_depth += 1
    try:
        yield
    finally:
        with _exact_lock:
            _exact_depth -= 1
            if _exact_depth == 0:
                for obj, attr, value in reversed(_exact_saved):
                    if obj is torch and attr == "float32_matmul_precision":
                        torch.set_float32_matmul_precision(value)
                    else:
                        setattr(obj, attr, value)
                _exact_saved.clear()


# --- memory and timing -------------------------------------------------------------------


def free_memory(device: torch.device) -> int:
    """Bytes that can still be allocated on ``device``: CUDA's free memory, the unified
    memory MPS recommends, the host's available memory (``MemAvailable``) for the CPU."""
    check_device("device", device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type == "mps":
        return int(torch.mps.recommended_max_memory() - torch.mps.current_allocated_memory())
    return host_available_memory()


def host_available_memory() -> int:
    """The host's available memory in bytes (``MemAvailable``; else physical pages)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30  # unknown platform: assume a modest machine


def work_budget(device: torch.device, memory_mb: int | None) -> int:
    """Bytes one unit of work may use on ``device``: ``memory_mb`` MiB when given (never
    more than is free), else half of the device's free memory.

    Examples
    --------
    >>> work_budget(torch.device("cpu"), 64)
    67108864
    """
    if memory_mb is not None:
        memory_mb = check_int("memory_mb", memory_mb, minimum=1)
    free = free_memory(device)
    if memory_mb is not None:
        return min(memory_mb << 20, free)
    return free // 2


class KernelTimer:
    """Time spent in device work, measured without synchronising inside the loop.

    On CUDA each :meth:`span` records a pair of CUDA events on the current stream; the
    elapsed times are read (one synchronisation) only by :meth:`seconds`. Elsewhere the
    wall clock is used, which is exact because CPU work is synchronous.

    Examples
    --------
    >>> timer = KernelTimer(torch.device("cpu"))
    >>> with timer.span():
    ...     _ = torch.ones(3).sum()
    >>> timer.seconds() >= 0
    True
    """

    def __init__(self, device: torch.device, *, event_factory=None) -> None:
        check_device("device", device)
        if event_factory is not None:
            check_callable("event_factory", event_factory)
        self._events = device.type == "cuda" or event_factory is not None
        self._factory = event_factory or (lambda: torch.cuda.Event(enable_timing=True))
        self._pairs: list[tuple[object, object]] = []
        self._wall = 0.0

    @contextmanager
    def span(self) -> Iterator[None]:
        if self._events:
            start, end = self._factory(), self._factory()
            start.record()
            yield
            end.record()
            self._pairs.append((start, end))
        else:
            t0 = time.perf_counter()
            yield
            self._wall += time.perf_counter() - t0

    def seconds(self) -> float:
        """Total seconds of the spans so far (on CUDA: waits for the last one to finish)."""
        if self._pairs:
            self._pairs[-1][1].synchronize()
            self._wall += sum(a.elapsed_time(b) for a, b in self._pairs) / 1000.0
            self._pairs.clear()
        return self._wall
