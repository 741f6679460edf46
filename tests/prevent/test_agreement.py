"""The penalty and the monitor score exactly the layers the audit scores, with its values."""

import pytest
import torch
from torch import nn

import artifact_lab as al
from artifact_lab.layers.shuffle import PixelShuffleND
from artifact_lab.models.audit import audit
from artifact_lab.prevent.losses import checkerboard_penalty, find_layers


def _models():
    torch.manual_seed(0)
    return {
        "dilated conv then PixelShuffle": (
            nn.Sequential(nn.Conv2d(2, 8, 3, padding=2, dilation=2), nn.PixelShuffle(2)),
            (1, 2, 8, 8),
        ),
        "dilated 1-D conv then PixelShuffleND": (
            nn.Sequential(nn.Conv1d(2, 6, 3, padding=2, dilation=3), PixelShuffleND(3, ndim=1)),
            (1, 2, 12),
        ),
        "anisotropic dilation": (
            nn.Sequential(
                nn.Conv2d(3, 12, (3, 5), padding=(2, 4), dilation=(2, 2)), nn.PixelShuffle(2)
            ),
            (1, 3, 8, 8),
        ),
        "plain sub-pixel and a transposed conv": (
            nn.Sequential(
                nn.Conv2d(2, 8, 3, padding=1), nn.PixelShuffle(2), nn.ConvTranspose2d(2, 2, 3, 2, 1)
            ),
            (1, 2, 6, 6),
        ),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_penalty_monitor_and_audit_score_the_same_layers_alike(name):
    model, shape = _models()[name]
    model = model.double()
    result = audit(model, shape, measure=False)
    scored = {
        f.geometry.get("conv", f.name): f.checkerboard_score
        for f in result.layers
        if f.checkerboard_score == f.checkerboard_score  # not NaN: scored
    }
    assert scored, result.summary()
    found = {x.name for x in find_layers(model)}
    assert found == set(scored), (found, scored)
    values = checkerboard_penalty(model, channels="sum", reduction="none")
    for layer, value in zip(find_layers(model), values, strict=True):
        assert value.item() == pytest.approx(scored[layer.name], abs=1e-12), layer.name
    mon = al.monitor(model)
    mon(0)
    frame = mon.to_frame().set_index("layer")
    for layer_name, score in scored.items():
        assert frame.loc[layer_name, "checkerboard_score"] == pytest.approx(score, abs=1e-12)


def test_the_equivalent_weight_of_a_dilated_subpixel_conv_gives_its_output():
    """PenaltyLayer.weight() of a dilated conv + shuffle is the transposed conv that computes
    the same output (the dilation made explicit as zero taps)."""
    torch.manual_seed(1)
    conv = nn.Conv2d(2, 8, 3, padding=2, dilation=2, bias=False).double()
    model = nn.Sequential(conv, nn.PixelShuffle(2))
    layer = find_layers(model)[0]
    w = layer.weight()
    x = torch.randn(1, 2, 9, 9, dtype=torch.float64)
    y = model(x)
    from artifact_lab.core.kernels import subpixel_as_transposed

    _, pad = subpixel_as_transposed(torch.zeros(8, 2, 5, 5, dtype=torch.float64), 2, padding=2)
    z = torch.nn.functional.conv_transpose2d(x, w, stride=2, padding=pad)
    torch.testing.assert_close(z[..., : y.shape[-2], : y.shape[-1]], y)
