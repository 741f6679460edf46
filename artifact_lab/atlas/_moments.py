"""Exact harmonic and total power of a transposed convolution's output, without convolving.

One axis, padding-0 coordinates: ``y[o] = sum_j w[j] x[(o - j*d)/s]`` over the taps ``j``
whose ``o - j*d`` is a multiple of ``s``. Take a crop ``[lo, lo + q*s)`` inside the interior
(every tap has a valid input there). Then, per axis and so per multi-index in N-d:

- tap ``j`` lands on the crop positions of phase ``(j*d - lo) mod s``, from the ``q``
  inputs ``i`` of the window ``W_j = [ceil((lo - j*d)/s), ... + q)``, so the crop's phase
  sums are ``P[r] = sum_{j on r} w[j] * S_j`` with ``S_j`` the sum of ``x`` over ``W_j``
  (a box sum: summed-area table, O(1) per tap);
- two taps meet on the same outputs iff ``(j - j')*d == 0 (mod s)``, and then tap ``j'``
  reads ``x[i + l]`` where tap ``j`` reads ``x[i]``, ``l = (j - j')*d/s``. So the crop's
  sum of squares is the quadratic form ``w^T R w`` with
  ``R[j, j'] = sum_{i in W_j} x[i] * x[i + l]``: a box sum of the lag-``l`` product image
  (one summed-area table per lag, shared by every kernel size, seed and crop of a chunk).
  ``R`` is symmetric, so only lags in one half-space are computed.

The harmonic powers are ``|DFT_s(P)|^2`` (the FFT bins ``m*q`` of the crop), the total by
Parseval ``(q*s)^ndim * sum y^2``: the same two sums the convolution path reduces its output
to, so both paths feed :func:`artifact_lab.core.spectral.stats_from_harmonics` identically.
Work: one product image per lag and O(k^(2*ndim)) per kernel, independent of the number of
seeds, against a whole convolution per kernel.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

__all__ = ["moment_powers", "moment_tables", "moment_workspace_bytes"]


def _sat(a: np.ndarray, nd: int) -> np.ndarray:
    """Summed-area table over the last ``nd`` axes, with a leading zero row per axis."""
    out = np.zeros((*a.shape[: a.ndim - nd], *(n + 1 for n in a.shape[a.ndim - nd :])))
    out[(Ellipsis, *(slice(1, None),) * nd)] = a
    _cumsum_(out, range(out.ndim - nd, out.ndim))
    return out


def _cumsum_(a: np.ndarray, axes) -> None:
    """In-place running sums along ``axes`` (torch's kernel: 5x numpy's on strided axes)."""
    view = torch.from_numpy(a)
    for ax in axes:
        view.cumsum_(ax)


def _box_sums(sat: np.ndarray, starts: list[np.ndarray], q: int) -> np.ndarray:
    """Sums over the boxes ``[start_a, start_a + q)``, every combination of per-axis starts.

    ``sat`` has shape ``(..., n_1 + 1, ..., n_nd + 1)``; returns ``(..., len(starts_1), ...)``.
    """
    nd = len(starts)
    total = None
    for bits in itertools.product((0, 1), repeat=nd):
        idx = np.ix_(*(st + q * b for st, b in zip(starts, bits)))
        term = sat[(Ellipsis, *idx)]
        if (nd - sum(bits)) % 2:
            term = -term
        total = term if total is None else total + term
    return total


def _axis_taps(k: int, s: int, d: int, lo: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tap: first input index of its window, and its phase relative to the crop."""
    j = np.arange(k)
    return -((j * d - lo) // s), (j * d - lo) % s


def _axis_pairs(k: int, s: int, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordered tap pairs that meet on the same outputs, and their input lag."""
    j, j2 = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    meet = ((j - j2) * d) % s == 0
    return j[meet], j2[meet], ((j - j2) * d)[meet] // s


def moment_workspace_bytes(
    batch: int, n: int, nd: int, quad: int, taps: int, block_bytes: int
) -> int:
    """Peak bytes :func:`moment_tables` and :func:`moment_powers` allocate besides their
    input and kernels, for the distinct kernel sizes ``k`` of one chunk: ``quad`` is the sum
    of their ``(k**nd)**2``, ``taps`` the sum of their ``k**nd``."""
    # the quadratic forms, and per entry its corners, targets and values (about 12 words)
    forms = 8 * quad * (1 + 12 + 2**nd)
    sums = 8 * batch * taps
    return forms + sums + 8 * (n + 1) ** nd + 2 * max(block_bytes, 8 * (n + 1) ** nd)


def moment_tables(
    x: np.ndarray, s: int, d: int, crops: list[tuple[int, int, int]], *, block_bytes: int = 1 << 24
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each crop ``(k, lo, q)``: the quadratic form ``R`` ``(K, K)`` (batch-summed,
    ``K = k**nd``) and the window sums ``S`` ``(B, K)`` of every tap, for the input batch
    ``x`` of shape ``(B, n, ..., n)``. Lag product images are built ``block_bytes`` at a
    time and shared by all crops."""
    nd = x.ndim - 1
    n = x.shape[1]
    reach = max(((k - 1) * d) // s for k, _, _ in crops)
    width = 2 * reach + 1
    sizes = [k**nd for k, _, _ in crops]
    offsets = np.concatenate([[0], np.cumsum([t * t for t in sizes])]).astype(np.int64)
    forms = np.zeros(int(offsets[-1]))
    codes, corners, qs, targets, mirrors = [], [], [], [], []
    for i, (k, lo, q) in enumerate(crops):
        start, _ = _axis_taps(k, s, d, lo)
        j, j2, lag = _axis_pairs(k, s, d)
        mesh = np.indices((len(j),) * nd).reshape(nd, -1)  # every multi-pair
        lags = lag[mesh]
        sign = np.zeros(mesh.shape[1], dtype=np.int64)
        for a in reversed(range(nd)):  # the first non-zero axis decides
            sign = np.where(lags[a] != 0, np.sign(lags[a]), sign)
        keep = sign >= 0  # R is symmetric: the lag -l repeats the entries of l
        mesh, lags = mesh[:, keep], lags[:, keep]
        code = np.zeros(mesh.shape[1], dtype=np.int64)
        flat_j = np.zeros_like(code)
        flat_j2 = np.zeros_like(code)
        for a in range(nd):
            code = code * width + lags[a] + reach
            flat_j = flat_j * k + j[mesh[a]]
            flat_j2 = flat_j2 * k + j2[mesh[a]]
        codes.append(code)
        corners.append(start[j[mesh]])  # (nd, E): the box of tap j on every axis
        qs.append(np.full(code.shape, q))
        targets.append(offsets[i] + flat_j * sizes[i] + flat_j2)
        mirrors.append(offsets[i] + flat_j2 * sizes[i] + flat_j)
    code = np.concatenate(codes)
    order = np.argsort(code, kind="stable")
    code = code[order]
    corner = np.concatenate(corners, axis=1)[:, order]
    q_of = np.concatenate(qs)[order]
    target, mirror = np.concatenate(targets)[order], np.concatenate(mirrors)[order]
    lag_codes, first_entry = np.unique(code, return_index=True)
    lag_index = np.searchsorted(lag_codes, code)
    cells = (n + 1) ** nd
    block = max(1, block_bytes // (8 * cells))
    for b0 in range(0, len(lag_codes), block):
        chosen = lag_codes[b0 : b0 + block]
        prods = np.zeros((len(chosen), *(n + 1,) * nd))
        for li, c in enumerate(chosen):
            shift = []
            for _ in range(nd):
                shift.append(int(c % width) - reach)
                c //= width
            shift.reverse()
            # x[i] * x[i + v] where both exist; zero elsewhere (no window reaches there)
            here = tuple(slice(max(0, -v), min(n, n - v)) for v in shift)
            there = tuple(slice(max(0, v), min(n, n + v)) for v in shift)
            into = tuple(slice(1 + max(0, -v), 1 + min(n, n - v)) for v in shift)
            prods[(li, *into)] = np.einsum(
                "b...,b...->...", x[(slice(None), *here)], x[(slice(None), *there)]
            )
        _cumsum_(prods, range(1, nd + 1))
        lo_e = first_entry[b0]
        hi_e = first_entry[b0 + block] if b0 + block < len(lag_codes) else len(code)
        flat = prods.reshape(-1)
        base = (lag_index[lo_e:hi_e] - b0) * cells
        values = np.zeros(hi_e - lo_e)
        for bits in itertools.product((0, 1), repeat=nd):
            idx = base.copy()
            for a in range(nd):
                idx += (corner[a, lo_e:hi_e] + q_of[lo_e:hi_e] * bits[a]) * (n + 1) ** (nd - 1 - a)
            if (nd - sum(bits)) % 2:
                values -= flat[idx]
            else:
                values += flat[idx]
        forms[target[lo_e:hi_e]] = values
        forms[mirror[lo_e:hi_e]] = values
    window_sums = [np.zeros((x.shape[0], t)) for t in sizes]
    per = max(1, block_bytes // (8 * cells))
    for b0 in range(0, x.shape[0], per):  # a few summed-area tables at a time
        first = _sat(x[b0 : b0 + per], nd)
        for i, (k, lo, q) in enumerate(crops):
            start, _ = _axis_taps(k, s, d, lo)
            block = _box_sums(first, [start] * nd, q)
            window_sums[i][b0 : b0 + per] = block.reshape(block.shape[0], -1)
    return [
        (forms[offsets[i] : offsets[i + 1]].reshape(t, t), window_sums[i])
        for i, t in enumerate(sizes)
    ]


def moment_powers(
    tables: tuple[np.ndarray, np.ndarray], kernels: np.ndarray, s: int, d: int, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic powers ``(C, s**nd)`` (DC first, batch-pooled) and ``sum y^2`` ``(C,)`` of
    the crop, for kernels ``(C, k, ..., k)`` and the crop's :func:`moment_tables`."""
    form, sums = tables
    c, k, nd = kernels.shape[0], kernels.shape[1], kernels.ndim - 1
    _, phase = _axis_taps(k, s, d, lo)
    onehot = np.zeros((k, s))
    onehot[np.arange(k), phase] = 1.0
    phases = onehot
    for _ in range(nd - 1):
        phases = np.einsum("ja,kb->jkab", phases, onehot).reshape(
            phases.shape[0] * k, phases.shape[1] * s
        )
    w = kernels.reshape(c, -1)
    per_phase = np.einsum("bj,cj->cbj", sums, w) @ phases  # (C, B, s**nd)
    spec = np.fft.fftn(per_phase.reshape(c, -1, *(s,) * nd), axes=range(2, 2 + nd))
    harmonic = (spec.real**2 + spec.imag**2).sum(axis=1).reshape(c, -1)
    sumsq = np.einsum("cj,jk,ck->c", w, form, w)
    return harmonic, np.maximum(sumsq, 0.0)
