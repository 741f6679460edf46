"""The flat module paths of 0.1 (``artifact_lab.training``, ``artifact_lab.fixes``, ...) forward to
their new homes in the subpackages, with a ``DeprecationWarning``, for one release.

A finder at the end of ``sys.meta_path`` answers only for ``artifact_lab.<old name>`` (the
regular finders have already looked and found no such file) with a small forwarding module:
``from artifact_lab.training import train_upsamplers`` keeps working and says where the name
lives now. Public names on the package itself (``al.training``, ``al.sweep``) never warn.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

__all__ = ["MOVED", "deprecated_attribute", "install"]

#: old module name -> the modules that now hold its public names, the main one first
MOVED: dict[str, tuple[str, ...]] = {
    "adjoint": ("core.adjoint",),
    "arithmetic": ("core.arithmetic",),
    "audit": ("models.audit", "models.loading"),
    "calculator": ("core.calculator",),
    "compare": ("studies.compare",),
    "decision": ("atlas.decision",),
    "diagrams": ("viz.diagrams",),
    "explore": ("explorer.widget", "explorer.state"),
    "explore_views": ("explorer.views",),
    "explorer_page": ("explorer.page",),
    "findings": ("models.findings", "models.periods", "models.recommend"),
    "fixes": ("models.strategies", "models.audit", "layers.blur", "core.calculator"),
    "gradients": ("studies.gradients",),
    "images": ("core.images",),
    "kernels": ("core.kernels",),
    "loading": ("models.loading",),
    "losses": ("prevent.losses",),
    "measure": ("models.measure",),
    "monitor": ("prevent.monitor",),
    "nn": ("prevent.nn",),
    "overlap": ("core.overlap",),
    "plotting": ("viz.plotting",),
    "scores": ("core.scores",),
    "spectral": ("core.spectral",),
    "stacks": ("core.stacks",),
    "sweep": ("atlas.sweep",),
    "tables": ("viz.tables",),
    "tracing": ("models.trace",),
    "training": ("studies.training", "studies.prevention"),
    "upsamplers": ("layers.upsamplers", "layers.shuffle"),
    "zoo": ("models.zoo", "layers.shuffle"),
}


class _Forward(types.ModuleType):
    """Stands in for an old module: every attribute comes from the new modules.

    Where the package exports a function of the old module's own name (``sweep``, ``audit``,
    ``overlap``, ``monitor``), importing the old path makes Python set the package attribute
    to this module; calling it then calls that function, so ``al.sweep(...)`` still works.
    """

    def __init__(self, name: str, targets: tuple[str, ...]) -> None:
        super().__init__(name, f"Moved to artifact_lab.{targets[0]} (this path is deprecated).")
        self.__targets = tuple(f"artifact_lab.{t}" for t in targets)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self.__targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (now {self.__targets[0]}) has no {attr!r}")

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for target in self.__targets:
            names.update(getattr(importlib.import_module(target), "__all__", ()))
        return sorted(names)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None):
        package, _, old = fullname.rpartition(".")
        if package != "artifact_lab" or old not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        old = spec.name.rpartition(".")[2]
        targets = MOVED[old]
        warnings.warn(
            f"artifact_lab.{old} moved to artifact_lab.{targets[0]}; the old path will be "
            "removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return _Forward(spec.name, targets)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def deprecated_attribute(name: str) -> types.ModuleType:
    """``al.<old module>`` (``al.explorer_page``, ``al.fixes``): the forwarding module, with the
    same warning as its import; AttributeError for any other name."""
    if name not in MOVED:
        raise AttributeError(f"module 'artifact_lab' has no attribute {name!r}")
    return importlib.import_module(f"artifact_lab.{name}")


def install() -> None:
    """Add the finder once (the regular finders come first: it only sees what they miss)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
