"""Writing ratings and predictions as CSV that :func:`cf_core.io.load_ratings` reads back exactly.

Metadata that a CSV cannot hold goes in leading ``# key: value`` lines: ``# rating_scale: 0,5`` (only
when the scale was declared, so ``scale_given`` survives) and ``# item_labels: int`` /
``# user_labels: int`` (integer labels come back as integers).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from ..estimator import check_fitted
from ..ratings import Ratings
from .limits import MAX_RATINGS, MAX_WIDE_CELLS

__all__ = ["save_ratings", "save_predictions", "label_strings", "write"]


def write(content: bytes, dest: str | os.PathLike | IO[bytes] | None) -> bytes | None:
    if dest is None:
        return content
    if isinstance(dest, (str, os.PathLike)):
        Path(dest).write_bytes(content)
    else:
        dest.write(content)
    return None


def label_strings(index: pd.Index, kind: str) -> tuple[list[str], bool]:
    """Labels as CSV text, and whether they are integers (marked so they come back as integers)."""
    is_int = pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype)
    texts = [str(v) for v in index]
    for t in texts:
        if t == "" or "\x00" in t:
            raise ValueError(f"{kind} label {t!r} cannot be written to CSV: empty or NUL labels read back differently")
    if len(set(texts)) != len(texts):
        seen: set[str] = set()
        dup = next(t for t in texts if t in seen or seen.add(t))
        raise ValueError(f"two {kind} labels are both written as {dup!r}; make the labels distinct as text")
    return texts, is_int


def _newline(*label_lists: list[str]) -> str:
    """LF line ends, or CRLF when a label holds a carriage return: the csv writer quotes only line-end characters."""
    return "\r\n" if any("\r" in t for labels in label_lists for t in labels) else "\n"


def _number_strings(values: np.ndarray) -> np.ndarray:
    """Shortest text that reads back as exactly the same float; whole numbers without '.0'."""
    text = values.astype(str)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e15)
    text[whole] = values[whole].astype(np.int64).astype(str)
    return text


def _metadata(ratings: Ratings, item_int: bool, user_int: bool) -> str:
    lines = []
    if ratings.scale_given:
        lo, hi = ratings.rating_scale
        lines.append(f"# rating_scale: {_number_strings(np.array([lo]))[0]},{_number_strings(np.array([hi]))[0]}")
    if item_int:
        lines.append("# item_labels: int")
    if user_int:
        lines.append("# user_labels: int")
    return "".join(line + "\n" for line in lines)


def save_ratings(
    ratings: Ratings, dest: str | os.PathLike | IO[bytes] | None = None, format: str = "wide"
) -> bytes | None:
    """Write ratings as a wide or long UTF-8 CSV that :func:`load_ratings` reads back as an equal Ratings.

    ``dest`` is a path or binary file object; None returns the bytes (for a download button). A declared
    rating scale and integer labels are kept in leading ``#`` lines (see the module notes).
    """
    if format not in ("wide", "long"):
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
    items, item_int = label_strings(ratings.items, "item")
    users, user_int = label_strings(ratings.users, "user")
    buffer = io.StringIO(newline="")
    buffer.write(_metadata(ratings, item_int, user_int))
    values = _number_strings(np.asarray(ratings.values))
    if format == "wide":
        if ratings.n_items * ratings.n_users > MAX_WIDE_CELLS:
            raise ValueError(
                f"a {ratings.n_items:,} x {ratings.n_users:,} grid is too large for a wide CSV; use format='long'"
            )
        grid = np.full(ratings.shape, "", dtype=object)
        grid[ratings.item_idx, ratings.user_idx] = values
        writer = csv.writer(buffer, lineterminator=_newline(items, users))
        writer.writerow(["item", *users])
        writer.writerows([label, *row] for label, row in zip(items, grid.tolist(), strict=True))
    else:
        frame = pd.DataFrame(
            {
                "user": np.asarray(users, dtype=object)[ratings.user_idx],
                "item": np.asarray(items, dtype=object)[ratings.item_idx],
                "rating": values,
            }
        )
        frame.to_csv(buffer, index=False, lineterminator=_newline(items, users))
    return write(buffer.getvalue().encode("utf-8"), dest)


def save_predictions(
    model: Any, dest: str | os.PathLike | IO[bytes] | None = None, format: str = "wide", *, clip: bool = True
) -> bytes | None:
    """Write a fitted model's predicted ratings for every (item, user) as CSV.

    "wide": items x users like the ratings grid. "long": user, item, rating (empty where unrated),
    prediction, one row per pair, so actual and predicted sit side by side.
    """
    if format not in ("wide", "long"):
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
    check_fitted(model, "before saving predictions")
    r: Ratings = model.ratings_
    if r.n_items * r.n_users > MAX_RATINGS:
        raise ValueError(
            f"{r.n_items:,} x {r.n_users:,} = {r.n_items * r.n_users:,} predictions are too many for one CSV "
            f"(at most {MAX_RATINGS:,}); predict a subset with model.predict_all(items, users)"
        )
    items, _ = label_strings(r.items, "item")
    users, _ = label_strings(r.users, "user")
    pred = model.predict_matrix(clip=clip)
    buffer = io.StringIO(newline="")
    if format == "wide":
        writer = csv.writer(buffer, lineterminator=_newline(items, users))
        writer.writerow(["item", *users])
        text = pred.astype(str)
        writer.writerows([label, *row] for label, row in zip(items, text.tolist(), strict=True))
    else:
        actual = np.full(r.shape, "", dtype=object)
        actual[r.item_idx, r.user_idx] = _number_strings(np.asarray(r.values))
        ii, uu = np.meshgrid(np.arange(r.n_items), np.arange(r.n_users), indexing="ij")
        frame = pd.DataFrame(
            {
                "user": np.asarray(users, dtype=object)[uu.ravel()],
                "item": np.asarray(items, dtype=object)[ii.ravel()],
                "rating": actual.ravel(),
                "prediction": pred.ravel(),
            }
        )
        frame.to_csv(buffer, index=False, lineterminator=_newline(items, users))
    return write(buffer.getvalue().encode("utf-8"), dest)
