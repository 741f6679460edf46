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

from .._util.checks import (
    MAX_ELEMENTS,
    as_real_array,
    check_bool,
    check_elements,
    check_int,
    check_module,
    check_phases,
    check_str,
    check_tensor,
    per_axis,
)

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
    stride: int | tuple[int, ...],
    means: Any,
    *,
    padding: int | tuple[int, ...] = 0,
    offset: Any = None,
    channel_mean: bool = False,
) -> np.ndarray:
    """Mean square of the phase pattern an upsampling layer paints on inputs of the given
    channel means: the AC part of ``sum_c means[n, c] * phase_gains(kernel[c, o])``.

    Parameters
    ----------
    kernel : array_like, shape ``(C_in, C_out, kh, kw)`` or ``(C_in, C_out, k)``
        A transposed-convolution weight (torch's layout), 2-D or 1-D.
    stride : int or tuple of int
        Per spatial axis, or one for all.
    means : array_like, shape ``(N, C_in)``
        Channel means of each input.
    padding : int or tuple of int
        The layer's padding (it moves the pattern, never its power).
    offset : array_like, shape ``(C_out, *stride)``, optional
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

    channel_mean = check_bool("channel_mean", channel_mean)
    k = as_real_array("kernel", kernel)
    if k.ndim not in (3, 4):
        raise ValueError(
            f"kernel must have shape (C_in, C_out, kh, kw) or (C_in, C_out, k), got {k.shape}"
        )
    nd = k.ndim - 2
    stride = per_axis("stride", stride, nd, minimum=1)
    padding = per_axis("padding", padding, nd, minimum=0)
    check_phases("stride", stride)
    mu = as_real_array("means", means)
    if mu.ndim != 2 or mu.shape[1] != k.shape[0]:
        raise ValueError(f"means must have shape (N, {k.shape[0]}), got {mu.shape}")
    check_elements("stride", (len(mu), k.shape[1], *stride), MAX_ELEMENTS, "use a smaller stride")
    # padding moves the phases by padding mod stride; a huge padding means the same shift
    padding = tuple(p % s for p, s in zip(padding, stride, strict=True))
    gains = phase_gains(k, stride, padding=padding, ndim=nd)  # (C_in, C_out, *stride)
    pattern = np.tensordot(mu, gains, axes=1)  # (N, C_out, *stride)
    if offset is not None:
        off = as_real_array("offset", offset)
        if off.shape != pattern.shape[1:]:
            raise ValueError(f"offset must have shape {pattern.shape[1:]}, got {off.shape}")
        pattern = pattern + off
    if channel_mean:
        pattern = pattern.mean(axis=1, keepdims=True)
    axes = tuple(range(2, pattern.ndim))
    pattern = pattern - pattern.mean(axis=axes, keepdims=True)
    return (pattern**2).mean(axis=axes)


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


def _dense_weight(conv: Any) -> np.ndarray:
    """A ``ConvTranspose{1,2,3}d``'s weight as one dense kernel ``(C_in, C_out, *k)``: groups
    become a block-diagonal kernel, dilation zeros between the taps."""
    w = conv.weight.detach().double().cpu().numpy()
    g = conv.groups
    c_in, c_out_g = w.shape[:2]
    taps = tuple(d * (k - 1) + 1 for d, k in zip(conv.dilation, w.shape[2:], strict=True))
    out = np.zeros((c_in, c_out_g * g, *taps))
    step = tuple(slice(None, None, d) for d in conv.dilation)
    per = c_in // g
    for j in range(g):
        out[(slice(j * per, (j + 1) * per), slice(j * c_out_g, (j + 1) * c_out_g), *step)] = w[
            j * per : (j + 1) * per
        ]
    return out


def _layer_of(model: Any, layer: str) -> tuple[Any, int]:
    """The module ``model.<layer>`` and its number of spatial axes, checked."""
    from torch import nn

    up = model
    for part in layer.split("."):
        if not hasattr(up, part):
            raise ValueError(f"model has no layer {layer!r} (no attribute {part!r})")
        up = getattr(up, part)
    if isinstance(up, nn.modules.conv._ConvTransposeNd):
        nd = up.weight.ndim - 2
    elif hasattr(up, "factor") and hasattr(up, "effective_kernel"):
        nd = int(getattr(up, "ndim", 2))
    else:
        raise TypeError(
            f"layer {layer!r} must name an nn.ConvTranspose1d/2d or an upsampler with factor "
            f"and effective_kernel(), got {type(up).__name__}"
        )
    if nd not in (1, 2):
        raise ValueError(
            f"layer {layer!r} is {nd}-D: inspect measures 1-D signals and 2-D images only"
        )
    return up, nd


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
        A 2-D (or 1-D) model with one upsampling layer reachable as ``model.<layer>``: a plain
        ``nn.ConvTranspose2d`` (or ``1d``; its weight is the kernel, any padding, groups and
        dilation), an :class:`artifact_lab.layers.upsamplers.Upsampler`, or any module with
        ``factor`` and ``effective_kernel()``; run in eval mode, without gradients, never
        modified.
    images : torch.Tensor, shape ``(N, C, H, W)`` (``(N, C, L)`` for a 1-D model)
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
    from torch import nn

    from ..models.audit import audit
    from ..models.periods import forward_period
    from .detect import inspect

    check_module("model", model)
    if any(t.is_meta for t in (*model.parameters(), *model.buffers())):
        raise ValueError("model is on the meta device: it holds no weights to run")
    check_str("layer", layer, empty_ok=False)
    batch = check_int("batch", batch, minimum=1)
    up, nd = _layer_of(model, layer)
    check_tensor("images", images, min_ndim=2 + nd, shape=f"(N, C, {'H, W' if nd == 2 else 'L'})")
    if images.ndim != 2 + nd or len(images) < 2:
        raise ValueError(
            f"images must be (N, C, {'H, W' if nd == 2 else 'L'}) with N >= 2 for the "
            f"{nd}-D layer {layer!r}, got {tuple(images.shape)}"
        )
    if images.is_meta:
        raise ValueError("images is on the meta device: it holds no values")
    if not torch.isfinite(images).all():
        raise ValueError("images contains NaN or infinite values")
    plain = isinstance(up, nn.modules.conv._ConvTransposeNd)
    was_training = model.training
    model.eval()
    param = next(model.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None else torch.float32
    reach = 6  # effective_kernel's default: padding reach * factor
    try:
        found_layers = audit(model, (1, *images.shape[1:]), measure=False).layers
        period = forward_period(found_layers, nd)
        if plain:
            factor = tuple(int(s) for s in up.stride)
            kernel = _dense_weight(up)
            padding = tuple(int(p) for p in up.padding)
            # a bias per output channel is the same on every phase: no fixed pattern
            bias = up.bias.detach().double().cpu().numpy() if up.bias is not None else None
            offset = np.zeros((kernel.shape[1], *factor))
            if bias is not None:
                offset += bias.reshape(-1, *(1,) * nd)
        else:
            factor = (int(up.factor),) * nd
            kernel = up.effective_kernel(reach=reach)
            padding = tuple(reach * f for f in factor)
            with torch.no_grad():  # the fixed pattern y(0) of the layer, per phase
                c_in = int(kernel.shape[0])
                zero = up(torch.zeros(1, c_in, *(8,) * nd, device=dev, dtype=dtype))
                zero = zero.double().cpu()[0]
            mid = zero[(slice(None), *(slice(4 * f, 6 * f) for f in factor))]
            split = [mid.shape[0]]
            for f in factor:
                split += [2, f]
            offset = mid.reshape(split).mean(dim=tuple(range(1, 2 * nd, 2))).numpy()
        source = "audit"
        if max(period) == 1:  # the audit saw no upsampling: the layer's own factor
            period = factor
            source = "layer factor (audit found no upsampling operation)"
        captured: dict[str, list] = {"z": [], "o": []}

        def hook(_module, args, output):
            captured["z"].append(args[0].detach().double().cpu())
            captured["o"].append(output.detach().double().cpu())

        handle = up.register_forward_hook(hook)
        outputs, constant = [], []
        try:
            with torch.no_grad():
                for chunk in images.split(batch):
                    x = chunk.to(dev, dtype)
                    outputs.append(model(x).double().cpu())
                    level = x.mean(dim=tuple(range(1, x.ndim)), keepdim=True)
                    level = level.expand_as(x).contiguous()
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

    def maps(t):  # every leading axis a batch; a 1-D output is one frame per signal, its
        # border a sixteenth of its length as an image's (audio frames get none by default)
        t = t.reshape(-1, *t.shape[t.ndim - nd :])
        n = t.shape[-1]
        return {"ndim": 1, "frame": max(32, n), "border": n // 16} if nd == 1 else {}, t

    opts, flat = maps(y)
    insp_model = inspect(flat, **opts)
    opts, flat = maps(yc)
    insp_const = inspect(flat, periods=[period], **opts)
    pred_model = float(insp_const.periods.set_index("period").loc[[period]].power.iloc[0])
    # channel means over the part of the input that feeds inspect's crop (its border is a
    # sixteenth of the output side): padding makes the edges of a feature map differ
    inner = z[
        (
            slice(None),
            slice(None),
            *(
                slice((n // 16) // f, z.shape[2 + a] - (n // 16) // f)
                for a, (n, f) in enumerate(zip(o.shape[2:], factor, strict=True))
            ),
        )
    ]
    means = inner.mean(dim=tuple(range(2, inner.ndim))).numpy()
    pred_layer = predicted_power(
        kernel, factor, means, padding=padding, offset=offset, channel_mean=True
    )
    # one map per input: the mean over the layer's output channels (channels of one picture
    # are not independent maps)
    opts, flat = maps(o.mean(dim=1))
    insp_layer = inspect(flat, **opts)
    rows = [
        _row("upsampler output", factor, insp_layer, float(pred_layer.mean())),
        _row("model output", period, insp_model, pred_model),
    ]
    rows[0]["period_from"] = "layer factor"
    rows[1]["period_from"] = source
    return LoopResult(pd.DataFrame(rows, columns=list(COLUMNS)), insp_model, insp_layer)
