"""Hypothesis strategies for transposed-convolution geometries, shared by the tests."""

import os

from hypothesis import strategies as st

THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"


def examples(n: int) -> int:
    """Examples for a property test, scaled from the profile: the fast suite's draws are
    derandomized (the same every run), so a fifth of ``n`` (at least 25) keeps its coverage of
    the whole range at a fifth of the time; ``make test-all`` draws ``2 n`` fresh ones."""
    return 2 * n if THOROUGH else max(25, n // 5)


@st.composite
def geometry(draw, ndim=None, *, valid=True, max_n=7, max_k=6, max_s=5, max_d=3, max_p=6):
    """(ndim, n, k, s, p, op, d) per-axis tuples; ``valid`` keeps torch-accepted configs."""
    nd = draw(st.integers(1, 3)) if ndim is None else ndim
    axes = []
    for _ in range(nd):
        n = draw(st.integers(1, max_n))
        k = draw(st.integers(1, max_k))
        s = draw(st.integers(1, max_s))
        d = draw(st.integers(1, max_d))
        if valid:
            op = draw(st.integers(0, max(s, d) - 1))
            full = (n - 1) * s + d * (k - 1) + op + 1
            p = draw(st.integers(0, min(max_p, (full - 1) // 2)))
        else:
            op = draw(st.integers(0, 5))
            p = draw(st.integers(0, max_p))
        axes.append((n, k, s, p, op, d))
    cols = tuple(zip(*axes, strict=True))
    return (nd, *cols)
