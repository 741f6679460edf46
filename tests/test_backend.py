import threading

import pytest
import torch

from artifact_lab import backend
from artifact_lab.atlas._conv import per_item_channel_bytes, plan_blocks
from artifact_lab.backend import (
    ENV_VAR,
    KernelTimer,
    exact_dtype,
    exact_math,
    select_device,
    work_budget,
)


def test_explicit_and_env_selection(monkeypatch):
    assert select_device("cpu") == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert select_device() == torch.device("cpu")
    monkeypatch.setenv(ENV_VAR, "nonsense")
    with pytest.raises(ValueError, match=ENV_VAR):
        select_device()
    monkeypatch.delenv(ENV_VAR)
    expected = "cuda" if torch.cuda.is_available() else None
    assert select_device().type in {expected, "mps", "cpu"}


def test_absent_device_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(ValueError, match="no cuda device"):
        select_device("cuda")


def test_exact_dtype():
    assert exact_dtype(torch.device("cpu")) == torch.float64


def _state():
    return [getattr(obj, attr) for obj, attr in backend._switches()]


def test_exact_math_turns_reduced_precision_off_and_restores_it():
    switches = backend._switches()
    assert switches, "this torch has the per-backend fp32_precision switches"
    names = [f"{type(obj).__name__}.{attr}" for obj, attr in switches]
    original = _state()
    try:
        for obj, attr in switches:  # a user who asked for TF32 everywhere
            setattr(obj, attr, "tf32")
        before = _state()
        with exact_math():
            assert _state() == ["ieee"] * len(switches), names
            with exact_math():  # nested: still exact, and the outer exit restores
                pass
            assert _state() == ["ieee"] * len(switches)
        assert _state() == before
        with pytest.raises(RuntimeError, match="inside"), exact_math():
            raise RuntimeError("inside")
        assert _state() == before  # restored on errors too
    finally:
        for (obj, attr), value in zip(switches, original):
            setattr(obj, attr, value)


def test_exact_math_leaves_legacy_flags_readable():
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    saved = (cudnn.allow_tf32, matmul.allow_tf32)
    try:
        cudnn.allow_tf32, matmul.allow_tf32 = True, True  # the legacy API, as old code does
        with exact_math():
            pass
        # no mixed-API error, and the user's choice is back
        assert (cudnn.allow_tf32, matmul.allow_tf32) == (True, True)
    finally:
        cudnn.allow_tf32, matmul.allow_tf32 = saved


def test_exact_math_is_safe_across_threads():
    before = _state()
    inside = threading.Barrier(3)
    seen = []

    def work():
        with exact_math():
            inside.wait()  # all three threads are inside at once
            seen.append(_state())
            inside.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(state == ["ieee"] * len(before) for state in seen)
    assert _state() == before


def test_exact_math_on_torch_without_precision_switches(monkeypatch):
    """The legacy branch (torch < 2.9): allow_tf32 flags and matmul precision."""
    monkeypatch.setattr(backend, "_switches", lambda: [])
    calls = []
    monkeypatch.setattr(torch, "set_float32_matmul_precision", calls.append)
    monkeypatch.setattr(torch, "get_float32_matmul_precision", lambda: "high")

    class Flags:
        allow_tf32 = True

    cudnn, matmul = Flags(), Flags()
    monkeypatch.setattr(torch.backends, "cudnn", cudnn)
    monkeypatch.setattr(torch.backends.cuda, "matmul", matmul)
    with exact_math():
        assert cudnn.allow_tf32 is False and matmul.allow_tf32 is False
        assert calls == ["highest"]
    assert cudnn.allow_tf32 is True and matmul.allow_tf32 is True and calls[-1] == "high"


def test_kernel_timer_records_events_and_synchronises_only_when_read():
    log = []

    class FakeEvent:
        def __init__(self):
            self.at = None

        def record(self):
            self.at = len(log)
            log.append("record")

        def synchronize(self):
            log.append("sync")

        def elapsed_time(self, end):
            return 250.0  # milliseconds

    timer = KernelTimer(torch.device("cpu"), event_factory=FakeEvent)
    for _ in range(3):
        with timer.span():
            log.append("work")
    assert "sync" not in log  # nothing waits inside the loop
    assert timer.seconds() == pytest.approx(0.75)
    assert log.count("sync") == 1
    assert timer.seconds() == pytest.approx(0.75)  # read again: no new spans, no new sync
    assert log.count("sync") == 1


def test_work_budget_follows_free_memory(monkeypatch):
    monkeypatch.setattr(backend, "free_memory", lambda device: 80 << 20)
    cuda = torch.device("cuda")  # the figure is faked: no GPU is needed
    assert work_budget(cuda, None) == 40 << 20
    assert work_budget(cuda, 16) == 16 << 20
    assert work_budget(cuda, 1000) == 80 << 20
    assert backend.host_available_memory() > 0


def test_call_blocks_fit_the_budget_from_a_fake_free_memory(monkeypatch):
    monkeypatch.setattr(backend, "free_memory", lambda device: 400 << 20)
    budget = work_budget(torch.device("cuda"), None)
    per = per_item_channel_bytes(64, 12, 2, 1, 2, 4, "padded")
    channels, items = plan_blocks(100, 8, per, budget)
    assert channels * items * per <= budget
    assert channels == 100 or items == 1
    assert plan_blocks(5, 3, 10**12, 1) == (1, 1)  # at least one of each
