"""The rating scale: declared (argument or ``# rating_scale:`` line), else inferred from usual conventions.

Inference rule: the narrowest of :data:`CONVENTIONS` that holds every rating. A rating far outside the
scale that holds all the others (more than that scale's width away, and at most 1 % of the ratings) is an
*outlier*: it is reported with its line and value (``outliers="error"``, the default) or dropped and
listed in the report (``outliers="drop"``), never absorbed into a 1-99 scale. When no convention fits,
the scale is the observed min..max, and the report says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..messages import and_more
from .errors import DataFormatError

__all__ = ["CONVENTIONS", "ScaleChoice", "declared_scale", "settle_scale"]

#: (low, high, name) of the scales rating data usually comes in.
CONVENTIONS: tuple[tuple[float, float, str], ...] = (
    (0.0, 1.0, "0 to 1"),
    (1.0, 5.0, "1 to 5 (stars)"),
    (0.5, 5.0, "0.5 to 5 (half stars)"),
    (0.0, 5.0, "0 to 5"),
    (1.0, 7.0, "1 to 7"),
    (1.0, 10.0, "1 to 10"),
    (0.0, 10.0, "0 to 10"),
    (-10.0, 10.0, "-10 to 10"),
    (1.0, 100.0, "1 to 100"),
    (0.0, 100.0, "0 to 100"),
)
_OUTLIER_SHARE = 0.01

#: where(entries) -> (line, column, label) of the first of some rating positions, for messages.
Locate = Callable[[np.ndarray], tuple[int | None, str | None, str]]


@dataclass(frozen=True)
class ScaleChoice:
    """The scale, whether it counts as declared, why it was chosen, and which ratings to drop."""

    scale: tuple[float, float]
    given: bool
    origin: str
    keep: np.ndarray | None = None  # None: keep every rating
    dropped: tuple[str, ...] = ()  # "line 12: 99" for each dropped outlier (first few)
    n_dropped: int = 0


def _parse(value: object) -> tuple[float, float] | None:
    try:
        lo, hi = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) and lo <= hi else None


def declared_scale(
    rating_scale: tuple[float, float] | None, meta: dict[str, tuple[str, int]], name: str
) -> tuple[tuple[float, float], str] | None:
    """The scale set by the caller (wins) or by a ``# rating_scale: lo,hi`` line, with where it came from."""
    if rating_scale is not None:
        scale = _parse(rating_scale)
        if scale is None:
            raise ValueError(
                f"rating_scale must be two finite numbers (min, max) with min <= max, got {rating_scale!r}"
            )
        return scale, "set when reading"
    if "rating_scale" not in meta:
        return None
    value, line = meta["rating_scale"]
    scale = _parse([p for p in re.split(r"[,;\s]+", value) if p])
    if scale is None:
        raise DataFormatError(
            f"'# rating_scale: {value}' should be two numbers min,max such as '# rating_scale: 1,5'",
            source=name,
            line=line,
            value=value,
        )
    return scale, f"declared in the file (line {line})"


def _kind(values: np.ndarray) -> str:
    if np.all(values == np.round(values)):
        return "whole numbers"
    if np.all(values * 2 == np.round(values * 2)):
        return "half steps"
    return "decimals"


def settle_scale(
    values: np.ndarray,
    declared: tuple[tuple[float, float], str] | None,
    outliers: str,
    locate: Locate,
    name: str,
) -> ScaleChoice:
    """The scale of ``values`` by the rule in the module notes; raises for out-of-scale or outlying ratings."""
    if declared is not None:
        (lo, hi), origin = declared
        bad = np.flatnonzero((values < lo) | (values > hi))
        if len(bad):
            line, column, label = locate(bad[:1])
            more = f" ({len(bad)} ratings are outside it)" if len(bad) > 1 else ""
            at = f" at {label}" if label and line is None else ""
            raise DataFormatError(
                f"rating {values[bad[0]]:g}{at} is outside the declared scale {lo:g} to {hi:g}{more}",
                source=name,
                line=line,
                column=column,
                value=float(values[bad[0]]),
            )
        return ScaleChoice((lo, hi), True, origin)
    if len(values) == 0:
        return ScaleChoice((0.0, 1.0), False, "no ratings")
    kind = _kind(values)
    by_width = sorted(CONVENTIONS, key=lambda c: c[1] - c[0])
    allowed = int(len(values) * _OUTLIER_SHARE)
    for lo, hi, label in by_width:
        width = hi - lo
        outside = (values < lo) | (values > hi)
        n_out = int(outside.sum())
        if n_out == 0:
            return ScaleChoice((lo, hi), False, f"inferred: the ratings are {kind} within the usual scale {label}")
        far = (values < lo - width) | (values > hi + width)
        if 0 < n_out <= allowed and np.array_equal(outside, far):
            bad = np.flatnonzero(outside)
            places = []
            for k in bad[:3]:
                line, column, label_text = locate(np.array([k]))
                at = f"line {line}" if line is not None else (label_text or f"entry {k + 1}")
                places.append(f"{at}: {values[k]:g}")
            listing = and_more(places, n_out, "; ")
            if outliers == "drop":
                return ScaleChoice(
                    (lo, hi),
                    False,
                    f"inferred: the ratings are {kind} within the usual scale {label}, but for {n_out} far outlier(s)",
                    keep=~outside,
                    dropped=tuple(places),
                    n_dropped=n_out,
                )
            line, column, _ = locate(bad[:1])
            raise DataFormatError(
                f"{n_out} rating(s) lie far outside the scale {label} that holds all the others ({listing}); "
                f"fix them, drop them (outliers='drop'), or set the scale (rating_scale=(min, max))",
                source=name,
                line=line,
                column=column,
                value=float(values[bad[0]]),
            )
    lo, hi = float(values.min()), float(values.max())
    return ScaleChoice((lo, hi), False, f"observed: the ratings run from {lo:g} to {hi:g}, which no usual scale holds")
