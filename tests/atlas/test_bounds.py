"""Every plan and allocation is bounded before work, with the rule and the smallest change.

A grid too large to plan, a stride with more phases than any closed form holds, a plan
whose closed forms alone exceed ``max_seconds``, an array beyond ``MAX_ELEMENTS`` and a
``memory_mb`` beyond the machine are refused at once (well under a second), before any
chunk runs; the planning itself stays linear in the number of (size, stride) runs, not in
the number of seeds."""

import dataclasses
import itertools
import math

import pytest

import artifact_lab as al
from artifact_lab._util.checks import MAX_PHASES, MAX_PLAN_KERNELS
from artifact_lab.atlas import _plan
from artifact_lab.atlas import sweep as sweep_module
from artifact_lab.atlas.decision import clean_kernel, decision_table
from artifact_lab.cli import main
from artifact_lab.core import adjoint


@pytest.fixture
def no_work(monkeypatch):
    """Building a plan or running a chunk fails: a refusal must come before either."""

    def started(*args, **kwargs):
        raise AssertionError("the sweep started planning or working")

    monkeypatch.setattr(sweep_module, "run_chunk", started)
    monkeypatch.setattr(_plan, "_Load", started)


def _refused(call, match, error=ValueError):
    with pytest.raises(error, match=match) as info:
        call()
    return str(info.value)


def test_a_stride_beyond_the_phase_limit_is_refused_at_once(no_work):
    """The issue: strides 2..1099 used to compute strides 2..1024 before refusing 1025."""
    message = _refused(
        lambda: al.sweep(
            kernel_sizes=[3, 4],
            strides=range(2, 1100),
            dilations=[1, 2, 3],
            inputs=(),
            progress=False,
        ),
        r"strides entry \(1099, 1099\) gives 1,207,801 output phases",
    )
    assert f"{MAX_PHASES:,}" in message and "at most 1024 per axis in 2-D" in message
    _refused(
        lambda: al.sweep(kernel_sizes=[3], strides=[2**20 + 1], ndim=1, inputs=(), progress=False),
        "at most 1048576 per axis in 1-D",
    )


def test_a_plan_of_more_kernels_than_the_limit_is_refused_before_planning(no_work):
    """The issue: decision_table(range(1, 400), range(1, 400)) planned for minutes."""
    message = _refused(
        lambda: decision_table(range(1, 400), range(1, 400)),
        "the sweep would plan 14,328,090 kernels",
    )
    assert f"{MAX_PLAN_KERNELS:,}" in message and "15 times fewer" in message
    for name in ("strides", "dilations", "kernel sizes", "seeds"):
        assert name in message


def test_a_plan_whose_closed_forms_alone_exceed_max_seconds_is_refused_before_planning(
    no_work,
):
    message = _refused(
        lambda: al.sweep(
            kernel_sizes=[3, 4],
            strides=range(2, 1025),
            dilations=[1, 2, 3],
            kernels=("ones", "default", "normal"),
            seeds=range(10),
            inputs=(),
            progress=False,
        ),
        "the sweep would take at least",
    )
    assert "max_seconds=600" in message and "1024" in message and "max_seconds (None" in message


