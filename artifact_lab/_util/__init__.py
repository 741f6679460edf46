"""Helpers every layer uses: argument checks, atomic writes, the verified store, numeric helpers.

Nothing here imports torch, pandas or matplotlib at module level."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["checks", "io", "store"])
