"""reports/explorer.html: its embedded data and, in headless Chromium, the numbers it shows.

The page is generated once by the library. Without a browser, its data are checked against
the library's functions. In Chromium (Debian's ``chromium`` driven by Playwright, network
off) the controls are set through the page, and the numbers it shows (overlap counts, phase
gains, scores, the size formula, the output it draws, the painted overlap at every step) are
compared with the library's for random configurations over the whole grid, every padding
and output padding torch accepts included: that checks the few things the page derives
from the padding-0 data (crop, size, phase roll, footprints).

Run just this file with ``python -m pytest tests/test_explorer_browser.py``; it is skipped,
saying why, where Chromium or Playwright is missing (``ARTIFACT_LAB_CHROMIUM`` points it at
another Chromium binary).
"""

import io
import json
import os
import random
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import artifact_lab as al
from artifact_lab.explorer.page import GRID, write_explorer
from artifact_lab.explorer.state import _signal
from artifact_lab.kernels import make_kernel
from artifact_lab.sweep import naive_sweep

CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    start = time.process_time()  # CPU seconds: other jobs on the machine do not count
    write_explorer(path)
    return path, time.process_time() - start


def _data(path: Path) -> dict:
    text = path.read_text("utf-8")
    blob = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(blob.group(1).replace("<\\/", "</"))


def _kernel(family, k, s, nd, seed):
    return make_kernel(family, None if family in ("bilinear", "hold") else k, s, ndim=nd, seed=seed)


