"""The training monitor: one row per layer per record, values equal to weight_scores."""

import importlib.util
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import artifact_lab as al
from artifact_lab.core.kernels import subpixel_as_transposed
from artifact_lab.layers.upsamplers import SubPixelConv
from artifact_lab.prevent.monitor import COLUMNS, Monitor
from artifact_lab.prevent.nn import CheckerboardFreeConvTranspose2d

from .test_losses import grouped_reference


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(1, 4, 4, stride=2, padding=1)
        self.up1 = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1)
        self.up2 = SubPixelConv(4, 2)
        self.clean = CheckerboardFreeConvTranspose2d(4, 1, 4, stride=2, padding=1)

    def forward(self, x):
        return self.clean(self.up2(torch.relu(self.up1(torch.relu(self.down(x))))))


def _expected(model: Net, direction: str) -> dict[str, tuple[float, float, float]]:
    """weight_scores of every layer, and the pair score by brute force, from a copy of its
    weights (in transposed layout) taken now."""
    weights = {}
    if direction in ("forward", "both"):
        weights["up1"] = model.up1.weight.detach().clone()
        weights["up2.conv"] = subpixel_as_transposed(model.up2.conv.weight.detach().double(), 2)[0]
        weights["clean"] = model.clean.weight.detach().clone()
    if direction in ("backward", "both"):
        weights["down"] = model.down.weight.detach().clone()
    out = {}
    for name, w in weights.items():
        ws = al.weight_scores(w, 2)
        pair = grouped_reference(w.double().numpy(), (2, 2), (1, 1), 1, "pairs")[0]
        out[name] = (ws.checkerboard_score, ws.noise_checkerboard, pair)
    return out


@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_one_row_per_layer_per_record_equal_to_weight_scores(direction):
    torch.manual_seed(0)
    model = Net()
    mon = al.monitor(model, every=3, direction=direction)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    expected, steps = {}, 10
    for step in range(steps):
        if step % 3 == 0:
            expected[step] = _expected(model, direction)
        assert mon(step) == (step % 3 == 0)
        loss = model(torch.randn(2, 1, 8, 8)).square().mean() + model.up1.weight.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    frame = mon.to_frame()
    assert list(frame.columns) == list(COLUMNS)
    n_layers = len(next(iter(expected.values())))
    assert len(frame) == n_layers * len(expected) == n_layers * mon.records
    assert frame.groupby(["step", "layer"]).size().eq(1).all()
    for row in frame.itertuples():
        score, noise, pair = expected[row.step][row.layer]
        assert row.checkerboard_score == pytest.approx(score, abs=1e-9), (row.step, row.layer)
        assert row.noise_checkerboard == pytest.approx(noise, abs=1e-9), (row.step, row.layer)
        assert row.pair_score == pytest.approx(pair, abs=1e-9), (row.step, row.layer)
        assert row.direction == ("backward" if row.layer == "down" else "forward")
    # the scores moved during training and the constrained layer stayed at 0
    if direction != "backward":
        up1 = frame[frame.layer == "up1"].checkerboard_score
        assert up1.nunique() == len(expected)
        assert frame[frame.layer == "clean"].checkerboard_score.max() < 1e-12
    assert mon.microseconds_per_layer > 0


def test_step_counting_with_and_without_step_numbers():
    model = nn.ConvTranspose1d(1, 1, 3, stride=2)
    mon = al.monitor(model, every=2)
    assert [mon() for _ in range(5)] == [True, False, True, False, True]
    assert mon.step() is False  # 5
    assert mon(10) is True and mon() is False  # 10, then 11
    assert mon.to_frame().step.tolist() == [0, 2, 4, 10]
    mon.record(7)  # forced
    assert mon.to_frame().step.tolist()[-1] == 7 and mon.records == 5
    assert "records=5" in repr(mon)


def test_writer_receives_the_scores():
    class Writer:
        def __init__(self):
            self.calls = []

        def add_scalar(self, tag, value, step):
            self.calls.append((tag, value, step))

    writer = Writer()
    model = nn.Sequential(nn.ConvTranspose2d(2, 2, 3, stride=2))
    mon = al.monitor(model, every=1, writer=writer, tag="cb")
    mon(0)
    mon(1)
    frame = mon.to_frame()
    assert [c[0] for c in writer.calls] == ["cb/0/score", "cb/0/pair_score", "cb/0/noise"] * 2
    assert [c[2] for c in writer.calls] == [0, 0, 0, 1, 1, 1]
    assert writer.calls[0][1] == frame.checkerboard_score.iloc[0]
    assert writer.calls[1][1] == frame.pair_score.iloc[0]
    assert writer.calls[2][1] == frame.noise_checkerboard.iloc[0]


def test_log_dir_logs_to_tensorboard_or_warns_and_still_records(tmp_path):
    model = nn.ConvTranspose2d(2, 2, 3, stride=2)
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.warns(UserWarning, match="install tensorboard"):
            mon = al.monitor(model, log_dir=tmp_path)
        assert mon.writer is None
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            mon = al.monitor(model, log_dir=tmp_path)
    mon(0)
    mon.close()
    assert len(mon.to_frame()) == 1
    if mon.writer is not None:
        assert list(tmp_path.glob("events.out.tfevents.*"))


def test_a_model_without_upsampling_layers_gives_an_empty_frame():
    mon = al.monitor(nn.Sequential(nn.Conv2d(1, 1, 3)))
    assert mon() is True
    frame = mon.to_frame()
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert np.isnan(mon.microseconds_per_layer)


def test_zero_gain_is_flagged():
    layer = nn.ConvTranspose1d(1, 1, 4, stride=2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([1.0, 1.0, -1.0, -1.0]))  # gains (0, 0)
    mon = al.monitor(layer)
    mon()
    row = mon.to_frame().iloc[0]
    assert row.zero_gain and row.checkerboard_score == 0 and row.harmonic_power == 0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(every=0), ValueError, "every must be >= 1"),
        (dict(every=1.5), TypeError, "every must be an integer"),
        (dict(direction="sideways"), ValueError, "direction"),
        (dict(writer=object()), TypeError, "add_scalar"),
        (dict(tag=""), ValueError, "tag"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        al.monitor(nn.ConvTranspose2d(1, 1, 4, 2), **kwargs)


def test_bad_model_and_step():
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        al.monitor("model")
    mon = al.monitor(nn.ConvTranspose2d(1, 1, 4, 2))
    with pytest.raises(ValueError, match="step must be >= 0"):
        mon(-1)
    with pytest.raises(ValueError, match="log_dir or writer"):
        Monitor(
            nn.ConvTranspose2d(1, 1, 4, 2),
            log_dir="x",
            writer=type("W", (), {"add_scalar": print})(),
        )
    assert isinstance(mon.to_frame(), pd.DataFrame)
