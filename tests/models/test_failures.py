"""Every way a user's model can fail inside audit and fix is one ValueError that names the
model, the step and torch's own message: never a raw RuntimeError from deep inside."""

from __future__ import annotations

import pytest
from torch import nn

from artifact_lab.models.audit import audit, fix


class InPlace(nn.Module):
    """Modifies its input in place: fine without gradient, refused when the input needs one."""

    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(1, 1, 3, 2, 1)

    def forward(self, x):
        x.mul_(2)
        return self.down(x)


class Detached(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(1, 1, 3, 2, 1)

    def forward(self, x):
        return self.down(x).detach()


class Argmax(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.down = nn.Conv2d(1, 2, 3, 2, 1)

    def forward(self, x):
        return self.down(x).argmax(dim=1, keepdim=True)


class BatchOfOne(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(1, 1, 3, 2, 1, 1)

    def forward(self, x):
        if x.shape[0] != 1:
            raise RuntimeError(f"expected a batch of 1, got {x.shape[0]}")
        return self.up(x)


CASES = [
    (InPlace(), "backward", "measuring the input gradient", "in-place"),
    (Detached(), "backward", "measuring the input gradient", "does not require grad"),
    (Argmax(), "backward", "measuring the input gradient", "does not require grad"),
    (BatchOfOne(), "forward", "measuring the output", "expected a batch of 1"),
]


@pytest.mark.parametrize(("model", "direction", "step", "torch_says"), CASES)
def test_a_failing_model_is_one_error_naming_the_model_and_the_step(
    model, direction, step, torch_says
):
    shape = (1, 1, 16, 16)
    with pytest.raises(ValueError) as err:
        audit(model, shape, direction=direction, name="mine")
    text = str(err.value)
    assert text.startswith("the model mine failed on input_shape (1, 1, 16, 16)"), text
    assert step in text and torch_says in text, text


def test_a_model_on_the_meta_device_is_refused_before_any_work():
    model = nn.ConvTranspose2d(1, 1, 3, 2).to("meta")
    for call in (audit, fix):
        with pytest.raises(ValueError, match=r"meta device.*materialise"):
            call(model, (1, 1, 8, 8))


class ZerosOnly(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.ConvTranspose2d(1, 1, 3, 2, 1, 1)

    def forward(self, x):
        if bool(x.abs().sum() > 0):
            raise RuntimeError("this model only takes zeros")
        return self.up(x)


def test_fix_wraps_the_fixed_models_failure_and_its_own_measurement():
    assert isinstance(fix(BatchOfOne(), (1, 1, 8, 8)), nn.Module)  # fed one item at a time
    with pytest.raises(ValueError, match=r"ZerosOnly failed .* measuring the fix.*only takes"):
        fix(ZerosOnly(), (1, 1, 8, 8))

    class Crash(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(1, 1, 3, 2, 1, 1)

        def forward(self, x):
            y = self.up(x)
            if self.up.kernel_size != (3, 3):  # breaks once replaced
                raise RuntimeError("my forward expects the original layer")
            return y

    with pytest.raises(ValueError, match=r"does not run.*my forward expects"):
        fix(Crash(), (1, 1, 8, 8))


def test_output_selection_is_checked_before_any_work():
    model = nn.Sequential(nn.ConvTranspose2d(1, 1, 3, 2), nn.ReLU())
    with pytest.raises(ValueError, match=r"not a submodule.*submodules"):
        audit(model, (1, 1, 8, 8), output="nope")
    with pytest.raises(TypeError, match="output_index"):
        audit(model, (1, 1, 8, 8), output_index=1.5)
    with pytest.raises(ValueError, match="not a tuple"):
        audit(model, (1, 1, 8, 8), output_index=0)

    class Pair(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.up = nn.ConvTranspose2d(1, 1, 3, 2)

        def forward(self, x):
            return self.up(x), x.mean()

    with pytest.raises(TypeError, match=r"output_index=0..1"):
        audit(Pair(), (1, 1, 8, 8))
    assert audit(Pair(), (1, 1, 8, 8), output_index=0, measure=False).flagged == ["up"]
    inner = audit(model, (1, 1, 8, 8), output="0")
    assert inner.output == "the output of '0'" and inner.output_shape == (1, 1, 17, 17)
