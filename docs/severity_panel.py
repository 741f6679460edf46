"""Build the evidence behind the severity bands: a period-2 pattern added at known strengths
to two real pictures (a photograph and a scanned page), shown in 8 bits at 1:1.

Run from the repository root: ``.venv/bin/python docs/severity_panel.py``. It writes
``docs/severity_panel.png`` and prints the table quoted in ``docs/severity.md``: for each
strength ``h`` (the pattern's share of the picture's power), the pattern's RMS in grey
levels, ``h`` as :func:`artifact_lab.models.severity.period_table` measures it on the
8-bit picture, and the band it gets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data

from artifact_lab.models.severity import band, period_table

STRENGTHS = (3e-5, 1e-4, 2e-4, 4e-4, 1.6e-3, 6.4e-3, 2.5e-2)
TILE = 128  # pixels of each picture shown, at 1:1


def with_pattern(img: np.ndarray, h: float, seed: int = 0) -> tuple[np.ndarray, float]:
    """``img`` (floats in [0, 1]) plus a fixed zero-mean period-2 pattern whose power is the
    fraction ``h`` of the sum, rounded to 8 bits; and the pattern's RMS in grey levels."""
    tile = np.random.default_rng(seed).standard_normal((2, 2))
    tile -= tile.mean()
    pattern = np.tile(tile, (img.shape[0] // 2, img.shape[1] // 2))
    power = (img**2).mean()
    scale = np.sqrt(h / (1 - h) * power / (pattern**2).mean())
    shown = np.round(np.clip(img + scale * pattern, 0, 1) * 255) / 255
    return shown, float(scale * np.sqrt((pattern**2).mean()) * 255)


def main() -> None:
    pictures = {"photograph (camera)": data.camera() / 255.0, "scanned page": data.page() / 255.0}
    rows, strips = [], []
    for label, img in pictures.items():
        img = img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]
        strip = []
        for h in STRENGTHS:
            shown, rms = with_pattern(img, h)
            measured = period_table(shown[None, None], [(2, 2)], random=False).iloc[0]
            rows.append((label, h, rms, measured.h, band(h)))
            y0, x0 = (40, 200) if label.startswith("photo") else (20, 40)
            strip.append(shown[y0 : y0 + TILE, x0 : x0 + TILE])
        strips.append((label, strip))
    gap, top = 6, 28
    canvas = Image.new("L", (len(STRENGTHS) * (TILE + gap), len(strips) * (TILE + top + gap)), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=11)
    for i, (_, strip) in enumerate(strips):
        for j, t in enumerate(strip):
            x, y = j * (TILE + gap), i * (TILE + top + gap)
            draw.text((x + 2, y + 1), f"h = {STRENGTHS[j]:.1e}", fill=0, font=font)
            draw.text((x + 2, y + 14), band(STRENGTHS[j]), fill=0, font=font)
            canvas.paste(Image.fromarray(np.round(t * 255).astype(np.uint8)), (x, y + top))
    out = Path(__file__).with_name("severity_panel.png")
    canvas.save(out)
    print(f"wrote {out}")
    print("| picture | h added | pattern RMS (grey levels) | h measured (8-bit) | band |")
    print("| --- | --- | --- | --- | --- |")
    for picture, h, rms, measured, name in rows:
        print(f"| {picture} | {h:.1e} | {rms:.2f} | {measured:.2e} | {name} |")


if __name__ == "__main__":
    main()
