"""artifact_lab: explain and measure checkerboard artifacts of upsampling layers.

The public API lives in subpackages by concept (``core``, ``layers``, ``atlas``, ``prevent``,
``models``, ``studies``, ``viz``, ``report``) and is re-exported here lazily from the stub
``__init__.pyi``: ``import artifact_lab`` stays light and pays for torch, pandas or nbformat
only when a name that needs them is first used.

Examples
--------
>>> import artifact_lab as al
>>> al.output_size(16, kernel_size=4, stride=2, padding=1)
32
>>> round(al.checkerboard_score(al.kernels.ones(3, ndim=1), 2), 3)
0.1
"""

import lazy_loader as _lazy

from . import _compat

__version__ = "0.1.0"

_public, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)


def __getattr__(name: str):
    try:
        return _public(name)
    except AttributeError:
        return _compat.deprecated_attribute(name)  # the 0.1 module names, for one release


_compat.install()
