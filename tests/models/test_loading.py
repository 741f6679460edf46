"""load_model: every way a user's file, factory or checkpoint can fail gets its real cause."""

import random

import pytest
import torch
from torch import nn

from artifact_lab.models.loading import load_model

GOOD = (
    "import torch.nn as nn\n"
    "def make(ch=4):\n"
    "    return nn.Sequential(nn.ConvTranspose2d(ch, 2, 4, 2, 1))\n"
)


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(GOOD)
    return path


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, match",
    [
        ("def make(:\n    pass\n", r"does not parse: .*\(line 1\)"),
        (
            "import torch\nimport not_installed_pkg_xyz\n",
            r"imports 'not_installed_pkg_xyz', which is not installed \(line 2\)",
        ),
        (
            "x = 1\nraise RuntimeError('boom at import')\n",
            r"raised at import \(line 2\): RuntimeError: boom at import",
        ),
        ("raise KeyError()\n", r"raised at import \(line 1\): KeyError \(no message\)"),
        ("import sys\nsys.exit(3)\n", r"raised at import \(line 2\): SystemExit: 3"),
    ],
)
def test_model_files_that_fail_at_import(tmp_path, text, match):
    path = _write(tmp_path, "bad.py", text)
    with pytest.raises(ValueError, match=match) as info:
        load_model(f"{path}:make")
    assert str(path) in str(info.value)


def test_factories_that_raise_or_return_the_wrong_thing(tmp_path):
    path = _write(
        tmp_path,
        "f.py",
        "import torch.nn as nn\n"
        "def boom():\n    raise ValueError('bad config: depth=-1')\n"
        "def silent():\n    raise RuntimeError()\n"
        "def pair():\n    return nn.Linear(1, 1), {'epoch': 3}\n"
        "def number():\n    return 3\n"
        "net = nn.Linear(2, 2)\n",
    )
    with pytest.raises(
        ValueError, match=r"factory .*:boom raised: ValueError: bad config: depth=-1"
    ):
        load_model(f"{path}:boom")
    with pytest.raises(ValueError, match=r"RuntimeError \(no message\)"):
        load_model(f"{path}:silent")
    with pytest.raises(TypeError, match=r"returned a tuple of 2 items \(Linear, dict\)"):
        load_model(f"{path}:pair")
    with pytest.raises(TypeError, match=r"returned int, not a torch\.nn\.Module"):
        load_model(f"{path}:number")
    with pytest.raises(ValueError, match="unexpected keyword"):
        load_model(f"{path}:boom", kwargs={"depth": 3})
    assert isinstance(load_model(f"{path}:net"), nn.Linear)  # an instance, not a factory


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"PK\x03\x04 truncated zip", "damaged or truncated"),
        (random.Random(0).randbytes(64) + b"\x00", "(damaged|refuses to run)"),
    ],
    ids=["empty", "zip-header-only", "random-bytes"],
)
def test_damaged_checkpoints(src, tmp_path, content, match):
    ckpt = tmp_path / "c.pt"
    ckpt.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        load_model(f"{src}:make", checkpoint=ckpt)
    assert str(ckpt) in str(info.value) and not str(info.value).endswith(": ")


def test_truncated_real_checkpoint_and_unsafe_pickles(src, tmp_path):
    model = load_model(f"{src}:make")
    good = tmp_path / "good.pt"
    torch.save(model.state_dict(), good)
    data = good.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"damaged or truncated .*central directory"):
        load_model(f"{src}:make", checkpoint=cut)
    evil = tmp_path / "evil.pt"
    torch.save({"0.weight": model[0].weight, "hook": _Payload()}, evil)
    with pytest.raises(ValueError, match=r"refuses to run: Unsupported global: GLOBAL .*_Payload"):
        load_model(f"{src}:make", checkpoint=evil)


class _Payload:
    pass


def test_checkpoints_with_non_tensor_values_or_the_wrong_container(src, tmp_path):
    ckpt = tmp_path / "c.pt"
    torch.save({"0.weight": [1.0, 2.0], "0.bias": "zeros"}, ckpt)
    with pytest.raises(ValueError, match=r"non-tensor values: 0\.weight \(list\), 0\.bias \(str\)"):
        load_model(f"{src}:make", checkpoint=ckpt)
    torch.save([torch.zeros(1)], ckpt)
    with pytest.raises(ValueError, match="holds a list, not a state dict"):
        load_model(f"{src}:make", checkpoint=ckpt)
    with pytest.raises(ValueError, match="does not exist"):
        load_model(f"{src}:make", checkpoint=tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="is not a file"):
        load_model(f"{src}:make", checkpoint=tmp_path)


def test_nan_weights_are_named(src, tmp_path):
    model = load_model(f"{src}:make")
    state = model.state_dict()
    state["0.weight"][0, 0, 0, 0] = float("nan")
    state["0.bias"][1] = float("inf")
    ckpt = tmp_path / "nan.pt"
    torch.save({"state_dict": state}, ckpt)
    with pytest.raises(
        ValueError, match=r"NaN or infinite weights in 0\.weight \(1 of 128\), 0\.bias \(1 of 2\)"
    ):
        load_model(f"{src}:make", checkpoint=ckpt)
    nan_file = tmp_path / "nan_net.py"
    nan_file.write_text(
        "import torch\n"
        "def make():\n"
        "    m = torch.nn.Linear(1, 1)\n"
        "    torch.nn.init.constant_(m.weight, float('nan'))\n"
        "    return m\n"
    )
    with pytest.raises(ValueError, match=r"built by .*:make has NaN or infinite weights in weight"):
        load_model(f"{nan_file}:make")


def test_argument_types_and_module_targets(src):
    with pytest.raises(TypeError, match="target must be a str"):
        load_model(None)
    with pytest.raises(TypeError, match="checkpoint must be a path"):
        load_model(f"{src}:make", checkpoint=3)
    with pytest.raises(TypeError, match="kwargs must be a dict"):
        load_model(f"{src}:make", kwargs=[1])
    with pytest.raises(
        ValueError, match=r"cannot import 'no_such_pkg_xyz\.models': ModuleNotFoundError"
    ):
        load_model("no_such_pkg_xyz.models:make")
    with pytest.raises(ValueError, match="has no attribute"):
        load_model(f"{src}:missing")