def _configs(count: int, seed: int) -> list[dict]:
    """Random configurations over the page's grid, every padding torch accepts included."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        nd = rng.choice([1, 2])
        family = rng.choice(GRID["families"])
        s, d = rng.choice(GRID["strides"]), rng.choice(GRID["dilations"])
        k = _kernel(family, rng.choice(GRID["kernel_sizes"]), s, 1, 0).shape[0]
        if k not in GRID["kernel_sizes"]:
            continue
        n = GRID["input_size"][nd]
        op = rng.randrange(max(s, d))
        pmax = (al.output_size(n, k, s, 0, op, d) - 1) // 2
        p = rng.choice([0, pmax, rng.randint(0, pmax)])
        seed_ = rng.choice(GRID["seeds"]) if family == "default" else GRID["seeds"][0]
        kind = rng.choice(GRID["inputs"])
        out.append(dict(nd=nd, family=family, k=k, s=s, d=d, op=op, p=p, seed=seed_, input=kind))
    return out


def test_page_is_one_small_offline_file_generated_quickly(page_file):
    path, seconds = page_file
    text = path.read_text("utf-8")
    size = path.stat().st_size
    assert size < 5e6
    stated = re.search(r"File size: ([0-9.]+) MB", text)
    assert stated and float(stated.group(1)) == pytest.approx(size / 1e6, abs=0.006)
    # nothing to fetch: no external scripts, styles, images, fonts or frames
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:|//)|<link|<iframe", text, re.I)
    assert seconds < 15  # the budget: 15 s on 2 cores


def test_embedded_data_are_the_librarys(page_file):
    data = _data(page_file[0])
    for cfg in _configs(40, seed=1):
        nd, k, s, d, fam, seed = (cfg[x] for x in ("nd", "k", "s", "d", "family", "seed"))
        n = data["n"][str(nd)]
        geo = data["geo"][str(nd)][f"{k},{s},{d}"]
        assert geo[0] == al.overlap_map(n, k, s, 0, 0, d).tolist()
        inside = np.flatnonzero(al.interior_mask(n, k, s, 0, 0, d))
        assert geo[1:3] == ([inside[0], inside[-1]] if len(inside) else [None, None])
        kern = _kernel(fam, k, s, nd, seed)
        entry = data["ker"][str(nd)][f"{fam},{k},{s},{d},{seed}"]
        np.testing.assert_allclose(entry["g"], al.phase_gains(kern, s, d).ravel(), rtol=1e-5)
        assert entry["cb"] == pytest.approx(al.checkerboard_score(kern, s, d), abs=1e-6)
        assert entry["ncb"] == pytest.approx(al.noise_checkerboard(kern, s, d), rel=1e-5)
        assert entry["oc"] == pytest.approx(al.overlap_contrast((k,) * nd, s, d), rel=1e-5)
        assert entry["holes"] == al.has_holes(k, s, d)


def test_the_report_writes_the_explorer_and_links_it(page_file, tmp_path, monkeypatch):
    import nbformat

    from artifact_lab.explorer import page as explorer_page
    from artifact_lab.report import build_report

    src = tmp_path / "nb"
    src.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nb, src / "01_tiny.ipynb")
    written = []

    def write(path):  # the page built above stands in for a second, identical build
        written.append(Path(path))
        shutil.copyfile(page_file[0], path)
        return Path(path)

    monkeypatch.setattr(explorer_page, "write_explorer", write)
    build_report(src, tmp_path / "out", pdf=False, progress=lambda line: None)
    # written into the report's build folder, then moved in with the rest of the report
    assert [p.name for p in written] == ["explorer.html"]
    assert (tmp_path / "out" / "explorer.html").read_bytes() == Path(page_file[0]).read_bytes()
    assert "href='explorer.html'" in (tmp_path / "out" / "index.html").read_text()


# ---- the browser --------------------------------------------------------------------------


def _chromium() -> str | None:
    for candidate in (os.environ.get("ARTIFACT_LAB_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):  # fmt: skip
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser_page(page_file):
    exe = _chromium()
    if exe is None:
        pytest.skip(
            "no Chromium installed: install Debian's chromium (apt-get install chromium) "
            "or set ARTIFACT_LAB_CHROMIUM to a Chromium binary to run the browser test"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is missing: pip install playwright"
    )
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=FLAGS)
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        requests, problems = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(page_file[0].as_uri())
        page.wait_for_function("window.explorerReady === true", timeout=30_000)
        yield page, requests, problems
        browser.close()


SET = """(cfg) => {
  // as a reader would: the layer first, then output padding and padding (whose ranges
  // depend on it), then the paint step; each change fires the page's input event
  const $ = (id) => document.getElementById(id);
  const fire = (e) => e.dispatchEvent(new Event("input", {bubbles: true}));
  $("nd" + cfg.nd).checked = true;
  for (const id of ["family", "seed", "input", "s", "d", "k"]) $(id).value = String(cfg[id]);
  fire($("family"));
  for (const id of ["op", "p", "step"]) {
    if (id in cfg) { $(id).value = String(cfg[id] === null ? $(id).max : cfg[id]); fire($(id)); }
  }
}"""

READ = """() => {
  const $ = (id) => document.getElementById(id), v = window.explorerView;
  const all = (sel) => Array.from(document.querySelectorAll(sel));
  return {
    controls: Object.fromEntries(["k", "s", "d", "op", "p", "step", "family", "seed", "input"]
      .map((id) => [id, $(id).value]).concat([["nd", $("nd1").checked ? 1 : 2]])),
    counts: all("#overlap text.cnt").map((t) => [+t.dataset.i, +t.textContent]),
    gains: all("#gains td.g").map((t) => [+t.dataset.i, t.textContent]),
    scores: Object.fromEntries(all("#scores td[data-key]").map((t) => [t.dataset.key,
                                                                     t.textContent])),
    formula: Object.fromEntries(all("#formula [data-t]").map((t) => [t.dataset.t,
                                                                   t.textContent])),
    shape: v.shape, interior: v.interior, output: Array.from(v.output),
    quant: v.entry.out[["constant", "noise"].indexOf($("input").value)].slice(0, 2),
    step: v.step, pixels: v.pixels, notes: $("notes").textContent,
  };
}"""


def _shown(text: str) -> float:
    return float("nan") if text == "n/a" else float(text.replace("−", "-"))


def _check_against_library(cfg: dict, shown: dict) -> None:
    nd, k, s, d, p, op = (cfg[x] for x in ("nd", "k", "s", "d", "p", "op"))
    n = GRID["input_size"][nd]
    c = shown["controls"]
    assert (c["nd"], int(c["k"]), int(c["s"]), int(c["d"])) == (nd, k, s, d), cfg
    assert (int(c["op"]), int(c["p"]), c["family"]) == (op, p, cfg["family"]), cfg
    geom = ((n,) * nd, k, s, p, op, d)
    # the overlap map: every count written on the page
    counts = dict(shown["counts"])
    expected = al.overlap_map(*geom).ravel()
    assert [counts[i] for i in range(len(expected))] == expected.tolist(), cfg
    assert shown["interior"] == al.interior_mask(*geom).ravel().tolist(), cfg
    # the size formula, term by term
    terms = al.output_size_terms(n, k, s, p, op, d)[0]
    names = ("n", "k", "s", "p", "op", "d", "stretch", "crop", "reach", "extra", "size")
    shown_terms = {t: int(_shown(v)) for t, v in shown["formula"].items()}
    assert shown_terms == {t: terms[t] for t in names}, cfg
    assert tuple(shown["shape"]) == (terms["size"],) * nd
    # phase gains (4 decimals shown) and scores, at this padding
    kern = _kernel(cfg["family"], k, s, nd, cfg["seed"])
    gains = al.phase_gains(kern, s, d, p).ravel()
    got = np.array([_shown(t) for _, t in sorted(shown["gains"])])
    np.testing.assert_allclose(got, gains, atol=5.1e-5 + 1e-5 * np.abs(gains).max(), rtol=0)
    sc = {key: _shown(v) if key != "holes" else v for key, v in shown["scores"].items()}
    assert sc["cb"] == pytest.approx(al.checkerboard_score(kern, s, d, p), abs=5.1e-5)
    assert sc["ncb"] == pytest.approx(al.noise_checkerboard(kern, s, d, p), abs=5.1e-5)
    assert sc["oc"] == pytest.approx(al.overlap_contrast((k,) * nd, s, d, p), abs=5.1e-5)
    assert sc["holes"] == ("yes" if al.has_holes(k, s, d) else "no")
    # the measured scores, against the naive sweep (one full FFT each) at this very padding,
    # or at padding 0 where this padding crops the interior (the page says so)
    measured = al.interior_mask(GRID["measure_size"], k, s, 0, 0, d).any()
    cut = p > (k - 1) * d and measured
    assert ("crops part of the interior" in shown["notes"]) == cut, cfg
    ref = naive_sweep(
        kernel_sizes=[k], strides=[s], paddings=[0 if cut else p],
        output_paddings=[0 if cut else op], dilations=[d],
        ndim=nd, kernels=[cfg["family"]], seeds=[cfg["seed"]], batch=GRID["measure_batch"],
        input_size=GRID["measure_size"], dtype="float64",  # exact, as the sweep's moments
    ).set_index("input")  # fmt: skip
    for kind in GRID["inputs"]:
        frac, db = ref.loc[kind, "harmonic_fraction"], ref.loc[kind, "peak_db"]
        assert np.isnan(frac) == np.isnan(sc[f"hf-{kind}"]), (cfg, kind)
        if not np.isnan(frac):
            assert sc[f"hf-{kind}"] == pytest.approx(frac, abs=6e-5), (cfg, kind)
            assert sc[f"db-{kind}"] == pytest.approx(db, abs=0.02), (cfg, kind)
    # the output drawn: torch's conv_transpose with the real padding, to the 8-bit step
    x = torch.as_tensor(_signal(cfg["input"], n, nd))[None, None]
    w = torch.as_tensor(kern)[None, None]
    y = CONV_T[nd](x, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0].numpy()
    lo, hi = shown["quant"]
    np.testing.assert_allclose(shown["output"], y.ravel(), atol=(hi - lo) / 510 + 1e-6, rtol=0)


def test_numbers_shown_match_the_library_for_random_configurations(browser_page):
    page, _, problems = browser_page
    configs = [*_configs(60, seed=0),  # and the edges of the grid
        dict(nd=2, family="ones", k=12, s=6, d=3, op=5, p=(al.output_size(6, 12, 6, 0, 5, 3) - 1)
             // 2, seed=0, input="noise"),
        dict(nd=1, family="ones", k=1, s=1, d=1, op=0, p=0, seed=0, input="constant"),
        dict(nd=2, family="hold", k=6, s=6, d=3, op=2, p=0, seed=0, input="constant"),
    ]  # fmt: skip
    for cfg in configs:
        page.evaluate(SET, {**cfg, "step": None})
        _check_against_library(cfg, page.evaluate(READ))
    assert not problems


def test_painting_one_input_pixel_at_a_time_matches_torch(browser_page):
    """At step t the map counts the pairs from the first t input pixels (row-major)."""
    page, _, problems = browser_page
    rng = random.Random(2)
    for cfg in _configs(16, seed=3):
        nd, k, s, d, p, op = (cfg[x] for x in ("nd", "k", "s", "d", "p", "op"))
        n = GRID["input_size"][nd]
        t = rng.randrange(n**nd)
        page.evaluate(SET, {**cfg, "step": t})
        shown = page.evaluate(READ)
        assert shown["step"] == t
        mask = (np.arange(n**nd) < t).reshape((n,) * nd).astype(np.float64)
        ones = torch.ones((1, 1) + (k,) * nd, dtype=torch.float64)
        y = CONV_T[nd](torch.as_tensor(mask)[None, None], ones, stride=s, padding=p,
                       output_padding=op, dilation=d)[0, 0]  # fmt: skip
        counts = dict(shown["counts"])
        assert [counts[i] for i in range(y.numel())] == y.round().int().ravel().tolist(), (cfg, t)
    assert not problems


def test_screenshot_is_not_blank_and_nothing_was_fetched(browser_page):
    from matplotlib.image import imread

    page, requests, problems = browser_page
    page.evaluate(SET, dict(nd=2, family="default", seed=1, input="noise", s=2, d=1, k=3, op=0,
                            p=1, step=None))  # fmt: skip
    for target in (page, page.locator("#overlap"), page.locator("#output")):
        png = target.screenshot()
        img = imread(io.BytesIO(png))[..., :3]
        colours = np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0)
        assert img.std() > 0.05 and len(colours) > 20, target
    assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
    assert not problems
