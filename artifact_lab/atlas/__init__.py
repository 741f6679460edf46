"""The atlas: sweeps over the whole design space (plan, chunks, exact moments, the convolution
path) and the decision table built on them."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["decision", "sweep"])
