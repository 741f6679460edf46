"""``artifact-lab audit``: zoo names with their own input shape, fractions for --width, your
own modules found in the current folder (and a clear, early message when they are not),
factory arguments, output selection, ONNX files, and an HTML report in the report's style."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from artifact_lab.cli import main


def run(args, capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_zoo_name_uses_the_zoos_input_shape_and_width_takes_a_fraction(capsys):
    code, out, err = run(["audit", "dcgan", "--width", "1/8", "--no-measure"], capsys)
    assert code == 0 and err == ""
    assert out.startswith("dcgan: input (1, 100, 1, 1) -> output (1, 3, 64, 64)")
    code, _, err = run(["audit", "dcgan", "--width", "1/0"], capsys)
    assert code == 2 and err.count("\n") == 1 and "fraction like '1/8'" in err


def test_your_package_in_the_current_folder_is_found(tmp_path, monkeypatch, capsys):
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(
        textwrap.dedent(
            """
            import torch.nn as nn

            class Pair(nn.Module):
                def __init__(self, k=3):
                    super().__init__()
                    self.up = nn.ConvTranspose2d(2, 2, k, 2)
                    self.head = nn.Conv2d(2, 1, 1)

                def forward(self, x):
                    y = self.up(x)
                    return self.head(y), y.mean()

            def build(k=3):
                return Pair(k)
            """
        )
    )
    monkeypatch.chdir(tmp_path)
    common = ["--input-shape", "1,2,8,8", "--no-measure"]
    code, out, err = run(["audit", "mypkg.nets:build", *common, "--output-index", "0"], capsys)
    assert code == 0 and "FLAG up" in out and "audited: element 0" in out, err
    args = ["audit", "mypkg.nets:build", *common, "--output-module", "up"]
    code, out, _ = run([*args, "--factory-args", '{"k": 4}'], capsys)
    assert code == 0 and "transposed k4/s2" in out and "the output of 'up'" in out
    code, _, err = run(["audit", "mypkg.nets:build", *common], capsys)
    assert code == 2 and "--output-index" in err and err.count("\n") == 1
    code, _, err = run([*args, "--factory-args", "{k: 4}"], capsys)
    assert code == 2 and "not valid JSON" in err


def test_a_missing_module_is_said_at_once_before_torch_is_imported(tmp_path):
    script = (
        "import sys\n"
        "from artifact_lab.cli import main\n"
        "code = main(['audit', 'nosuchpkg_xyz.models:build', '--input-shape', '1,1,8,8'])\n"
        "print(code, 'torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["2", "False"], done
    assert "no module named 'nosuchpkg_xyz'" in done.stderr and done.stderr.count("\n") == 1


def test_an_onnx_file_is_audited_in_one_command(tmp_path, capsys):
    onnx = pytest.importorskip("onnx", reason="pip install 'artifact_lab[onnx]'")
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).standard_normal((2, 1, 3, 3)).astype(np.float32)
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], name="up")
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 17, 17])],
        [numpy_helper.from_array(w, "w")],
    )
    path = tmp_path / "up.onnx"
    onnx.save(helper.make_model(graph), str(path))
    code, out, err = run(["audit", str(path)], capsys)  # the file fixes the input shape
    assert code == 0 and "FLAG layers.up [transposed k3/s2" in out, err
    code, _, err = run(["audit", str(path), "--checkpoint", "w.pt"], capsys)
    assert code == 2 and "holds its weights" in err


def test_the_html_report_has_the_reports_table_style(tmp_path, capsys):
    html = tmp_path / "audit.html"
    code, _, err = run(["audit", "pix2pixhd", "--width", "1/8", "--html", str(html)], capsys)
    assert code == 0, err
    page = html.read_text()
    assert page.count("<table class='al-table'>") >= 3 and "table.al-table" in page
    body = re.sub(r"<style>.*?</style>|src=\"data:[^\"]*\"", "", page, flags=re.S)
    assert "None" not in body and "nan" not in body.lower()
    assert not re.search(r"\d\.\d{6,}", body)  # no unformatted floats like 114.720875
    assert (
        "<th class='num'></th>" not in body
        and "<td class='num'>0</td><td" not in body.split("<tbody>")[1][:40]
    )  # no 0-based index column
    code, _, err = run(["audit", "pix2pixhd", "--html", str(tmp_path)], capsys)
    assert code == 2 and "is a folder" in err
