"""Will my upsampling layer paint a checkerboard, how badly, and what to use instead?

Transposed convolutions whose kernel size, stride and dilation interact badly paint a
checkerboard on their output. artifact_lab answers in closed form (no training, no data),
measures it on real outputs, sweeps the design space, audits whole models and fixes them.

Examples
--------
Is my layer fine? One call answers in words, with the numbers and what to use instead:

>>> import torch
>>> import artifact_lab as al
>>> _ = torch.manual_seed(0)
>>> check = al.check_layer(torch.nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1))
>>> print(check.verdict)
CHECKERBOARD (flagged), score 0.725 (+4.2 dB)
>>> check.overlap, check.clean_init_exists
('uneven', True)

``print(check)`` gives the whole answer; ``artifact-lab check "ConvTranspose2d(64, 32, 3,
2, 1)"`` gives the same from the shell.

Where to start
--------------
check_layer
    Is this ConvTranspose fine? The score, what it means, what to use instead.
output_size, solve
    One layer's output size; every layer that maps one size to another.
overlap, overlap_map, phase_gains, checkerboard_score, weight_scores
    The closed forms: taps per output, gains per phase, the scores.
sweep, decision
    The whole design space as one table; which layer should I use?
audit, fix
    Every resampling layer of a model, scored; the model with them replaced.
nn, losses, monitor
    Layers that stay clean while they train, the penalty, the monitor.
plotting, tables, explore
    Figures and tables in the report's style; the interactive explorer.

Each name has its own help (``help(al.check_layer)``). The command line: ``artifact-lab``.
The subpackages (``al.core``, ``al.atlas``, ...) hold everything, one module per concept;
``import artifact_lab`` is light, and a name loads what it needs on first use.
"""

import sys as _sys

import lazy_loader as _lazy

from . import _compat

__version__ = "0.1.0"

_public, _public_dir, __all__ = _lazy.attach_stub(__name__, __file__)


def __getattr__(name: str):
    try:
        return _public(name)
    except AttributeError:
        return _compat.deprecated_attribute(name)  # the 0.1 module names, for one release


def __dir__() -> list[str]:
    # pydoc's help() fetches every name dir() lists to sort classes from functions: for a
    # lazy package that imports the whole library (torch, pandas, nbconvert: tens of
    # seconds) and prints a thousand lines. For pydoc only, the package lists no names; its
    # docstring above says where to start, and each name has its own help.
    frame = _sys._getframe(1)
    for _ in range(6):
        if frame is None:
            break
        if frame.f_globals.get("__name__") == "pydoc":
            return []
        frame = frame.f_back
    return _public_dir()


_compat.install()
