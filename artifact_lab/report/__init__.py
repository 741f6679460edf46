"""Reports: execute the notebooks and render them to HTML and PDF, with an index page."""

import lazy_loader as _lazy

# ``artifact_lab.report.build_report`` keeps the path it had when report was one module
__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["build"],
    submod_attrs={"build": ["NotebookError", "ReportEntry", "build_report", "execute_notebook"]},
)
