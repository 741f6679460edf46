import pytest
import torch

from artifact_lab.backend import ENV_VAR, exact_dtype, select_device


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
