"""The explorer: transposed convolution by hand, in JupyterLab and offline.

- ``state``: the pure state every view draws, one function of the controls' values;
- ``views``: what each view shows, drawn from a state;
- ``widget``: the app for JupyterLab (``artifact_lab.explore()``);
- ``page``: the offline page ``reports/explorer.html``.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__, submodules=["page", "state", "views", "widget"]
)
