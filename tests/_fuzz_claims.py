"""Fuzz rows for the claims (studies.claims, viz.claims)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from artifact_lab.studies import claims
from artifact_lab.viz import claims as claims_viz
from artifact_lab.viz import tables
from tests._fuzz import BAD_ARRAY, NOT_STR, Row, bad_name, ints, reals


def _claims():
    return [claims.claim("a", "x is positive", [1.0, 1.2, 0.9], statistic="x")]


BAD_CLAIMS = st.sampled_from([None, "claims", 5, [None], [{"id": "a"}], claims.claim])

CLAIM_ROWS: list[Row] = [
    Row(
        tables.significant_decimals,
        lambda: dict(values=np.array([0.5, 0.01]), digits=3),
        # NaN and inf are valid values here (they do not count): only non-numbers are bad
        dict(
            values=st.sampled_from([None, "x", [[1, 2], [3]], np.array([1j]), {"a": 1}]),
            digits=ints(1),
        ),
    ),
    Row(
        claims.claim,
        dict(
            id="a",
            statement="x is positive",
            values=[1.0, 1.2],
            statistic="x",
            rule="above",
            threshold=0.0,
            margin=0.0,
            minus=None,
        ),
        dict(
            id=st.one_of(NOT_STR, st.just("")),
            statement=st.one_of(NOT_STR, st.just("")),
            values=BAD_ARRAY,
            statistic=st.one_of(NOT_STR, st.just("")),
            rule=bad_name(tuple(claims.RULES)),
            threshold=reals(none_ok=False),
            margin=st.one_of(reals(none_ok=False), st.floats(-5, -0.1)),
            minus=st.one_of(BAD_ARRAY, st.just([1.0, 2.0, 3.0])),
        ),
    ),
    Row(claims.claims_frame, lambda: dict(claims=_claims()), dict(claims=BAD_CLAIMS)),
    Row(claims_viz.claims_texts, lambda: dict(claims=_claims()), dict(claims=BAD_CLAIMS)),
    Row(
        claims_viz.claims_table,
        lambda: dict(claims=_claims(), caption=None),
        dict(claims=BAD_CLAIMS, caption=st.sampled_from([5, b"x", ["c"]])),
    ),
    Row(
        claims_viz.claim_sentence,
        lambda: dict(claims=_claims(), id="a"),
        dict(claims=BAD_CLAIMS, id=st.one_of(NOT_STR, st.just(""), st.just("missing"))),
    ),
    Row(
        claims_viz.claim_sentences,
        lambda: dict(claims=_claims(), ids=None),
        dict(claims=BAD_CLAIMS, ids=st.sampled_from([5, ["a", 5], ["missing"], [None]])),
    ),
]
