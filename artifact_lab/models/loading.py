"""Build a user's model from ``package.module:factory``, ``path/to/file.py:factory`` or an
ONNX file ``path/to/model.onnx``.

A ``package.module`` that is not importable from ``sys.path`` is looked for in the current
folder too (the command line runs from an installed script, whose ``sys.path`` does not hold
it). An ONNX file is read by :func:`artifact_lab.models.onnx.load_onnx` (``pip install
'artifact_lab[onnx]'``).

Every failure becomes one ``ValueError`` or ``TypeError`` whose message names the file, the
factory or the checkpoint and gives the real cause (the exception type and its whole message,
the line in the user's file), never an empty reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["load_model"]


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else f"{type(exc).__name__} (no message)"


def _line_in(exc: BaseException, path: Path) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
    return f" (line {frames[-1].lineno})" if frames else ""


def _import_file(path: Path):
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    name = f"_artifact_lab_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"model file {str(path)!r} cannot be imported as a Python module")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except SyntaxError as exc:
        del sys.modules[name]
        raise ValueError(
            f"model file {str(path)!r} does not parse: {exc.msg} (line {exc.lineno})"
        ) from None
    except ModuleNotFoundError as exc:
        del sys.modules[name]
        raise ValueError(
            f"model file {str(path)!r} imports {exc.name!r}, which is not installed"
            f"{_line_in(exc, path.resolve())}: {_reason(exc)}"
        ) from None
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise ValueError(
            f"model file {str(path)!r} raised at import{_line_in(exc, path.resolve())}: "
            f"{_reason(exc)}"
        ) from None
    return mod


def local_module(name: str) -> Path | None:
    """The file or package folder of ``name``'s top-level part in the current folder, when
    ``sys.path`` does not find it (None otherwise, or when it is not there either)."""
    top = name.partition(".")[0]
    if not top.isidentifier():
        return None
    if top in sys.modules or importlib.machinery.PathFinder.find_spec(top) is not None:
        return None
    for candidate in (Path.cwd() / f"{top}.py", Path.cwd() / top):
        if candidate.exists():
            return candidate
    return None


def _import_module(name: str):
    if local_module(name) is not None:
        sys.path.insert(0, str(Path.cwd()))
        try:
            return _import_module_here(name)
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(Path.cwd()))
    return _import_module_here(name)


def _import_module_here(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise ValueError(f"cannot import {name!r}: {_reason(exc)}") from None
        raise ValueError(
            f"module {name!r} imports {exc.name!r}, which is not installed: {_reason(exc)}"
        ) from None
    except SyntaxError as exc:
        raise ValueError(
            f"module {name!r} does not parse: {exc.msg} ({exc.filename}, line {exc.lineno})"
        ) from None
    except (Exception, SystemExit) as exc:
        raise ValueError(f"importing {name!r} raised: {_reason(exc)}") from None


def _resolve(module_part: str, attr: str) -> Any:
    """The object ``attr`` of a module name or a ``.py`` file."""
    if module_part.endswith(".py"):
        path = Path(module_part)
        if not path.is_file():
            raise ValueError(f"model file {module_part!r} does not exist")
        mod = _import_file(path)
    else:
        mod = _import_module(module_part)
    if not hasattr(mod, attr):
        raise ValueError(f"{module_part!r} has no attribute {attr!r}")
    return getattr(mod, attr)


def _unsafe_reason(text: str) -> str:
    """The informative sentence of torch's long weights-only refusal."""
    marker = "WeightsUnpickler error:"
    if marker in text:
        tail = text.split(marker, 1)[1]
        tail = tail.split("Check the documentation", 1)[0]
        return " ".join(tail.split()).split(" Please use")[0]
    return " ".join(text.split())


def _read_checkpoint(checkpoint: str | os.PathLike) -> Any:
    path = Path(checkpoint)
    where = f"checkpoint {str(checkpoint)!r}"
    if not path.exists():
        raise ValueError(f"{where} does not exist")
    if not path.is_file():
        raise ValueError(f"{where} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{where} is empty (0 bytes): it was not written completely")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        text = str(exc)
        if "Weights only load failed" in text:
            raise ValueError(
                f"{where} holds something other than tensors and plain containers, which "
                f"torch.load(weights_only=True) refuses to run: {_unsafe_reason(text)}"
            ) from None
        if "zip archive" in text or isinstance(exc, EOFError):
            raise ValueError(
                f"{where} is damaged or truncated ({path.stat().st_size} bytes): {_reason(exc)}"
            ) from None
        raise ValueError(f"cannot read {where}: {_reason(exc)}") from None


