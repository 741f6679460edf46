"""The ONNX interpreter against onnxruntime: random small graphs drawn over the geometry ONNX
allows (asymmetric pads, dilation, groups, output padding, ceil mode, both DepthToSpace
orders, Resize), and PP-OCRv4's detector; plus its refusals and the onnx2torch helpers."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx", reason="pip install 'artifact_lab[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="pip install onnxruntime (in the dev extra)")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from artifact_lab.models.audit import audit  # noqa: E402
from artifact_lab.models.onnx import (  # noqa: E402
    OnnxGraphModule,
    _constants_to_initializers,
    _torchvision_for_import,
    load_onnx,
)
from tests._strategies import examples  # noqa: E402
from tests.models._real import PPOCR, need  # noqa: E402

F32 = np.float32


def graph(nodes, inits, in_shape, *, constants=False):
    """A model of ``nodes`` with input ``x`` and output ``y``; ``constants`` stores the
    weights as Constant nodes (as paddle2onnx does) instead of initializers."""
    if constants:
        nodes = [
            helper.make_node("Constant", [], [k], value=numpy_helper.from_array(v, k))
            for k, v in inits.items()
        ] + list(nodes)
        inits = {}
    g = helper.make_graph(
        nodes,
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


def runtime(model, x: np.ndarray) -> np.ndarray:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def check(model, in_shape, seed: int, atol: float = 2e-5) -> None:
    x = np.random.default_rng(seed).standard_normal(in_shape).astype(F32)
    try:
        expected = runtime(model, x)
    except Exception:  # onnxruntime refuses the geometry too (an empty output, ...)
        return
    ours = OnnxGraphModule(model)
    with torch.no_grad():
        got = ours(torch.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol * max(1.0, np.abs(expected).max()))


@st.composite
def conv_graphs(draw):
    nd = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 2))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    k = [draw(st.integers(1, 4)) for _ in range(nd)]
    s = [draw(st.integers(1, 3)) for _ in range(nd)]
    d = [draw(st.integers(1, 2)) for _ in range(nd)]
    pads = [draw(st.integers(0, k[a] - 1)) for a in range(nd)]
    pads += [draw(st.integers(0, k[a] - 1)) for a in range(nd)]
    n = [draw(st.integers(6, 14)) for _ in range(nd)]
    transposed = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    attrs = {"strides": s, "dilations": d, "pads": pads, "group": groups}
    if transposed:
        attrs["output_padding"] = [draw(st.integers(0, max(s[a], d[a]) - 1)) for a in range(nd)]
        w = rng.standard_normal((cin, cout // groups, *k)).astype(F32)
    else:
        w = rng.standard_normal((cout, cin // groups, *k)).astype(F32)
    b = rng.standard_normal(cout).astype(F32)
    op = "ConvTranspose" if transposed else "Conv"
    node = helper.make_node(op, ["x", "w", "b"], ["y"], name="layer", **attrs)
    constants = draw(st.booleans())
    return graph([node], {"w": w, "b": b}, [2, cin, *n], constants=constants), [2, cin, *n]


@settings(max_examples=examples(40), deadline=None)
@given(conv_graphs(), st.integers(0, 100))
def test_conv_and_transposed_conv_match_onnxruntime(case, seed):
    model, shape = case
    check(model, shape, seed)


@st.composite
def pool_graphs(draw):
    nd = draw(st.integers(1, 2))
    k = [draw(st.integers(1, 4)) for _ in range(nd)]
    s = [draw(st.integers(1, 3)) for _ in range(nd)]
    p = [draw(st.integers(0, (k[a] - 1) // 2)) for a in range(nd)]
    n = [draw(st.integers(5, 13)) for _ in range(nd)]
    op = draw(st.sampled_from(["MaxPool", "AveragePool"]))
    attrs = {"kernel_shape": k, "strides": s, "pads": p + p, "ceil_mode": int(draw(st.booleans()))}
    if op == "AveragePool":
        attrs["count_include_pad"] = int(draw(st.booleans()))
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    return graph([node], {}, [1, 2, *n]), [1, 2, *n]


@settings(max_examples=examples(40), deadline=None)
@given(pool_graphs(), st.integers(0, 100))
def test_pools_match_onnxruntime(case, seed):
    model, shape = case
    check(model, shape, seed)


@settings(max_examples=examples(20), deadline=None)
@given(
    b=st.integers(2, 3),
    c=st.integers(1, 3),
    mode=st.sampled_from(["DCR", "CRD"]),
    fed_by_conv=st.booleans(),
    seed=st.integers(0, 100),
)
def test_depth_to_space_matches_onnxruntime_and_folds_into_its_convolution(
    b, c, mode, fed_by_conv, seed
):
    rng = np.random.default_rng(seed)
    nodes, inits = [], {}
    source = "x"
    if fed_by_conv:
        inits = {"w": rng.standard_normal((c * b * b, 2, 3, 3)).astype(F32),
                 "bias": rng.standard_normal(c * b * b).astype(F32)}  # fmt: skip
        nodes.append(
            helper.make_node("Conv", ["x", "w", "bias"], ["t"], pads=[1, 1, 1, 1], name="conv")
        )
        source = "t"
    nodes.append(
        helper.make_node("DepthToSpace", [source], ["y"], blocksize=b, mode=mode, name="d2s")
    )
    shape = [1, 2 if fed_by_conv else c * b * b, 4, 5]
    model = graph(nodes, inits, shape)
    check(model, shape, seed)
    if fed_by_conv:
        (f,) = audit(OnnxGraphModule(model), shape, measure=False).layers
        assert f.kind == "pixel_shuffle" and f.note.startswith("with layers.conv")  # scored


@pytest.mark.parametrize(
    ("node", "inits", "shape"),
    [
        (helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=2), {}, [1, 3, 6, 8]),
        (
            helper.make_node("Resize", ["x", "", "s"], ["y"], mode="linear"),
            {"s": np.array([1, 1, 2, 2], F32)},
            [1, 2, 5, 7],
        ),
        (
            helper.make_node(
                "Resize",
                ["x", "", "s"],
                ["y"],
                mode="nearest",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
            ),
            {"s": np.array([1, 1, 3, 3], F32)},
            [1, 2, 4, 5],
        ),
    ],
)
def test_space_to_depth_and_resize_match_onnxruntime(node, inits, shape):
    check(graph([node], inits, shape), shape, 0)


def test_unsupported_operators_are_listed_at_once_before_anything_is_built():
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("MatMul", ["x", "x"], ["m"]),
        helper.make_node("Relu", ["m"], ["y"]),
    ]
    with pytest.raises(NotImplementedError, match=r"\['MatMul', 'Shape'\]"):
        OnnxGraphModule(graph(nodes, {}, [1, 1, 4, 4]))


def test_load_onnx_refuses_clearly(tmp_path):
    with pytest.raises(ValueError, match="is not a file"):
        load_onnx(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all")
    with pytest.raises(ValueError, match="ONNX"):
        load_onnx(bad)
    with pytest.raises(ValueError, match="route"):
        load_onnx(bad, route="magic")


def test_ppocr_matches_onnxruntime():
    need(PPOCR)
    from artifact_lab.models.real import load_ppocr, package_file

    path = package_file(*PPOCR)
    x = np.random.default_rng(0).standard_normal((1, 3, 96, 128)).astype(F32)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    expected = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    det = load_ppocr()
    with torch.no_grad():
        got = det(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    kinds = [type(m).__name__ for m in det.modules()]
    assert kinds.count("ConvTranspose2d") == 2 and kinds.count("Upsample") == 6


def test_the_onnx2torch_route_helpers_leave_the_environment_as_it_was():
    model = graph(
        [helper.make_node("Conv", ["x", "w"], ["y"])],
        {"w": np.ones((1, 1, 3, 3), F32)},
        [1, 1, 5, 5],
        constants=True,
    )
    assert _constants_to_initializers(model) == 1
    assert [n.op_type for n in model.graph.node] == ["Conv"]
    assert [i.name for i in model.graph.initializer] == ["w"]
    before = {k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")}
    with _torchvision_for_import() as which:
        import torchvision  # noqa: F401  (the real package, or the stub)

        assert which in ("real", "stub")
    after = {k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")}
    if which == "stub":
        assert after == before == set()


def test_the_onnx2torch_route_matches_onnxruntime_on_ppocr():
    import importlib.util

    if importlib.util.find_spec("onnx2torch") is None:  # importing it needs torchvision
        pytest.skip("optional: pip install --no-deps onnx2torch")
    need(PPOCR)
    from artifact_lab.models.real import load_ppocr, package_file

    x = np.random.default_rng(1).standard_normal((1, 3, 64, 96)).astype(F32)
    sess = ort.InferenceSession(str(package_file(*PPOCR)), providers=["CPUExecutionProvider"])
    expected = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    before = {k for k in sys.modules if k.startswith("torchvision")}
    det = load_ppocr(route="onnx2torch")
    with torch.no_grad():
        np.testing.assert_allclose(det(torch.from_numpy(x)).numpy(), expected, atol=1e-5)
    if "torchvision" not in before:  # the stub it imported through is gone again
        assert not {k for k in sys.modules if k.startswith("torchvision")}