def test_the_cli_sweep_refuses_the_same_way(tmp_path, capsys, no_work):
    out = tmp_path / "atlas.csv"
    argv = ["sweep", "--kernel-sizes", "3-4", "--strides", "2-1099", "--dilations", "1-3"]
    assert main([*argv, "--inputs", "none", "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "gives 1,207,801 output phases" in err[0], err
    assert not out.exists()


def test_planning_cost_grows_with_the_runs_not_with_the_seeds(monkeypatch):
    """A run of seeds of one size is planned at once (a binary search on the chunk's
    memory), with the chunks a kernel-by-kernel plan makes: 64 kernels each, or as many as
    the memory bound takes."""
    calls = []
    cost = _plan._Load.cost

    def counted(self):
        calls.append(1)
        return cost(self)

    monkeypatch.setattr(_plan._Load, "cost", counted)
    kw = dict(kernel_sizes=[3, 4], strides=[2], kernels=("default",), input_size=16, batch=2)
    assert [len(c.kernels) for c in _plan.make_plan(**kw, seeds=range(10), inputs=())] == [20]
    calls.clear()
    many = _plan.make_plan(**kw, seeds=range(100_000), inputs=())
    assert sum(len(c.kernels) for c in many) == 200_000
    assert all(len(c.kernels) == 64 for c in many[:-1])
    assert len(calls) < 4 * len(many)  # about 3 trials a chunk, never one a kernel
    # a tight memory bound splits a run of seeds where kernel by kernel would: every chunk
    # fits, and one more kernel would not
    tight = _plan.make_plan(**kw, seeds=range(300), inputs=("noise",), memory_mb=1)
    assert len(tight) > 2
    for chunk, following in itertools.pairwise(tight):
        assert _plan._cost(chunk).memory <= 1 << 20
        bigger = dataclasses.replace(chunk, kernels=(*chunk.kernels, following.kernels[0]))
        assert _plan._cost(bigger).memory > 1 << 20 or len(chunk.kernels) == 64


def test_the_estimate_counts_the_phases_of_large_strides():
    """A large stride's closed forms work on stride**ndim phases a kernel: the estimate
    (and the chunk's memory) must grow with them (it used not to see them at all)."""
    kw = dict(kernel_sizes=[3], kernels=("ones",), input_size=16, batch=2, inputs=())
    small = _plan.fits(_plan.make_plan(**kw, strides=[2]), None)
    large = _plan.fits(_plan.make_plan(**kw, strides=[1000]), None)
    assert large["estimated_seconds"] > 10 * small["estimated_seconds"]
    assert large["estimated_chunk_mb"] > 10  # (3 kernels' gains over 10**6 phases)


def test_memory_mb_beyond_the_machine_is_refused_naming_it(no_work):
    message = _refused(
        lambda: al.sweep(kernel_sizes=[3], strides=[2], memory_mb=10**15, progress=False),
        r"memory_mb=1000000000000000 is more than the \d+ MiB cpu has free",
    )
    assert "None" in message


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: adjoint.adjoint_interior(10**10, 3, 2), "input_size: the interior mask"),
        (lambda: adjoint.adjoint_interior((10**5, 10**5), 3, 2), "input_size: the interior mask"),
        (lambda: adjoint.adjoint_pattern([1.0, 1.0, 1.0], 10**10, 2), "input_size: the gradient"),
        (lambda: adjoint.adjoint_pattern([1.0, 1.0], 8, 10**9), r"stride \(1000000000,\)"),
        (lambda: adjoint.pool_kernel("avg", 10**6, ndim=2), "kernel_size: the pool's kernel"),
        (lambda: adjoint.pool_kernel("lp", (10**5,) * 3, norm_type=2.0), "kernel_size"),
        (lambda: clean_kernel(10**6, 2), "kernel_size: the kernel"),
        (lambda: clean_kernel(3, 10**9, ndim=1), "stride .* output phases"),
        (lambda: al.nn.CheckerboardFreeConvTranspose2d(1, 1, 10**6, stride=2), "kernel_size"),
        (lambda: al.nn.CheckerboardFreeConvTranspose3d(64, 64, 300, stride=2), "kernel_size"),
        (lambda: al.nn.hold_fit(_ones(1, 10**5), 2, ndim=1), "fit a kernel of at most"),
    ],
)
def test_allocations_beyond_the_limits_are_refused_at_once(call, match):
    message = _refused(call, match)
    assert "limit" in message


def _ones(*shape):
    import numpy as np

    return np.ones(shape)


def test_the_penalty_at_a_huge_stride_needs_no_array_as_long_as_the_phases(monkeypatch):
    """The issue: a MemoryError at stride 10**9; phases without a tap enter the score
    through their count only (see tests/prevent/test_nonfinite.py for the values)."""
    import torch

    allocated = []
    zeros = torch.Tensor.new_zeros

    def watched(self, size, *args, **kwargs):
        allocated.append(math.prod(size))
        return zeros(self, size, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "new_zeros", watched)
    w = torch.randn(3, 2, 5, 5)
    for stride in (2, 10**9, (10**9, 7)):
        assert torch.isfinite(al.losses.checkerboard_penalty(w, stride=stride))
    assert max(allocated, default=0) <= w.numel()
    layer = al.nn.CheckerboardFreeConvTranspose1d(1, 1, 10**6, stride=2)  # 1-D: a 4 MB weight
    assert al.losses.checkerboard_penalty(layer).item() < 1e-6


def test_repeated_kernel_families_are_swept_once():
    """A family given twice is the same family: its rows appear once (as a repeated kernel
    size or stride is kept once), in the order first given."""
    kw = dict(kernel_sizes=[3, 4], strides=[2], inputs=(), input_size=8, progress=False)
    once = al.sweep(**kw, kernels=["ones", "default"])
    twice = al.sweep(**kw, kernels=["ones", "default", "ones", "default", "ones"])
    assert len(twice) == len(once)
    assert list(twice.kernel.unique()) == ["ones", "default"]
    assert twice.drop(columns=[]).equals(once)
