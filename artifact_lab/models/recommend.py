"""The replacements to propose for a flagged operation, each tied to the fix strategy that
can apply it (:mod:`artifact_lab.models.strategies`).
"""

from __future__ import annotations

import math
from typing import Any

from .._util.checks import check_instance
from ..core.calculator import even_conv_options, is_times_stride, transposed_options
from .findings import LayerFinding, compact
from .strategies import STRATEGIES, sizes_and_stride

__all__ = ["REC_COLUMNS", "recommend_backward", "recommend_forward"]

REC_COLUMNS = (
    "layer",
    "strategy",
    "option",
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "replaceable",
)


def _rec(f: LayerFinding, strategy: str, option: str, **geometry: Any) -> dict[str, Any]:
    module_ok = not f.functional and strategy in STRATEGIES and f.kind in STRATEGIES[strategy].kinds
    if f.functional:
        where = f" at {f.location}" if f.location else ""
        option += f" (a functional call{where}: change the forward)"
    return {"layer": f.name, "strategy": strategy, "option": option, **geometry,
            "replaceable": module_ok}  # fmt: skip


def recommend_forward(f: LayerFinding) -> list[dict[str, Any]]:
    check_instance("f", f, LayerFinding)
    if f.kind != "transposed" or not f.flagged:
        return []
    s = f.geometry["stride"]
    out = []
    if len(set(s)) == 1:
        _, common = transposed_options(*sizes_and_stride(f))
        for k, p, op in common[:3]:
            out.append(
                _rec(
                    f,
                    "transposed",
                    f"ConvTranspose k{k}/s{s[0]}/p{p}/op{op} (hold-smoothed init)",
                    kernel_size=k,
                    stride=s[0],
                    padding=p,
                    output_padding=op,
                )
            )
    if is_times_stride(*sizes_and_stride(f)):
        out.append(_rec(f, "resize", f"nearest x{s[0]} + conv3 (resize-conv)"))
        out.append(_rec(f, "subpixel", f"conv3 + pixel shuffle x{s[0]}, ICNR init"))
    d = f.geometry.get("dilation") or (1,) * len(s)
    if all(math.gcd(da, st) == 1 for da, st in zip(d, s)):
        k = tuple(ka + 2 * -(-st // 2) for ka, st in zip(f.geometry["kernel_size"], s))
        out.append(
            _rec(
                f,
                "project",
                f"closest clean layer of the learned weights, embedded k{compact(k)} (keeps "
                "what was learned; then distill_steps=)",
            )
        )
    return out


def recommend_backward(f: LayerFinding) -> list[dict[str, Any]]:
    check_instance("f", f, LayerFinding)
    if not f.flagged:
        return []
    g = f.geometry
    out = []
    if f.kind == "conv":
        k, s = g["kernel_size"], g["stride"]
        out.append(
            _rec(
                f,
                "blur",
                f"Conv k{compact(k)}/s1 + BlurPool s{compact(s)} "
                "(blur before subsampling, Zhang 2019)",
                kernel_size=k,
                stride=s,
            )
        )
        picks = even_conv_options(*sizes_and_stride(f))
        if all(p is not None for p in picks):
            ke, pe = tuple(p[0] for p in picks), tuple(p[1] for p in picks)
            out.append(
                _rec(
                    f,
                    "even",
                    f"Conv k{compact(ke)}/s{compact(s)}/p{compact(pe)} (k % s == 0), "
                    "hold-smoothed init (retrain)",
                    kernel_size=ke,
                    stride=s,
                    padding=pe,
                )
            )
        option = f"Conv k{compact(k)}/s1 + AvgPool k{compact(s)}/s{compact(s)}"
        out.append(_rec(f, "pool", option, stride=s))
    elif f.kind in ("avg_pool", "max_pool", "lp_pool"):
        name = {"avg_pool": "AvgPool", "max_pool": "MaxPool", "lp_pool": "LPPool"}[f.kind]
        k, s = g["kernel_size"], g["stride"]
        extra = " (MaxBlurPool)" if f.kind == "max_pool" else ""
        out.append(
            _rec(
                f,
                "blur",
                f"{name} k{compact(k)}/s1 + BlurPool s{compact(s)}{extra} (Zhang 2019)",
                kernel_size=k,
                stride=s,
            )
        )
    elif f.kind == "interpolate":
        s = f.geometry.get("stride")
        out.append(_rec(f, "blur", f"BlurPool s{compact(s)} of the same output size (Zhang 2019)"))
    elif f.kind == "adaptive_max_pool":
        out.append(_rec(f, "edit", "AdaptiveAvgPool instead (an even average)"))
    return out
