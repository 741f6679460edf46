"""Figures and tables: the house style (applied explicitly, never on import), figures by
topic, step diagrams and report tables."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "audits",
        "claims",
        "diagrams",
        "maps",
        "plotting",
        "spectra",
        "style",
        "tables",
        "training",
    ],
)
