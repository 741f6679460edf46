"""Shared by the real-model tests: skip with the install line where a package is missing,
and import the packages' own model classes (the oracles) without their unpinned
dependencies, restoring ``sys.modules`` afterwards."""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import sys
import types
from collections.abc import Iterator

import pytest

from artifact_lab.models.real import MissingPackage, package_file

PPOCR = ("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx")
MTCNN = ("facenet_pytorch", "data", "rnet.pt")
CREPE = ("torchcrepe", "assets", "tiny.pth")


def need(*files: tuple[str, ...]) -> None:
    """Skip the test, naming the install line, when a package's weight file is missing."""
    for parts in files:
        try:
            package_file(*parts)
        except MissingPackage as exc:
            pytest.skip(str(exc))
    if files == (PPOCR,) or PPOCR in files:
        pytest.importorskip("onnx", reason="pip install 'artifact_lab[onnx]'")


@contextlib.contextmanager
def package_modules(name: str, **attrs) -> Iterator[None]:
    """A stub package ``name`` (its real ``__init__`` does not run) for the duration."""
    saved = {k: v for k, v in sys.modules.items() if k == name or k.startswith(name + ".")}
    for k in saved:
        del sys.modules[k]
    spec = importlib.machinery.PathFinder.find_spec(name)
    stub = types.ModuleType(name)
    stub.__path__ = list(spec.submodule_search_locations)
    stub.__dict__.update(attrs)
    sys.modules[name] = stub
    try:
        yield
    finally:
        for k in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[k]
        sys.modules.update(saved)


@contextlib.contextmanager
def facenet_classes() -> Iterator[types.ModuleType]:
    """facenet-pytorch's ``models.mtcnn`` module (PNet, RNet, ONet), without torchvision."""
    with package_modules("facenet_pytorch"):
        root = sys.modules["facenet_pytorch"].__path__[0]
        models = types.ModuleType("facenet_pytorch.models")
        models.__path__ = [root + "/models"]
        sys.modules["facenet_pytorch.models"] = models
        detect = types.ModuleType("facenet_pytorch.models.utils.detect_face")
        detect.detect_face = detect.extract_face = None
        sys.modules["facenet_pytorch.models.utils"] = types.ModuleType(
            "facenet_pytorch.models.utils"
        )
        sys.modules["facenet_pytorch.models.utils.detect_face"] = detect
        yield importlib.import_module("facenet_pytorch.models.mtcnn")


@contextlib.contextmanager
def torchcrepe_classes() -> Iterator[types.ModuleType]:
    """torchcrepe's ``model`` module (Crepe), without librosa."""
    with package_modules("torchcrepe", PITCH_BINS=360):
        yield importlib.import_module("torchcrepe.model")
