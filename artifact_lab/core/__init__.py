"""The closed forms: transposed-convolution arithmetic, size solvers, overlap maps, scores,
spectra, kernels, stacks and adjoints. numpy first; torch only as the numeric oracle; no
``nn.Module``."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "adjoint",
        "arithmetic",
        "calculator",
        "images",
        "kernels",
        "overlap",
        "scores",
        "spectral",
        "stacks",
    ],
)
