"""Periodic artifacts in images and audio a user already has, found without the model.

:func:`artifact_lab.inspection` (the function, in :mod:`~artifact_lab.inspection.detect`) reads
arrays, tensors, image files (PNG, JPEG, TIFF; 8 or 16 bit; grey or colour) and audio files
(WAV; FLAC with the ``audio`` extra), tests every period 2-16 per axis against the local
spectral background, and reports each period found with its harmonic fraction, peak, chance
level and confidence interval over the images or frames, and its ratio to a reference set.

Submodules (loaded on first use): :mod:`~artifact_lab.inspection.files` reads files,
:mod:`~artifact_lab.inspection.detect` holds the statistics, :mod:`~artifact_lab.inspection.power`
measures the test's power and false-alarm rate, :mod:`~artifact_lab.inspection.loop` compares
what it finds on a model's outputs with what the weights predict, and
:mod:`~artifact_lab.inspection.page` draws the figures and writes the HTML page.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__, submodules=["detect", "files", "loop", "page", "power"]
)
