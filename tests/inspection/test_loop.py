"""The closed loop: inspect's measurement against the weights' prediction."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from artifact_lab.inspection.loop import closed_loop, predicted_power
from artifact_lab.layers.upsamplers import make_upsampler


@settings(max_examples=30)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 6),
    st.integers(2, 3),
    st.integers(0, 3),
    st.integers(0, 2**31 - 1),
)
def test_predicted_power_is_the_interior_pattern_of_torch(c_in, c_out, k, s, p, seed):
    """Brute force: conv_transpose2d of constant channels, interior phase pattern's power."""
    if p > k - 1:
        p = k - 1
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(c_in, c_out, k, k, generator=gen, dtype=torch.float64)
    mu = torch.randn(2, c_in, generator=gen, dtype=torch.float64)
    n = 12
    x = mu[:, :, None, None].expand(2, c_in, n, n)
    y = torch.nn.functional.conv_transpose2d(x, w, stride=s, padding=p)
    lo = k  # well inside the interior
    block = y[:, :, lo : lo + 2 * s, lo : lo + 2 * s].reshape(2, c_out, 2, s, 2, s)
    pattern = block.mean(dim=(2, 4))
    pattern = pattern - pattern.mean(dim=(-2, -1), keepdim=True)
    expected = (pattern**2).mean(dim=(-2, -1)).numpy()
    got = predicted_power(w.numpy(), s, mu.numpy(), padding=p)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    mean_pattern = pattern.mean(1, keepdim=True)
    mean_pattern = mean_pattern - mean_pattern.mean(dim=(-2, -1), keepdim=True)
    np.testing.assert_allclose(
        predicted_power(w.numpy(), s, mu.numpy(), padding=p, channel_mean=True),
        (mean_pattern**2).mean(dim=(-2, -1)).numpy(),
        atol=1e-10,
    )


def test_predicted_power_checks_shapes():
    with pytest.raises(ValueError, match="kernel"):
        predicted_power(np.ones((3, 3)), 2, [[1.0]])
    with pytest.raises(ValueError, match="means"):
        predicted_power(np.ones((2, 1, 3, 3)), 2, [[1.0]])
    with pytest.raises(ValueError, match="offset"):
        predicted_power(np.ones((1, 1, 3, 3)), 2, [[1.0]], offset=np.zeros((1, 3, 3)))


class _SR(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.head = nn.Conv2d(1, 4, 3, padding=1)
        self.up = make_upsampler(name, 2, 4, seed=0)
        self.tail = nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        return self.tail(torch.relu(self.up(torch.relu(self.head(x)))))


@pytest.mark.parametrize("name", ["transposed k=3", "sub-pixel", "resize-conv bilinear"])
def test_inspect_on_the_layer_agrees_with_the_weights(name):
    torch.manual_seed(0)
    model = _SR(name).double()
    x = torch.rand(8, 1, 40, 40, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    res = closed_loop(model, x)
    layer = res.table.set_index("where").loc["upsampler output"]
    if name == "resize-conv bilinear":  # closed form 0: no grid above chance
        assert layer.predicted_power == pytest.approx(0.0, abs=1e-20)
        assert (2, 2) not in layer.found and layer.agrees, res.table
    else:  # the grid the weights predict is found, at the predicted power
        assert (2, 2) in layer.found
        assert layer.power_low <= layer.predicted_power <= layer.power_high, res.table
        assert layer.measured_power == pytest.approx(layer.predicted_power, rel=0.2)
    assert res.table.set_index("where").loc["model output", "predicted_period"] == (2, 2)


def test_closed_loop_refuses_models_without_the_layer():
    model = nn.Sequential(nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match="no layer 'up'"):
        closed_loop(model, torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="N >= 2"):
        closed_loop(_SR("sub-pixel"), torch.zeros(1, 1, 8, 8))
    with pytest.raises(TypeError, match="layer '0' must name"):
        closed_loop(model, torch.zeros(2, 1, 8, 8), layer="0")
    with pytest.raises(ValueError, match="3-D"):
        closed_loop(
            nn.Sequential(nn.ConvTranspose3d(1, 1, 3, 2)), torch.zeros(2, 1, 8, 8, 8), layer="0"
        )
    with pytest.raises(ValueError, match="model is on the meta device"):
        closed_loop(_SR("sub-pixel").to("meta"), torch.zeros(2, 1, 8, 8))


@pytest.mark.parametrize(
    ("conv", "shape"),
    [
        (lambda: nn.ConvTranspose2d(3, 3, 4, 2, padding=1), (8, 3, 32, 32)),
        # groups, dilation and a padding that is no multiple of the stride
        (lambda: nn.ConvTranspose2d(4, 4, 3, 2, padding=3, groups=2, dilation=2), (8, 4, 32, 32)),
        (lambda: nn.ConvTranspose2d(2, 2, 3, (2, 3), padding=(1, 0)), (8, 2, 30, 30)),
        (lambda: nn.ConvTranspose1d(2, 3, 5, 3, padding=2), (8, 2, 256)),
    ],
)
def test_a_plain_conv_transpose_is_its_own_kernel(conv, shape):
    """A plain nn.ConvTranspose1d/2d (its weight the kernel): the weights' prediction lies in
    inspect's interval on the layer's outputs, and the predicted period is its stride."""
    torch.manual_seed(0)
    layer = conv().double()
    net = nn.Sequential()
    net.add_module("up", layer)
    x = torch.rand(*shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    res = closed_loop(net, x)
    table = res.table.set_index("where")
    row = table.loc["upsampler output"]
    assert row.predicted_period == tuple(layer.stride)
    assert row.power_low <= row.predicted_power <= row.power_high, res.table
    assert row.agrees, res.table
    if max(layer.dilation) == 1:  # a dilated kernel's ripply spectrum may show more periods
        assert table.loc["model output"].agrees, res.table
    assert table.loc["model output", "predicted_period"] == tuple(layer.stride)


def test_dense_weight_of_a_grouped_dilated_conv_transpose_gives_torch_output():
    """The dense kernel built for groups and dilation is the same layer (brute force)."""
    from artifact_lab.inspection.loop import _dense_weight

    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(4, 6, 3, 2, groups=2, dilation=(2, 3), bias=False).double()
    x = torch.randn(1, 4, 7, 7, dtype=torch.float64)
    dense = torch.from_numpy(_dense_weight(conv))
    np.testing.assert_allclose(
        nn.functional.conv_transpose2d(x, dense, stride=2).numpy(),
        conv(x).detach().numpy(),
        atol=1e-12,
    )


@settings(max_examples=30)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 7),
    st.integers(1, 4),
    st.integers(0, 9),
    st.integers(0, 2**31 - 1),
)
def test_predicted_power_in_1d_is_the_interior_pattern_of_torch(c_in, c_out, k, s, p, seed):
    """Brute force in 1-D, any padding torch accepts (a padding past the kernel included)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(c_in, c_out, k, generator=gen, dtype=torch.float64)
    mu = torch.randn(3, c_in, generator=gen, dtype=torch.float64)
    n = 40
    x = mu[:, :, None].expand(3, c_in, n)
    y = torch.nn.functional.conv_transpose1d(x, w, stride=s, padding=p)
    lo = k + s  # well inside the interior
    pattern = y[:, :, lo : lo + 3 * s].reshape(3, c_out, 3, s).mean(dim=2)
    pattern = pattern - pattern.mean(dim=-1, keepdim=True)
    expected = (pattern**2).mean(dim=-1).numpy()
    np.testing.assert_allclose(
        predicted_power(w.numpy(), s, mu.numpy(), padding=p), expected, atol=1e-10
    )
