"""``artifact-lab audit``: find, score and rate every resampling layer of a torch model.

TARGET is a zoo name (its input shape is the zoo's unless ``--input-shape`` is given), a
``package.module:factory`` (found on ``sys.path`` or in the current folder), a
``path/to/file.py:factory``, or an ONNX file ``path/to/model.onnx``. What can be checked
without torch (the target exists, the JSON of ``--factory-args`` parses, the output paths can
be written) is checked first, before the heavy imports.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from ._common import check_writable, parse_ints, typed


def parse_width(text: str) -> float:
    """A channel scale: ``"0.125"`` or a fraction ``"1/8"``.

    Examples
    --------
    >>> parse_width("1/8"), parse_width("0.5")
    (0.125, 0.5)
    """
    try:
        value = float(Fraction(text.strip()))
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"width {text!r} is not a number or a fraction like '1/8'") from None
    if not 0 < value <= 16:
        raise ValueError(f"width {text!r} must be above 0 and at most 16")
    return value


def _parse_index(text: str) -> int | str:
    """``--output-index``: an int for a tuple or list output, else a dict key."""
    try:
        return int(text)
    except ValueError:
        return text


def _parse_kwargs(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"--factory-args is not valid JSON ({exc.msg} at {exc.pos}): {text!r}"
        ) from None
    if not isinstance(value, dict):
        raise ValueError(
            f"--factory-args must be a JSON object of keyword arguments, like "
            f'\'{{"model": "tiny"}}\', got {text!r}'
        )
    return value


def add_parser(sub) -> None:
    ints = typed(parse_ints, "ints")
    p = sub.add_parser(
        "audit",
        help="find, score and rate every resampling layer of a torch or ONNX model",
        description="Audit a model: TARGET is a zoo name (see `artifact-lab zoo`), "
        "'package.module:factory', 'path/to/file.py:factory' or 'path/to/model.onnx'.",
    )
    p.add_argument("target", help="zoo name, package.module:factory, file.py:factory or model.onnx")
    p.add_argument(
        "--input-shape",
        type=ints,
        help="N,C,H,W e.g. 1,100,4,4 (zoo models: the zoo's shape by default)",
    )
    p.add_argument("--checkpoint", help="state dict, read with torch.load(weights_only=True)")
    p.add_argument(
        "--factory-args",
        type=typed(_parse_kwargs, "JSON object"),
        help='keyword arguments of the factory, as JSON: \'{"model": "tiny"}\'',
    )
    p.add_argument(
        "--width",
        type=typed(parse_width, "width"),
        default=1.0,
        help="zoo models: channel scale, e.g. 0.125 or 1/8",
    )
    p.add_argument(
        "--output-module",
        help="audit the output of this submodule (e.g. the logits before a sigmoid)",
    )
    p.add_argument(
        "--output-index",
        type=_parse_index,
        help="audit this element of a tuple (an int) or dict (a key) output",
    )
    p.add_argument("--html", help="write an HTML report here")
    p.add_argument("--png", help="write the per-layer figure here")
    p.add_argument("--no-measure", action="store_true", help="closed form only")
    p.add_argument(
        "--direction",
        choices=("forward", "backward"),
        default="forward",
        help="forward: upsampling and the output (default); backward: downsampling and the "
        "gradient with respect to the input",
    )
    p.set_defaults(func=run)


def _check_target(args: argparse.Namespace) -> str:
    """What the target is ("onnx", "factory" or "zoo"), checked without importing torch."""
    target = args.target
    if target.lower().endswith(".onnx"):
        if not Path(target).is_file():
            raise ValueError(f"ONNX file {target!r} does not exist")
        if importlib.machinery.PathFinder.find_spec("onnx") is None:
            raise ValueError(
                "auditing an ONNX file needs the package 'onnx': pip install 'artifact_lab[onnx]'"
            )
        for option in ("checkpoint", "factory_args"):
            if getattr(args, option):
                raise ValueError(
                    f"--{option.replace('_', '-')} applies to Python factories; an ONNX file "
                    "holds its weights"
                )
        return "onnx"
    if ":" in target:
        module_part = target.rpartition(":")[0]
        if module_part.endswith(".py"):
            if not Path(module_part).is_file():
                raise ValueError(f"target {target!r}: model file {module_part!r} does not exist")
            return "factory"
        top = module_part.partition(".")[0]
        found = top and (
            importlib.machinery.PathFinder.find_spec(top) is not None
            or (Path.cwd() / f"{top}.py").is_file()
            or (Path.cwd() / top).is_dir()
        )
        if not found:
            raise ValueError(
                f"target {target!r}: no module named {top!r} on the Python path or in the "
                f"current folder ({Path.cwd()})"
            )
        return "factory"
    return "zoo"


def run(args: argparse.Namespace) -> int:
    for option, path in (("--html", args.html), ("--png", args.png)):
        if path:
            check_writable(path, option)
    kind = _check_target(args)
    from .._util.io import write_atomic
    from ..models.audit import audit
    from ..models.loading import load_model
    from ..models.zoo import ZOO, build, input_shape

    shape = args.input_shape
    if shape is not None and not isinstance(shape, tuple):
        shape = (shape,)
    if kind == "zoo":
        if args.target not in ZOO:
            raise ValueError(
                f"target {args.target!r} is neither a zoo name ({', '.join(ZOO)}), "
                "'module:factory' nor a .onnx file"
            )
        if args.checkpoint or args.factory_args:
            raise ValueError(
                "--checkpoint and --factory-args apply to your own models, not to zoo names"
            )
        model = build(args.target, width=args.width)
        shape = shape or input_shape(args.target, width=args.width)
    else:
        model = load_model(args.target, checkpoint=args.checkpoint, kwargs=args.factory_args)
        if shape is None:
            shape = getattr(model, "input_shape", None)
            if not shape:
                raise ValueError(
                    "--input-shape is needed (N,C,H,W, e.g. 1,3,64,64): the model does not "
                    "say which input it takes"
                )
    result = audit(
        model,
        shape,
        name=args.target,
        measure=not args.no_measure,
        direction=args.direction,
        output=args.output_module,
        output_index=args.output_index,
    )
    print(result.summary())
    if args.html:
        write_atomic(Path(args.html), render_html(result))
        print(f"HTML report: {args.html}")
    if args.png:
        import io

        import matplotlib

        matplotlib.use("Agg")
        buf = io.BytesIO()
        result.figure().savefig(buf, format="png", dpi=120)
        write_atomic(Path(args.png), buf.getvalue())
        print(f"figure: {args.png}")
    return 0


_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>audit: {{ name }}</title>
<style>body { font-family: "DejaVu Sans", sans-serif; margin: 2em; } {{ css }}</style></head>
<body><main>
<h1>Audit ({{ direction }}): {{ name }}</h1>
<p>Input {{ input_shape }}, output {{ output_shape }} ({{ output }}); {{ count }} {{ noun }}
operation(s), {{ flagged }} flagged (visible or strong). Severity bands: none below 1e-4 of
the map's power, faint from 1e-4, visible from 4e-4, strong from 6.4e-3.</p>
{% if warnings %}<h2>Warnings</h2>
<ul>{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>{% endif %}
<img alt="per-operation scores" src="data:image/png;base64,{{ figure }}">
<h2>Operations</h2>{{ operations }}
{% if whole %}<h2>Whole model</h2>{{ whole }}{% endif %}
{% if periods %}<h2>Patterns per period</h2>{{ periods }}{% endif %}
{% if fixes %}<h2>Replacements</h2>{{ fixes }}{% endif %}
</main></body></html>
"""


