"""Reports: execute the notebooks and render them to HTML and PDF, with an index page.

``build`` puts a report together, ``execute`` runs notebooks in fresh kernels, ``render``
turns an executed notebook into its page and PDF through the templates in ``templates/``.
"""

import lazy_loader as _lazy

# ``artifact_lab.report.build_report`` keeps the path it had when report was one module
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["build", "execute", "render"],
    submod_attrs={"build": ["NotebookError", "ReportEntry", "build_report", "execute_notebook"]},
)
