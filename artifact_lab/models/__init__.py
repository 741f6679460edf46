"""Whole models: trace their resampling operations, score each one (findings), measure the
model, and fix it (audit, strategies); loading user models and the example zoo."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__, submodules=["audit", "findings", "loading", "measure", "strategies", "trace", "zoo"]
)