def _axes(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (tuple, list)):
        return str(value[0]) if len(set(value)) == 1 else " × ".join(map(str, value))
    return str(value)


def render_html(result) -> str:
    """A self-contained HTML page of an audit: its tables in the report's style.

    Examples
    --------
    >>> import re, torch
    >>> from artifact_lab.models.audit import audit
    >>> page = render_html(audit(torch.nn.ConvTranspose2d(1, 1, 3, 2), (1, 1, 8, 8)))
    >>> cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)  # the image's base64 left out
    >>> "<table class='al-table'>" in page, [c for c in cells if c.lower() == "nan" or c == "None"]
    (True, [])
    """
    import base64
    import io

    import jinja2
    import matplotlib
    import matplotlib.pyplot as plt
    import pandas as pd
    from markupsafe import Markup

    from ..models.findings import geometry_text
    from ..report.render import screen_css
    from ..viz.tables import table

    matplotlib.use("Agg")
    buf = io.BytesIO()
    fig = result.figure()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    ops = pd.DataFrame(
        {
            "layer": [f.name or "(model)" for f in result.layers],
            "operation": [f"{f.kind.replace('_', ' ')} {geometry_text(f)}" for f in result.layers],
            "period": [_axes(f.period) for f in result.layers],
            "checkerboard_score": [f.checkerboard_score for f in result.layers],
            "overlap_contrast": [f.overlap_contrast for f in result.layers],
            "severity": [f.severity for f in result.layers],
            "flagged": [f.flagged for f in result.layers],
            "note": ["; ".join(x for x in (f.note, f.location) if x) for f in result.layers],
        }
    )
    whole = result.model_scores.assign(factor=result.model_scores.factor.map(_axes))
    periods = result.periods
    period_frame = pd.DataFrame(
        {
            "measured": periods.measured + " at " + periods.input + " input",
            "period": periods.period.map(_axes),
            "ratio to neighbours": [
                "—" if pd.isna(r) else (f"{r:.3g}" if pd.isna(se) else f"{r:.3g} ± {se:.2g}")
                for r, se in zip(periods.ratio, periods.ratio_se, strict=True)
            ],
            "present": periods.present.astype(bool),
            "strength h": periods.h,
            "band": periods.band,
        }
    )
    recs = result.recommendations[["layer", "strategy", "option", "replaceable"]]
    env = jinja2.Environment(autoescape=True)

    def html_of(frame, **kw) -> Any:  # the table's own cells are escaped by Table.to_html
        return Markup(table(frame, **kw).to_html()) if len(frame) else ""

    return env.from_string(_TEMPLATE).render(
        name=result.model_name,
        direction=result.direction,
        input_shape=" × ".join(map(str, result.input_shape)),
        output_shape=" × ".join(map(str, result.output_shape)),
        output=result.output,
        count=len(result.layers),
        noun="upsampling" if result.direction == "forward" else "downsampling",
        flagged=len(result.flagged),
        warnings=list(result.warnings),
        css=Markup(screen_css()),
        figure=base64.b64encode(buf.getvalue()).decode(),
        operations=html_of(ops, na="not scored"),
        whole=html_of(
            whole,
            labels={"factor": "period", "power": "mean power"},
            formats={"power": "{:.2e}", "chance": "{:.3g}", "harmonic_fraction": "{:.3g}"},
            na="not measured",
        ),
        periods=html_of(period_frame, formats={"strength h": "{:.2g}"}, na="not measured"),
        fixes=html_of(recs),
    )
