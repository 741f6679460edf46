"""The transposed-convolution calculator: every layer that maps one size to another.

For each kernel size, stride and dilation in the given ranges, torch's formula fixes the
padding and the output padding together: ``2p - op = (n-1)*s + d*(k-1) + 1 - L``. So the
valid output paddings are an arithmetic progression (every other value, of the parity that
makes ``2p`` even) cut to the allowed ranges, solved in closed form: no loop over paddings
or output paddings, so a stride of 10**9 answers at once. Pure Python: the command line
prints the table without importing numpy's heavier neighbours, pandas or torch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .._util.checks import MAX_VALUES, IntOrTuple, check_bool, check_int, int_values, per_axis
from .arithmetic import axis_count_range, phase_count_contrast

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "even_conv_geometry",
    "even_conv_options",
    "is_times_stride",
    "solve",
    "solve_rows",
    "times_stride_padding",
    "transposed_geometry",
    "transposed_options",
]

COLUMNS = {
    "kernel_size": "kernel size k (every axis)",
    "stride": "stride s",
    "padding": "padding p",
    "output_padding": "output padding op",
    "dilation": "dilation d",
    "even_overlap": "an all-ones kernel gives every phase the same tap count: s == 1, or "
    "gcd(d, s) == 1 and s divides k",
    "clean_init_exists": "some initialisation gives equal phase gains (no checkerboard at "
    "the start): every phase receives a tap, gcd(d, s) == 1 and k >= s (as "
    "decision.clean_init_exists)",
    "holes": "some phase receives no tap at all (gcd(d, s) > 1 or k < s)",
    "overlap_contrast": "(max - min) / mean of the per-phase tap counts of the N-d layer, N "
    "the number of axes of input_size (1 for an int: pass (16, 16) for a 2-D layer)",
    "k_mod_s": "k % s",
    "output_size_ok": "torch's module can produce this layer through forward(x, output_size=...)"
    ": output padding < stride (torch refuses output paddings in [s, d-1] there)",
}

# Beyond these the answer is no longer a table a person reads: refuse, and say how to narrow.
MAX_ROWS = 1_000_000
_MAX_WORK = 10_000_000


def _overlap_flags(k: int, s: int, d: int, nd: int) -> dict[str, Any]:
    """The overlap columns of the isotropic N-d layer, in closed form from one axis's fewest
    and most taps per phase (see overlap.overlap_contrast and overlap.has_holes)."""
    low, high = axis_count_range(k, s, d)
    return {
        "even_overlap": low == high,  # s == 1, or gcd(d, s) == 1 and s divides k
        "clean_init_exists": low > 0,  # gcd(d, s) == 1 and k >= s
        "holes": low == 0,  # gcd(d, s) > 1 or k < s
        "overlap_contrast": phase_count_contrast((k,) * nd, (s,) * nd, (d,) * nd),
    }


def solve_rows(
    input_size: IntOrTuple,
    output_size: IntOrTuple,
    *,
    kernel_sizes: Iterable[int] | int = range(1, 9),
    strides: Iterable[int] | int = range(1, 9),
    dilations: Iterable[int] | int = (1,),
    paddings: Iterable[int] | None = None,
    output_paddings: Iterable[int] | None = None,
    all_output_paddings: bool = False,
) -> list[dict[str, Any]]:
    """:func:`solve`'s rows as plain dicts, sorted (what the command line prints)."""
    n = per_axis("input_size", input_size, None, minimum=1)
    L = per_axis("output_size", output_size, None, minimum=1)
    if len(n) != len(L):
        raise ValueError(
            f"input_size {input_size!r} and output_size {output_size!r} must have the same "
            "number of axes"
        )
    ks = int_values("kernel_sizes", kernel_sizes, minimum=1)
    ss = int_values("strides", strides, minimum=1)
    ds = int_values("dilations", dilations, minimum=1)
    allowed_p = None if paddings is None else int_values("paddings", paddings, minimum=0)
    allowed_op = (
        None
        if output_paddings is None
        else int_values("output_paddings", output_paddings, minimum=0)
    )
    all_ops = check_bool("all_output_paddings", all_output_paddings)
    largest = max(ss[-1], ds[-1]) if all_ops else ss[-1]
    if allowed_op is not None and allowed_op[-1] >= largest:
        rule = "max(stride, dilation)" if all_ops else "the stride (all_output_paddings=False)"
        raise ValueError(
            f"output_paddings entry {allowed_op[-1]} is accepted with no stride and dilation "
            f"in the ranges: torch needs output_padding < {rule}, at most {largest - 1} here"
        )
    grid = len(ks) * len(ss) * len(ds)
    per_combo = min(
        len(allowed_p) if allowed_p is not None else 2 * ds[-1] * (ks[-1] - 1) + 1,
        len(allowed_op) if allowed_op is not None else largest,
    )
    if grid > MAX_VALUES or grid * per_combo > _MAX_WORK:
        raise ValueError(
            f"the search covers {grid} kernel size x stride x dilation combinations with up "
            f"to {per_combo} paddings each, more than the limit of {_MAX_WORK}; narrow "
            "kernel_sizes, strides, dilations, paddings or output_paddings"
        )
    p_set = None if allowed_p is None else set(allowed_p)
    op_set = None if allowed_op is None else set(allowed_op)
    nd = len(n)
    # counted first, in closed form where it can be: a search that ends in too many rows is
    # refused in a second, not after building a million of them
    count = 0
    for k in ks:
        for s in ss:
            for d in ds:
                bases = {(na - 1) * s + d * (k - 1) + 1 - la for na, la in zip(n, L, strict=True)}
                if len(bases) == 1:
                    op_hi = (max(s, d) if all_ops else s) - 1
                    count += _count_paddings(bases.pop(), op_hi, d * (k - 1), p_set, op_set)
        if count > MAX_ROWS:
            raise ValueError(
                f"more than {MAX_ROWS} configurations produce that size; narrow "
                "kernel_sizes, strides, dilations or paddings"
            )
    rows: list[dict[str, Any]] = []
    for k in ks:
        for s in ss:
            for d in ds:
                # 2p - op = base on every axis; p and op are the same on every axis
                bases = {(na - 1) * s + d * (k - 1) + 1 - la for na, la in zip(n, L, strict=True)}
                if len(bases) != 1:
                    continue
                base = bases.pop()
                op_hi = (max(s, d) if all_ops else s) - 1
                flags = None  # the same for every padding: computed with the first row
                for p, op in _paddings(base, op_hi, d * (k - 1), p_set, op_set):
                    if len(rows) >= MAX_ROWS:
                        raise ValueError(
                            f"more than {MAX_ROWS} configurations produce that size; narrow "
                            "kernel_sizes, strides, dilations or paddings"
                        )
                    if flags is None:
                        flags = _overlap_flags(k, s, d, nd)
                    rows.append(
                        {
                            "kernel_size": k,
                            "stride": s,
                            "padding": p,
                            "output_padding": op,
                            "dilation": d,
                            **flags,
                            "k_mod_s": k % s,
                            "output_size_ok": op < s,
                        }
                    )
    rows.sort(
        key=lambda r: (
            not r["even_overlap"],
            not r["clean_init_exists"],
            r["overlap_contrast"],
            r["output_padding"],
            r["dilation"],
            r["kernel_size"],
            r["stride"],
        )
    )
    return rows


