"""The tracer: what it sees (whatever name an operation is reached by), that it is scoped to
the call and the thread, and that it leaves torch.nn.functional and the inputs alone."""

from __future__ import annotations

import gc
import threading
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import max_pool2d as bound_max_pool2d

from artifact_lab.models.audit import audit
from artifact_lab.models.trace import run_trace, select_output, trace
from artifact_lab.models.zoo import build, input_shape
from tests._oracles import harmonic_fraction_fft


class Functional(nn.Module):
    """Upsampling reached only through functions: F.conv_transpose2d, torch.pixel_shuffle."""

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.w = nn.Parameter(torch.randn(2, 2, 3, 3, generator=g))
        self.conv = nn.Conv2d(2, 8, 3, padding=1)

    def forward(self, x):
        y = F.conv_transpose2d(x, self.w, stride=2, padding=1, output_padding=1)
        return torch.pixel_shuffle(self.conv(y), 2)


def test_functional_transposed_conv_and_torch_pixel_shuffle_are_traced_and_scored():
    model = Functional()
    result = audit(model, (1, 2, 8, 8), measure=False)
    by = {f.kind: f for f in result.layers}
    assert set(by) == {"transposed", "pixel_shuffle"}
    assert by["pixel_shuffle"].note.startswith("with conv") and by["transposed"].functional
    assert by["transposed"].location.endswith(
        "test_trace.py:" + str(_line_of("y = F.conv_transpose2d(x"))
    )
    # the functional ConvTranspose's score is that of an nn.ConvTranspose2d with its weight
    module = nn.ConvTranspose2d(2, 2, 3, 2, 1, 1, bias=False)
    with torch.no_grad():
        module.weight.copy_(model.w)
    same = audit(module, (1, 2, 8, 8), measure=False).layers[0]
    assert by["transposed"].checkerboard_score == same.checkerboard_score
    # and equals the harmonic fraction of the layer's interior response to ones (brute force)
    with torch.no_grad():
        y = F.conv_transpose2d(
            torch.ones(1, 2, 40, 40, dtype=torch.float64), model.w.double(), stride=2
        )
    assert by["transposed"].checkerboard_score == pytest.approx(
        harmonic_fraction_fft(y[0, :, 8:72, 8:72].numpy(), (2, 2)), abs=1e-9
    )


def _line_of(text: str) -> int:
    lines = open(__file__).read().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


class Pools(nn.Module):
    """Max pools through every spelling: a name bound before tracing, torch.*, with indices."""

    def forward(self, x):
        x = bound_max_pool2d(x, 2)
        x = torch.max_pool2d(x, 2)
        x, _ = F.max_pool2d(x, 2, return_indices=True)
        return F.pixel_unshuffle(x, 2)


def test_every_spelling_of_a_pool_is_traced_once():
    traced = run_trace(Pools(), torch.randn(1, 1, 64, 64), direction="backward")
    assert [op.name for op in traced.ops] == [
        "F.max_pool2d#0",
        "F.max_pool2d#1",
        "F.max_pool2d#2",
        "F.pixel_unshuffle#3",
    ]
    assert [op.step_out for op in traced.ops] == [(2, 2), (4, 4), (8, 8), (16, 16)]


def test_fractional_max_pool_is_seen_by_the_backward_audit():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.FractionalMaxPool2d(2, output_ratio=0.5))
    result = audit(model, (1, 1, 34, 34), direction="backward")
    (f,) = result.layers
    assert f.kind == "fractional_max_pool" and "pseudo-random" in f.note and f.period is None
    fn = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    fn.forward = lambda x: F.fractional_max_pool2d(nn.Sequential.forward(fn, x), 2, output_size=16)
    assert [g.kind for g in audit(fn, (1, 1, 34, 34), direction="backward").layers] == [
        "fractional_max_pool"
    ]


def test_forward_interpolate_keeps_its_location_note():
    class Up(nn.Module):
        def forward(self, x):
            return F.interpolate(x, scale_factor=2.5)

    (f,) = audit(Up(), (1, 1, 8, 8), measure=False).layers
    assert "non-integer factor" in f.note and "called in the model's forward" in f.note
    assert f.location.endswith(".py:" + str(Up.forward.__code__.co_firstlineno + 1))


