"""The experiments behind the notebooks: training upsamplers, prevention, comparisons and
gradients."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__, submodules=["claims", "compare", "gradients", "prevention", "training"]
)
