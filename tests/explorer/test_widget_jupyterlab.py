"""The widget in a real JupyterLab, driven in headless Chromium (slow: starts a server).

A notebook that calls ``al.explore()`` is run in JupyterLab; then the keyboard drives the
widget as a user would: arrows and End on its sliders (End after a range grew), and the time
from a key press to the painted frame through the kernel is measured at the widget's largest
setting and at its default (median and max printed). Run with
``python -m pytest tests/explorer/test_widget_jupyterlab.py -m slow -s``.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import artifact_lab as al
from tests.explorer.test_page_browser import FLAGS, _chromium

pytestmark = pytest.mark.slow

UI = "document.querySelector('.ex-root').parentElement.explorer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    import nbformat

    folder = tmp_path_factory.mktemp("lab")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import artifact_lab as al\napp = al.explore()\napp")]
    nbformat.write(nb, folder / "explore.ipynb")
    port = _free_port()
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("jupyter is not installed beside this Python")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", f"--port={port}", "--allow-root",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={folder}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, JUPYTER_CONFIG_DIR=str(folder / "config")),
    )  # fmt: skip
    try:
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=exe, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            problems = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            for _ in range(60):  # the server takes a few seconds to listen
                try:
                    page.goto(f"http://127.0.0.1:{port}/lab/tree/explore.ipynb")
                    break
                except Exception:
                    time.sleep(1)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_timeout(3000)
            for _ in range(3):  # kernel choice or other first-run dialogs
                dialog = page.locator(".jp-Dialog")
                if dialog.count():
                    dialog.locator("button.jp-mod-accept").first.click()
                    page.wait_for_timeout(1500)
            page.locator(".jp-Cell .jp-InputArea-editor").first.click()
            page.keyboard.press("Shift+Enter")
            page.wait_for_selector(".ex-root canvas", timeout=120_000)
            page.wait_for_function(f"{UI} && {UI}.view", timeout=60_000)
            yield page, problems
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder / "config", ignore_errors=True)


def _press(page, name, keys, pause=0.15):
    page.locator(f".ex-root [data-c={name}]:not(fieldset)").focus()
    for key in keys:
        before = page.evaluate(f"{UI}.timings.length")
        page.keyboard.press(key)
        try:
            page.wait_for_function(
                f"(t => t.length > {before} && t.at(-1).frame !== null)({UI}.timings)",
                timeout=20_000,
            )
        except Exception:  # a key that changes nothing (a slider at its end) draws nothing
            pass
        page.wait_for_timeout(pause * 1000)


def _timings(page):
    t = page.evaluate(f"{UI}.timings.filter((r) => r.event !== null && r.frame !== null)")
    return np.array([r["frame"] - r["event"] for r in t])


def test_keys_reach_the_widget_and_end_follows_a_grown_range(lab):
    page, problems = lab
    _press(page, "kernel_size", ["Home"])
    _press(page, "padding", ["End"])
    small = page.evaluate(f"{UI}.view.terms[0].p")
    _press(page, "kernel_size", ["End"])  # k = 12: the padding's range grows
    _press(page, "padding", ["End"])
    view = page.evaluate(f"{UI}.view")
    assert view["k"] == 12 and view["terms"][0]["p"] > small
    assert view["terms"][0]["p"] == (al.output_size(view["n"], 12, 2, 0, 0, 1) - 1) // 2
    _press(page, "kernel_size", ["Home"])  # the padding must move: said on screen
    assert page.locator(".ex-root .ex-clamp").is_visible()
    assert "padding p went from" in page.locator(".ex-root .ex-clamp").text_content()
    assert not problems


def test_time_from_a_key_to_the_painted_frame(lab):
    """Median and max printed, through the kernel, at the default and the largest setting."""
    page, problems = lab
    _press(page, "padding", ["Home"])
    _press(page, "kernel_size", ["Home", "ArrowRight", "ArrowRight"])  # k = 3, the default
    page.evaluate(f"{UI}.timings.length = 0")
    _press(page, "kernel_size", ["ArrowRight", "ArrowLeft"] * 5)
    small, small_L = _timings(page), page.evaluate(f"{UI}.view.L")
    for name, key, times in (("padding", "Home", 1), ("input_size", "End", 1), ("stride", "End", 1),
                             ("dilation", "End", 1), ("kernel_size", "End", 1),
                             ("output_padding", "End", 1)):  # fmt: skip
        _press(page, name, [key] * times, pause=0.5)
    assert page.evaluate(f"{UI}.view.L") == 428
    page.evaluate(f"{UI}.timings.length = 0")
    _press(page, "kernel_size", ["ArrowLeft", "ArrowRight"] * 5, pause=0.3)
    large = _timings(page)
    print(f"\nJupyterLab widget, key to painted frame through the kernel: default setting "
          f"({small_L}x{small_L}) median {np.median(small):.0f} ms, max "
          f"{small.max():.0f} ms; 428x428: median {np.median(large):.0f} ms, max "
          f"{large.max():.0f} ms")  # fmt: skip
    assert len(small) >= 8 and len(large) >= 8
    assert np.median(small) < 2000  # seconds before; the goal is 150 ms
    assert not problems
