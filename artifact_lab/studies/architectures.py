"""The zoo's published architectures audited over many random initialisations (notebooks 6
and 7): what the audit finds, what the whole model's output or gradient shows, decided over
seeds.

One random initialisation is one draw: whether a flagged layer's grid shows in the whole
model depends on the weights around it. :func:`zoo_audits` audits every zoo architecture of a
direction at each seed; :func:`architecture_claims` decides, per model, whether the whole
model's measurement confirms the audit's flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._util.checks import check_choice, check_frame, check_seeds

__all__ = ["CONFIRM_LEVEL", "NOISE_LEVEL", "architecture_claims", "zoo_audits"]

#: A constant response whose harmonic fraction is above this confirms a flagged layer.
CONFIRM_LEVEL = 0.01
#: A noise response above this multiple of chance shows the grid at noise input.
NOISE_LEVEL = 2.0


def zoo_audits(
    direction: str = "forward", seeds: Sequence[int] = range(10), *, width: float = 1 / 8
) -> pd.DataFrame:
    """Audit every zoo architecture of ``direction`` at each seed's random weights.

    Returns
    -------
    DataFrame
        One row per model, seed and measured input (forward: ``zero``, ``constant``,
        ``noise``; backward: ``noise``, ``images``): ``operations`` and ``flagged`` (upsampling
        or downsampling operations found and flagged), the measurement ``period``, its
        ``harmonic_fraction``, ``chance`` level (0 where a pattern-free map scores 0),
        ``times_chance`` (NaN where the chance level is 0) and ``peak_db``.

    Examples
    --------
    >>> z = zoo_audits("backward", (0,), width=1 / 16)
    >>> sorted(z.input.unique()), bool((z[z.input == "noise"].times_chance > 0).all())
    (['images', 'noise'], True)
    """
    import numpy as np

    from ..models.audit import audit_zoo
    from ..models.zoo import check_width

    direction = check_choice("direction", direction, ("forward", "backward"))
    seeds = check_seeds("seeds", seeds, scalar=False)
    width = check_width(width)
    rows = []
    for seed in seeds:
        _, results = audit_zoo(direction=direction, width=width, seed=seed)
        for name, res in results.items():
            for r in res.model_scores.itertuples(index=False):
                rows.append(
                    {
                        "model": name,
                        "seed": seed,
                        "input": r.input,
                        "operations": len(res.layers),
                        "flagged": len(res.flagged),
                        "period": "×".join(map(str, sorted(set(r.factor)))),
                        "harmonic_fraction": r.harmonic_fraction,
                        "chance": r.chance,
                        "times_chance": r.harmonic_fraction / r.chance if r.chance else np.nan,
                        "peak_db": r.peak_db,
                    }
                )
    return pd.DataFrame(rows)


def architecture_claims(zoo: pd.DataFrame) -> dict[str, list]:
    """Per model, over the seeds of a forward :func:`zoo_audits` frame.

    Returns
    -------
    dict
        ``"flags"``: a model flagged at every seed: its constant response is above
        :data:`CONFIRM_LEVEL` (the measurement confirms the flags); a model flagged at none:
        its constant response is below it. ``"noise"``: its noise response is above
        :data:`NOISE_LEVEL` × chance (log scale).
    """
    from .claims import claim

    check_frame("zoo", zoo, ("model", "seed", "input", "flagged", "period",
                             "harmonic_fraction", "times_chance"))  # fmt: skip
    out: dict[str, list] = {"flags": [], "noise": []}
    for name, part in zoo.groupby("model", sort=False):
        const = part[part.input == "constant"].sort_values("seed")
        noise = part[part.input == "noise"].sort_values("seed")
        if const.empty or noise.empty:
            continue
        flagged = const.flagged.to_numpy()
        if (flagged > 0).all():
            out["flags"].append(
                claim(
                    f"06-confirmed-{name}",
                    f"the constant response of {name} confirms its flags: harmonic fraction "
                    f"above {CONFIRM_LEVEL:g}",
                    const.harmonic_fraction.to_numpy(),
                    statistic="harmonic fraction of y(1) - y(0)",
                    threshold=CONFIRM_LEVEL,
                )
            )
        elif (flagged == 0).all():
            out["flags"].append(
                claim(
                    f"06-clean-{name}",
                    f"the constant response of {name}, flagged nowhere, is below {CONFIRM_LEVEL:g}",
                    const.harmonic_fraction.to_numpy(),
                    statistic="harmonic fraction of y(1) - y(0)",
                    rule="below",
                    threshold=CONFIRM_LEVEL,
                )
            )
        out["noise"].append(
            claim(
                f"06-noise-{name}",
                f"the noise response of {name} is above {NOISE_LEVEL:g}× chance at its "
                f"period {noise.period.iloc[0]}",
                noise.times_chance.to_numpy(),
                statistic="harmonic fraction of y(noise) - y(0) / chance",
                threshold=NOISE_LEVEL,
                scale="log",
            )
        )
    return out