def _count_paddings(base: int, op_hi: int, p_max: int, p_set, op_set) -> int:
    """How many pairs :func:`_paddings` yields; in closed form without allowed sets."""
    if p_set is not None or op_set is not None:
        return sum(1 for _ in _paddings(base, op_hi, p_max, p_set, op_set))
    lo, hi = max(0, -base), min(op_hi, 2 * p_max - base)
    first = lo + ((base + lo) % 2)  # 2p = base + op must be even
    return max(0, (hi - first) // 2 + 1) if hi >= first else 0


def _paddings(base: int, op_hi: int, p_max: int, p_set, op_set) -> Iterable[tuple[int, int]]:
    """Every (p, op) with ``2p - op == base``, ``0 <= op <= op_hi``, p and op allowed."""
    lo = max(0, -base)  # p >= 0
    hi = op_hi if p_set is not None else min(op_hi, 2 * p_max - base)  # default p <= d(k-1)
    if p_set is not None:
        candidates = (2 * p - base for p in p_set)
        if op_set is not None and len(op_set) < len(p_set):
            candidates = iter(op_set)
    elif op_set is not None:
        candidates = iter(op_set)
    else:
        first = lo + ((base + lo) % 2)  # 2p = base + op must be even
        candidates = iter(range(first, hi + 1, 2))
    for op in sorted(candidates):
        if op < lo or op > hi or (base + op) % 2:
            continue
        p = (base + op) // 2
        if (p_set is not None and p not in p_set) or (op_set is not None and op not in op_set):
            continue
        yield p, op


def solve(
    input_size: IntOrTuple,
    output_size: IntOrTuple,
    *,
    kernel_sizes: Iterable[int] | int = range(1, 9),
    strides: Iterable[int] | int = range(1, 9),
    dilations: Iterable[int] | int = (1,),
    paddings: Iterable[int] | None = None,
    output_paddings: Iterable[int] | None = None,
    all_output_paddings: bool = False,
) -> pd.DataFrame:
    """Every transposed-convolution geometry that turns ``input_size`` into ``output_size``.

    Parameters
    ----------
    input_size, output_size : int or tuple of int
        Per-axis sizes; with tuples, a configuration must fit every axis with the same
        (isotropic) kernel, stride, padding, output padding and dilation.
    kernel_sizes, strides, dilations : int or iterable of int
        Ranges to search (at most ``MAX_VALUES`` values each).
    paddings : iterable of int, optional
        Allowed paddings. Default: ``0 .. d*(k-1)`` (a larger padding would crop outputs
        that the kernel fully computed).
    output_paddings : iterable of int, optional
        Allowed output paddings. Default: every value below the stride.
    all_output_paddings : bool
        Also list output paddings in ``[s, d-1]`` (``d > s``): torch's layer accepts them in
        its constructor, but its ``forward(x, output_size=...)`` refuses to produce them.

    Returns
    -------
    pandas.DataFrame
        One row per configuration, columns :data:`COLUMNS`: ``even_overlap`` (the all-ones
        rule), ``clean_init_exists`` (equal phase gains reachable by some initialisation),
        ``holes``, ``overlap_contrast`` (of a layer with as many axes as ``input_size``: an
        int is 1-D, ``(16, 16)`` 2-D), ``k_mod_s`` and ``output_size_ok``. Cleanest
        first: even overlap, then a clean initialisation, then by overlap contrast, then
        the simplest (no output padding, no dilation, smallest kernel).

    Raises
    ------
    TypeError
        A non-integer size or range entry (a string is not a range).
    ValueError
        Sizes below 1 or of different numbers of axes, empty ranges, an output padding that
        no stride and dilation in the ranges accepts, or a search or answer beyond
        ``MAX_ROWS`` rows (narrow the ranges).

    Notes
    -----
    Checked against a brute-force loop over every padding and output padding and against
    torch's modules (every row gives the size; ``output_size_ok`` rows also through
    ``forward(x, output_size=...)``).

    Examples
    --------
    >>> table = solve(16, 32, kernel_sizes=range(1, 6), strides=[2])
    >>> table[["kernel_size", "padding", "output_padding", "even_overlap", "clean_init_exists"]]
       kernel_size  padding  output_padding  even_overlap  clean_init_exists
    0            2        0               0          True               True
    1            4        1               0          True               True
    2            5        2               1         False               True
    3            3        1               1         False               True
    4            1        0               1         False              False
    """
    import pandas as pd

    rows = solve_rows(
        input_size,
        output_size,
        kernel_sizes=kernel_sizes,
        strides=strides,
        dilations=dilations,
        paddings=paddings,
        output_paddings=output_paddings,
        all_output_paddings=all_output_paddings,
    )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    flags = ["even_overlap", "clean_init_exists", "holes", "output_size_ok"]
    return table.astype(dict.fromkeys(flags, bool)).reset_index(drop=True)


# --------------------------------------------------------------------------- layer solvers
# The geometries the audit's fixes need: a replacement must keep a layer's output size.


def times_stride_padding(kernel_size: int, stride: int) -> tuple[int, int]:
    """Padding and output padding that make a transposed conv give exactly ``n*stride``.

    Examples
    --------
    >>> times_stride_padding(4, 2), times_stride_padding(3, 2)
    ((1, 0), (1, 1))
    """
    kernel_size = check_int("kernel_size", kernel_size, minimum=1)
    stride = check_int("stride", stride, minimum=1)
    p = max(0, math.ceil((kernel_size - stride) / 2))
    op = stride + 2 * p - kernel_size
    if op >= stride:  # stride 1 and an even kernel: the size is always n + 1 or n - 1
        raise ValueError(
            f"no padding makes kernel_size={kernel_size} at stride={stride} give exactly "
            f"n*{stride}: torch needs output_padding < stride; use an odd kernel_size"
        )
    return p, op


def transposed_geometry(
    n: int, L: int, s: int, *, kernel_sizes: Sequence[int] | None = None
) -> list[tuple[int, int, int]]:
    """ConvTranspose geometries ``(k, p, op)`` with stride ``s``, dilation 1, mapping ``n`` to
    ``L`` and admitting a clean initialisation (``k >= s``, the ``clean_init_exists`` rule
    for ``gcd(d, s) = 1``), best first: ``k % s == 0`` (even overlap), then
    ``k`` nearest ``2s`` (smooth like the bilinear kernel), then the smallest ``op``.

    Examples
    --------
    >>> transposed_geometry(16, 32, 2)[:2]
    [(4, 1, 0), (2, 0, 0)]
    """
    n, L, s = (check_int(k, v, minimum=1) for k, v in (("n", n), ("L", L), ("s", s)))
    if kernel_sizes is None:
        sizes = range(s, 4 * s + 1)
    else:
        sizes = int_values("kernel_sizes", kernel_sizes, minimum=1)
    found = []
    for k in sizes:
        if k < s:
            continue
        for op in range(s):
            twice_p = (n - 1) * s + (k - 1) + op + 1 - L
            if twice_p >= 0 and twice_p % 2 == 0 and twice_p // 2 <= k - 1:
                found.append((k, twice_p // 2, op))
    return sorted(found, key=lambda g: (g[0] % s != 0, abs(g[0] - 2 * s), g[2], g[0]))


def even_conv_geometry(n: int, L: int, s: int) -> tuple[int, int] | None:
    """A convolution ``(k, p)`` with ``k % s == 0`` and stride ``s`` mapping ``n`` to ``L``:
    ``k = 2s`` preferred, then ``s``, ``3s``, ``4s``; the smallest padding. None if none.

    Examples
    --------
    >>> even_conv_geometry(64, 32, 2), even_conv_geometry(7, 4, 2)
    ((4, 1), (4, 2))
    """
    n, L, s = (check_int(k, v, minimum=1) for k, v in (("n", n), ("L", L), ("s", s)))
    for k in (2 * s, s, 3 * s, 4 * s):
        for p in range(0, k):
            if n + 2 * p - k >= 0 and (n + 2 * p - k) // s + 1 == L:
                return k, p
    return None


Geometry = tuple[int, int, int]  # (k, p, op)


def _sizes_and_stride(n: object, L: object, s: object) -> tuple[tuple[int, ...], ...]:
    """``n``, ``L`` and ``s`` as per-axis tuples of one length (that of ``n``)."""
    if isinstance(n, (str, bytes)) or not hasattr(n, "__len__"):
        raise TypeError(f"n must be a tuple of per-axis sizes, got {n!r}")
    nd = len(n)
    return tuple(per_axis(name, v, nd, minimum=1) for name, v in (("n", n), ("L", L), ("s", s)))


def transposed_options(
    n: tuple[int, ...], L: tuple[int, ...], s: tuple[int, ...]
) -> tuple[list[list[Geometry]], list[Geometry]]:
    """Per axis, the :func:`transposed_geometry` options mapping ``n`` to ``L`` at stride ``s``,
    and those that every axis shares (best first).

    Examples
    --------
    >>> axes, common = transposed_options((8, 8), (16, 16), (2, 2))
    >>> common[0]
    (4, 1, 0)
    """
    n, L, s = _sizes_and_stride(n, L, s)
    axes = [transposed_geometry(n[a], L[a], s[a]) for a in range(len(n))]
    common = [g for g in axes[0] if all(g in options for options in axes[1:])]
    return axes, common


def even_conv_options(
    n: tuple[int, ...], L: tuple[int, ...], s: tuple[int, ...]
) -> list[tuple[int, int] | None]:
    """Per axis, the :func:`even_conv_geometry` ``(k, p)`` mapping ``n`` to ``L`` at stride ``s``.

    Examples
    --------
    >>> even_conv_options((64, 7), (32, 4), (2, 2))
    [(4, 1), (4, 2)]
    """
    n, L, s = _sizes_and_stride(n, L, s)
    return [even_conv_geometry(n[a], L[a], s[a]) for a in range(len(s))]


def is_times_stride(n: tuple[int, ...], L: tuple[int, ...], s: tuple[int, ...]) -> bool:
    """Whether ``L = n * s`` on every axis with one stride for all (what resize and sub-pixel
    replacements give).

    Examples
    --------
    >>> is_times_stride((8, 8), (16, 16), (2, 2)), is_times_stride((8, 8), (15, 15), (2, 2))
    (True, False)
    """
    n, L, s = _sizes_and_stride(n, L, s)
    return len(set(s)) == 1 and all(o == i * s[0] for o, i in zip(L, n, strict=True))