def test_select_output_refuses_clearly():
    with pytest.raises(ValueError, match="out of range"):
        select_output((1, 2), 5)
    with pytest.raises(ValueError, match="keys"):
        select_output({"a": 1}, "b")
    with pytest.raises(TypeError, match="must be an int"):
        select_output((1, 2), "a")
    with pytest.raises(ValueError, match="not a tuple"):
        select_output(torch.zeros(1), 0)


def _functional_snapshot() -> dict[str, object]:
    return {k: v for k, v in vars(F).items() if callable(v)}


def _summary_numbers(result) -> list[tuple]:
    return [(f.name, f.kind, f.checkerboard_score, f.period) for f in result.layers]


def test_audits_run_in_parallel_threads_see_only_their_own_model():
    before = _functional_snapshot()
    cases = [
        ("unet-encoder", "backward"),  # functional max pools
        ("resnet18", "backward"),
        ("espcn", "forward"),  # pixel shuffle
        ("dcgan", "forward"),
    ]
    # "max_pool" in the name: a model with functional calls beside one without
    models = {name: build(name, width=1 / 16) for name, _ in cases}

    def run(case):
        name, direction = case
        shape = input_shape(name, width=1 / 16)
        return _summary_numbers(
            audit(models[name], shape, direction=direction, measure=False, name=name)
        )

    alone = {case: run(case) for case in cases}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(run, cases * 3))
    for case, numbers in zip(cases * 3, together, strict=True):
        assert numbers == alone[case], case
    after = _functional_snapshot()
    assert after.keys() == before.keys()
    assert all(after[k] is before[k] for k in before), "torch.nn.functional was changed"


def test_a_recorder_in_another_thread_does_not_see_this_threads_calls():
    started, done = threading.Event(), threading.Event()
    seen = {}

    def other():
        model = nn.Sequential(nn.Upsample(scale_factor=2))

        class Slow(nn.Module):
            def forward(self, x):
                started.set()
                done.wait(10)
                return model(x)

        seen["ops"] = run_trace(Slow(), torch.zeros(1, 1, 4, 4)).ops

    t = threading.Thread(target=other)
    t.start()
    started.wait(10)
    # while the other thread's trace is active, this thread calls functions it would record
    F.pixel_shuffle(torch.zeros(1, 4, 2, 2), 2)
    F.conv_transpose1d(torch.zeros(1, 1, 4), torch.ones(1, 1, 3), stride=2)
    done.set()
    t.join(10)
    assert [op.kind for op in seen["ops"]] == ["interpolate"]


def test_nothing_keeps_the_inputs_alive_after_audits():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2))
    for _ in range(3):
        audit(model, (1, 1, 32, 32), direction="backward")
    x = torch.randn(2, 1, 32, 32)
    ref = weakref.ref(x)
    with torch.no_grad():
        F.max_pool2d(model[0](x), 2)
        model(x)
    del x
    gc.collect()
    assert ref() is None
    # the audit holds no tensor of the traced input's shape after it returns
    gc.collect()
    with warnings.catch_warnings():  # isinstance on torch's deprecated aliases warns
        warnings.simplefilter("ignore")
        alive = [
            o
            for o in gc.get_objects()
            if isinstance(o, torch.Tensor) and tuple(o.shape) in ((1, 4, 30, 30), (1, 1, 32, 32))
        ]
    assert not alive


def test_steps_follow_the_arguments_not_the_sizes():
    # R-Net's layout: unpadded convolutions between ceil-mode pools; sizes 24, 22, 11, 9, 4
    model = nn.Sequential(
        nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
    )  # fmt: skip
    ops, _ = trace(model, torch.zeros(1, 1, 24, 24), direction="backward")
    assert [op.step_out for op in ops] == [(2, 2), (4, 4)]
    assert [round(24 / op.output_shape[2]) for op in ops] == [2, 6]  # what size ratios said
    assert np.isclose(float(ops[1].step_in[0]), 2.0)
