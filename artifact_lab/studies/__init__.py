"""The experiments behind the notebooks: training upsamplers, prevention, comparisons,
gradients, the zoo over seeds, the experiment runner and the claims decided from them."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "architectures",
        "claims",
        "compare",
        "experiments",
        "gradients",
        "learning",
        "prevention",
        "training",
    ],
)
