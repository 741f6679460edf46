import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# The fast suite draws the same examples on every run, so CI answers for the code and not
# for the draw; the thorough profile (make test-all) explores with fresh random draws.
settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
    derandomize=True,
)
settings.register_profile(
    "thorough",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    max_examples=5000,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one intra-op thread per worker: with -n 2 on 2 cores, torch's default of one thread
    # per core oversubscribes the machine and slows small convolutions down ten-fold
    import torch

    torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """The report's notebooks are the suite's longest work: schedule them first, so that on
    two workers they run beside everything else instead of after it."""
    items.sort(key=lambda item: "tests/report/" not in item.nodeid)


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test drew are closed after it, so a long run holds no stale figures."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
