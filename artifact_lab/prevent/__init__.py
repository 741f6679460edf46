"""Prevention: layers that are checkerboard-free by construction (``nn``), a differentiable
penalty (``losses``) and a training monitor (``monitor``)."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["losses", "monitor", "nn"])
