"""Torch layers the rest of the package builds with: upsamplers (transposed, resize and
sub-pixel convolution), N-d pixel shuffle and blur-pool, each a function and a Module."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["blur", "shuffle", "upsamplers"])
