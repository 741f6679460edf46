"""Every figure function of the package by name, with the house style (``al.plotting``).

The functions live in modules by topic, loaded on first use: :mod:`~artifact_lab.viz.style`
(the house style and the helpers every figure shares), :mod:`~artifact_lab.viz.maps`
(overlap maps, contributions, sweep heatmaps, the decision grid),
:mod:`~artifact_lab.viz.spectra` (spectra and picture galleries),
:mod:`~artifact_lab.viz.audits` (per-layer scores, input gradients) and
:mod:`~artifact_lab.viz.training` (training curves, the prevention study). Importing this
module changes no matplotlib setting; :func:`use_house_style` does, when called.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    "artifact_lab.viz",
    submod_attrs={
        "style": [
            "FONT_PT",
            "MIN_FONT_PT",
            "TEXT_WIDTH",
            "annotate_cells",
            "figure_fonts",
            "figure_svg",
            "figure_title",
            "house_rc",
            "house_style",
            "mark_harmonics",
            "new_figure",
            "use_house_style",
        ],
        "maps": [
            "plot_contributions",
            "plot_decision",
            "plot_heatmap",
            "plot_overlap",
            "plot_overlap_grid",
        ],
        "spectra": [
            "plot_gallery",
            "plot_radial_spectra",
            "plot_spectra",
            "plot_spectrum",
            "spectrum_db",
        ],
        "audits": ["plot_gradient_maps", "plot_gradient_spectra", "plot_layer_scores"],
        "training": ["plot_prevention", "plot_training_curves"],
    },
)
