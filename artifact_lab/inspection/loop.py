"""The closed loop: what :func:`artifact_lab.inspection` finds on a model's outputs, without the
model, against what the model's weights predict.

Two places are compared, for any model with an upsampling layer:

- **The upsampling layer's own outputs.** The layer is linear, so on a crop of whole periods
  its output's phase-averaged pattern is exactly its fixed pattern (the output at a zero
  input, which a per-phase bias paints) plus the constant-input response at the input's
  channel means: ``y0[o] + sum_c mean(z_c) * G[c, o]``, with ``G`` the phase gains of the
  layer's effective kernel (:meth:`artifact_lab.layers.upsamplers.Upsampler.effective_kernel`,
  :func:`artifact_lab.phase_gains`), the closed form of the checkerboard. Its mean square is
  the predicted grid power; inspect measures it from the outputs alone.
- **The whole model's outputs** (what a user has). The period predicted is the total
  upsampling factor of the layers :func:`artifact_lab.models.audit` finds; the grid power predicted
  is that of the model's response to a constant input at each image's mean level (the
  audit's constant response, evaluated where the data are), measured on that response.

The layer's outputs are measured as one map per input, the mean over its output channels
(the channels of one picture are not independent maps), and predicted the same way.

Agreement rule, per row: the predicted power lies inside inspect's 95 % interval of the
measured power (or, for a prediction at or below the chance level of the harmonic fraction,
the measured fraction's interval reaches chance), and every grid period inspect reports
divides the predicted one (a model with a factor-2 upsampler must not show a period-3 grid).
A grid too weak to be found agrees when its predicted power is inside the interval.
:func:`closed_loop` takes any model whose upsampling layer is reachable by name, so a real
trained model gets the same comparison.

"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import check_bool, check_int, check_module, check_str, check_tensor

__all__ = ["COLUMNS", "LoopResult", "closed_loop", "predicted_power"]

COLUMNS = (
    "where",
    "predicted_period",
    "found",
    "predicted_power",
    "measured_power",
    "power_low",
    "power_high",
    "harmonic_fraction",
    "chance",
    "agrees",
    "period_from",
)


def predicted_power(
    kernel: Any,
    stride: int,
    means: Any,
    *,
    padding: int = 0,
    offset: Any = None,
    channel_mean: bool = False,
) -> np.ndarray:
    """Mean square of the phase pattern an upsampling layer paints on inputs of the given
    channel means: the AC part of ``sum_c means[n, c] * phase_gains(kernel[c, o])``.

    Parameters
    ----------
    kernel : array_like, shape ``(C_in, C_out, kh, kw)``
        A transposed-convolution weight (torch's layout).
    stride : int
    means : array_like, shape ``(N, C_in)``
        Channel means of each input.
    padding : int
        The layer's padding (it moves the pattern, never its power).
    offset : array_like, shape ``(C_out, s, s)``, optional
        The layer's fixed pattern (its output at a zero input, per phase), added: a bias per
        sub-pixel channel paints one, a bias per output channel does not.
    channel_mean : bool
        The pattern of the mean over output channels instead (shape ``(N, 1)``).

    Returns
    -------
    ndarray, shape ``(N, C_out)``, in squared output units.

    Examples
    --------
    >>> k = np.ones((1, 1, 3, 3))          # the k3/s2 box: phase gains [[4, 2], [2, 1]]
    >>> predicted_power(k, 2, [[1.0]]).round(4)
    array([[1.1875]])
    """
    from ..core.scores import phase_gains

    stride = check_int("stride", stride, minimum=1)
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 4:
        raise ValueError(f"kernel must have shape (C_in, C_out, kh, kw), got {k.shape}")
    mu = np.asarray(means, dtype=np.float64)
    if mu.ndim != 2 or mu.shape[1] != k.shape[0]:
        raise ValueError(f"means must have shape (N, {k.shape[0]}), got {mu.shape}")
    gains = phase_gains(k, stride, padding=padding, ndim=2)  # (C_in, C_out, s, s)
    pattern = np.einsum("nc,cors->nors", mu, gains)
    if offset is not None:
        off = np.asarray(offset, dtype=np.float64)
        if off.shape != pattern.shape[1:]:
            raise ValueError(f"offset must have shape {pattern.shape[1:]}, got {off.shape}")
        pattern = pattern + off
    if check_bool("channel_mean", channel_mean):
        pattern = pattern.mean(axis=1, keepdims=True)
    pattern = pattern - pattern.mean(axis=(-2, -1), keepdims=True)
    return (pattern**2).mean(axis=(-2, -1))


@dataclass(frozen=True)
class LoopResult:
    """Predicted against measured, per place (columns :data:`COLUMNS`).

    Attributes
    ----------
    table : DataFrame
        ``where`` (``"upsampler output"``, ``"model output"``), ``predicted_period``,
        ``found`` (grid periods inspect reports), ``predicted_power`` and ``measured_power``
        (mean over maps of the phase-averaged pattern's mean square, output units squared)
        with ``power_low``/``power_high`` (95 % interval), ``harmonic_fraction`` (measured),
        ``chance``
        ``agrees`` (the rule of the module docstring) and ``period_from`` (the audit's
        total factor, or the layer's own where the audit traced no upsampling operation).
    model_inspection, layer_inspection : Inspection
        inspect's full results on the model's and the layer's outputs.
    """

    table: pd.DataFrame
    model_inspection: Any
    layer_inspection: Any

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def _row(where: str, period, insp, predicted: float) -> dict:
    stats = insp.periods.set_index("period").loc[[period]].iloc[0]
    found = [p for p, s in zip(insp.found.period, insp.found.source, strict=True) if s == "grid"]
    inside = bool(stats.power_low <= predicted <= stats.power_high)
    # a prediction at or below chance agrees with a measurement whose interval reaches chance
    ac_power = stats.power / stats.harmonic_fraction if stats.harmonic_fraction > 0 else 0.0
    quiet = ac_power > 0 and predicted / ac_power <= stats.chance
    inside = inside or (quiet and stats.harmonic_fraction_low <= stats.chance)
    divides = all(all(f % q == 0 for f, q in zip(period, p, strict=True)) for p in found)
    return {
        "where": where,
        "predicted_period": period,
        "found": found,
        "predicted_power": predicted,
        "measured_power": stats.power,
        "power_low": stats.power_low,
        "power_high": stats.power_high,
        "harmonic_fraction": stats.harmonic_fraction,
        "chance": stats.chance,
        "agrees": inside and divides,
    }


def closed_loop(
    model: Any,
    images: Any,
    *,
    layer: str = "up",
    batch: int = 8,
) -> LoopResult:
    """Compare inspect's findings on ``model``'s outputs with the weights' prediction.

    Parameters
    ----------
    model : torch.nn.Module
        A 2-D model with one upsampling layer reachable as ``model.<layer>`` (an
        :class:`artifact_lab.layers.upsamplers.Upsampler`, or any module with ``factor`` and
        ``effective_kernel()``); run in eval mode, without gradients, never modified.
    images : torch.Tensor, shape ``(N, C, H, W)``
        Inputs (at least 2, for an interval).
    layer : str
        The upsampling layer's attribute name (dotted for nested modules).
    batch : int
        Inputs per forward pass.

    Returns
    -------
    LoopResult

    Examples
    --------
    >>> import torch
    >>> from artifact_lab.layers.upsamplers import make_upsampler
    >>> net = torch.nn.Module()
    >>> net.up = make_upsampler("transposed k=3", 2, 4, seed=0)
    >>> net.forward = lambda x: net.up(x)
    >>> res = closed_loop(net, torch.rand(6, 4, 32, 32, generator=torch.Generator().manual_seed(0)))
    >>> bool(res.table.set_index("where").loc["upsampler output", "agrees"])
    True
    """
    import torch

    from ..models.audit import audit
    from ..models.periods import forward_period
    from .detect import inspect

    check_module("model", model)
    check_tensor("images", images, min_ndim=4, shape="(N, C, H, W)")
    if images.ndim != 4 or len(images) < 2:
        raise ValueError(f"images must be (N, C, H, W) with N >= 2, got {tuple(images.shape)}")
    check_str("layer", layer, empty_ok=False)
    batch = check_int("batch", batch, minimum=1)
    up = model
    for part in layer.split("."):
        if not hasattr(up, part):
            raise ValueError(f"model has no layer {layer!r} (no attribute {part!r})")
        up = getattr(up, part)
    if not (hasattr(up, "factor") and hasattr(up, "effective_kernel")):
        raise TypeError(
            f"model.{layer} must be an upsampler with factor and effective_kernel(), got "
            f"{type(up).__name__}"
        )
    was_training = model.training
    model.eval()
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    try:
        found_layers = audit(model, (1, *images.shape[1:]), measure=False).layers
        period = forward_period(found_layers, 2)
        source = "audit"
        if max(period) == 1:  # the audit saw no upsampling: the layer's own factor
            period = (int(up.factor),) * 2
            source = "layer factor (audit found no upsampling operation)"
        captured: dict[str, list] = {"z": [], "o": []}

        def hook(_module, args, output):
            captured["z"].append(args[0].detach().double().cpu())
            captured["o"].append(output.detach().double().cpu())

        factor = int(up.factor)
        with torch.no_grad():  # the fixed pattern y(0) of the layer, per phase
            c_in = int(up.effective_kernel().shape[0])
            zero = up(torch.zeros(1, c_in, 8, 8, device=dev, dtype=dtype)).double().cpu()[0]
        mid = zero[:, 4 * factor : 6 * factor, 4 * factor : 6 * factor]
        offset = mid.reshape(mid.shape[0], 2, factor, 2, factor).mean(dim=(1, 3)).numpy()
        handle = up.register_forward_hook(hook)
        outputs, constant = [], []
        try:
            with torch.no_grad():
                for chunk in images.split(batch):
                    x = chunk.to(dev, dtype)
                    outputs.append(model(x).double().cpu())
                    level = x.mean(dim=(1, 2, 3), keepdim=True).expand_as(x).contiguous()
                    handle.remove()  # the constant inputs are not the layer's data
                    constant.append(model(level).double().cpu())
                    handle = up.register_forward_hook(hook)
        finally:
            handle.remove()
        y = torch.cat(outputs)
        yc = torch.cat(constant)
        z = torch.cat(captured["z"])
        o = torch.cat(captured["o"])
    finally:
        model.train(was_training)
    insp_model = inspect(y.reshape(-1, *y.shape[-2:]))
    insp_const = inspect(yc.reshape(-1, *yc.shape[-2:]), periods=[period])
    pred_model = float(insp_const.periods.set_index("period").loc[[period]].power.iloc[0])
    reach = 6  # effective_kernel's default: padding reach * factor
    kernel = up.effective_kernel(reach=reach)
    # channel means over the part of the input that feeds inspect's crop (its border is a
    # sixteenth of the output side): padding makes the edges of a feature map differ
    rows, cols = (o.shape[-2] // 16) // factor, (o.shape[-1] // 16) // factor
    inner = z[:, :, rows : z.shape[-2] - rows, cols : z.shape[-1] - cols]
    means = inner.mean(dim=(2, 3)).numpy()
    pred_layer = predicted_power(
        kernel, factor, means, padding=reach * factor, offset=offset, channel_mean=True
    )
    # one map per input: the mean over the layer's output channels (channels of one picture
    # are not independent maps)
    insp_layer = inspect(o.mean(dim=1))
    layer_period = (factor, factor)
    rows = [
        _row("upsampler output", layer_period, insp_layer, float(pred_layer.mean())),
        _row("model output", period, insp_model, pred_model),
    ]
    rows[0]["period_from"] = "layer factor"
    rows[1]["period_from"] = source
    return LoopResult(pd.DataFrame(rows, columns=list(COLUMNS)), insp_model, insp_layer)
