"""Reports: execute the notebooks and render them to HTML and PDF, with an index page."""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(__name__, submodules=["build"])
