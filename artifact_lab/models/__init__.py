"""Whole models: trace their resampling operations and periods, score each one (findings),
measure the model and rate its severity, and fix it (audit, strategies, distill); loading
user models (Python factories, ONNX files), trained real networks and the example zoo."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "audit",
        "distill",
        "findings",
        "loading",
        "measure",
        "onnx",
        "periods",
        "real",
        "recommend",
        "severity",
        "strategies",
        "trace",
        "zoo",
    ],
)