def _state_dict(state: Any, where: str) -> dict[str, Any]:
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if key in state and isinstance(state[key], dict):
                state = state[key]
                break
    if not isinstance(state, dict):
        raise ValueError(
            f"{where} holds a {type(state).__name__}, not a state dict (a dict of names to "
            "tensors, or one under 'state_dict' or 'model')"
        )
    bad = [f"{k} ({type(v).__name__})" for k, v in state.items() if not torch.is_tensor(v)]
    if bad:
        raise ValueError(
            f"{where} holds non-tensor values: {_show(bad)}; a state dict maps parameter "
            "names to tensors"
        )
    return state


def _show(keys: list[str]) -> str:
    return ", ".join(keys[:4]) + (f" (+{len(keys) - 4} more)" if len(keys) > 4 else "")


def _non_finite(model: nn.Module) -> list[str]:
    out = []
    for key, value in model.state_dict().items():
        if torch.is_tensor(value) and value.is_floating_point():
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                out.append(f"{key} ({bad} of {value.numel()})")
    return out


def load_model(
    target: str,
    *,
    checkpoint: str | os.PathLike | None = None,
    kwargs: dict[str, Any] | None = None,
) -> nn.Module:
    """Build a user's model and load its weights.

    Parameters
    ----------
    target : str
        ``"package.module:factory"`` or ``"path/to/file.py:factory"``; ``factory`` is a
        callable returning a ``torch.nn.Module`` (a class works), or a module instance.
        Or ``"path/to/model.onnx"``: the ONNX graph as torch modules (its weights inside).
    checkpoint : path, optional
        Read with ``torch.load(..., weights_only=True)`` (never runs code from the file): a
        state dict, or a dict holding one under ``"state_dict"`` or ``"model"``.
    kwargs : dict, optional
        Keyword arguments for the factory.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        A file that does not exist, does not parse, misses a dependency or raises at
        import (with the line); a factory that raises; a checkpoint that is missing, empty,
        damaged, unsafe, holds non-tensor values, or does not fit the model (missing,
        unexpected and mis-shaped keys); weights that are NaN or infinite (named).
    TypeError
        A bad argument type, or a factory that returns something other than a module
        (a tuple is named as such).

    Examples
    --------
    >>> model = load_model("artifact_lab.models.zoo:UNet", kwargs={"width": 1 / 16})
    >>> type(model).__name__
    'UNet'
    """
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"target must be a str 'module:factory' or a .onnx path, got {target!r}")
    if str(target).lower().endswith(".onnx"):
        if checkpoint is not None or kwargs:
            raise ValueError(
                "checkpoint and kwargs apply to Python factories; an ONNX file holds its weights"
            )
        from .onnx import load_onnx

        return load_onnx(target)
    target = str(target)
    if checkpoint is not None and not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a path or None, got {checkpoint!r}")
    if kwargs is not None and (
        not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs)
    ):
        raise TypeError(f"kwargs must be a dict with str keys or None, got {kwargs!r}")
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise ValueError(
            f"target must look like 'package.module:factory' or 'file.py:factory', got {target!r}"
        )
    try:
        factory = _resolve(module_part, attr)
    except ValueError as exc:
        raise ValueError(f"target {target!r}: {exc}") from None
    if isinstance(factory, nn.Module) or not callable(factory):
        model = factory
    else:
        try:
            model = factory(**(kwargs or {}))
        except Exception as exc:
            raise ValueError(f"the factory {target} raised: {_reason(exc)}") from None
    if isinstance(model, (tuple, list)):
        kinds = ", ".join(type(v).__name__ for v in model[:4])
        raise TypeError(
            f"{target} returned a {type(model).__name__} of {len(model)} items ({kinds}), not "
            "a torch.nn.Module: point at a function that returns the model alone"
        )
    if not isinstance(model, nn.Module):
        raise TypeError(f"{target} returned {type(model).__name__}, not a torch.nn.Module")
    where = f"the model built by {target}"
    if checkpoint is not None:
        where = f"checkpoint {str(checkpoint)!r}"
        state = _state_dict(_read_checkpoint(checkpoint), where)
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(
            f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
            for k in set(own) & set(state)
            if tuple(state[k].shape) != tuple(own[k].shape)
        )
        if missing or unexpected or shapes:
            parts = [
                f"missing keys: {_show(missing)}" if missing else "",
                f"unexpected keys: {_show(unexpected)}" if unexpected else "",
                f"shape mismatch: {_show(shapes)}" if shapes else "",
            ]
            raise ValueError(f"{where} does not fit {target}: " + "; ".join(p for p in parts if p))
        try:
            model.load_state_dict(state)
        except Exception as exc:
            raise ValueError(f"{where} does not load into {target}: {_reason(exc)}") from None
    bad = _non_finite(model)
    if bad:
        raise ValueError(
            f"{where} has NaN or infinite weights in {_show(bad)}: every score would be NaN"
        )
    return model
