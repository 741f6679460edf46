"""The argument checks accept numpy's scalars where they mean the same as Python's."""

import numpy as np
import pytest

from artifact_lab._util import checks


@pytest.mark.parametrize("value", [np.True_, np.False_, np.bool_(1), True, False])
def test_check_bool_takes_numpy_bools(value):
    """numpy 2 names np.True_'s type ``bool``, not ``bool_``: it was refused at 26 sites."""
    assert checks.check_bool("flag", value) is bool(value)


@pytest.mark.parametrize("value", [1, 0, "yes", None, np.int64(1), np.float64(1.0), [True]])
def test_check_bool_refuses_what_is_not_a_bool(value):
    with pytest.raises(TypeError, match="flag must be True or False"):
        checks.check_bool("flag", value)


@pytest.mark.parametrize("kind", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_numpy_integers_are_ints_everywhere(kind):
    assert checks.check_int("n", kind(3), minimum=1) == 3
    assert checks.per_axis("stride", kind(2), 2) == (2, 2)
    assert checks.per_axis("stride", (kind(2), kind(3)), 2) == (2, 3)
    assert checks.int_values("sizes", kind(4)) == [4]
    assert checks.check_seeds("seeds", kind(5)) == (5,)
    assert checks.check_float("x", kind(2)) == 2.0
    assert checks.check_shape("shape", np.array([1, 2, 8], dtype=kind), max_elements=100) == (
        1, 2, 8,
    )  # fmt: skip


@pytest.mark.parametrize("kind", [np.float16, np.float32, np.float64])
def test_numpy_floats_are_reals_and_never_ints_or_bools(kind):
    assert checks.check_float("x", kind(0.5), positive=True) == 0.5
    with pytest.raises(TypeError, match="n must be an integer"):
        checks.check_int("n", kind(2.0))
    with pytest.raises(ValueError, match="x must be finite"):
        checks.check_float("x", kind("nan"))
    with pytest.raises(TypeError, match="flag must be True or False"):
        checks.check_bool("flag", kind(1.0))


def test_numpy_bools_are_not_ints_and_numpy_strings_are_strings():
    for bad in (np.True_, True):
        with pytest.raises(TypeError, match="n must be an integer"):
            checks.check_int("n", bad)
        with pytest.raises(TypeError, match="x must be a real number"):
            checks.check_float("x", bad)
        with pytest.raises(TypeError, match=r"shape\[0\] must be an int"):
            checks.check_shape("shape", (bad, 1, 8), max_elements=100)
    choice = checks.check_choice("mode", np.str_("sum"), ("sum", "pairs"))
    assert choice == "sum" and type(choice) is str
    assert checks.as_names("names", np.array(["a", "b"])) == ("a", "b")
    assert checks.check_str("title", np.str_("t")) == "t"


def test_check_phases_names_the_argument_and_the_largest_stride_that_fits():
    checks.check_phases("stride", (1024, 1024))
    with pytest.raises(ValueError, match=r"strides entry \(1025, 1025\) .* at most 1024 per axis"):
        checks.check_phases("strides entry", (1025, 1025))
    with pytest.raises(ValueError, match="at most 101 per axis in 3-D"):
        checks.check_phases("stride", (102, 102, 102))
