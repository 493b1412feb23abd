"""How many ratings stand behind each item (or user): the counts and means every recommendation and
neighbour list shows, and the minimum-number-of-ratings filter they offer.

Why: with item-mean normalization an item rated once by a 5 has mean 5, so on MovieLens-size data the
top of a heavy user's list is full of items with 1-3 ratings, all predicted 5.00. Showing the counts
makes that visible; the filter (and the larger data's defaults, see :mod:`cf_app.sidebar`) cures it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cf_core import CollaborativeFiltering, Ratings, top_n

__all__ = [
    "LARGE_DATA_RATINGS",
    "LARGE_MIN_RATINGS",
    "counts_and_means",
    "default_min_ratings",
    "top_items_for",
    "hidden_count",
    "most_similar",
    "with_evidence",
    "saturation_note",
]

#: Data with at least this many ratings is "MovieLens-size" (the lecture grids have tens to hundreds).
LARGE_DATA_RATINGS = 10_000
#: Default filter on large data. On the synthetic MovieLens-100k shape (1,682 items, median 22 ratings
#: per item) 388 items have fewer than 20 ratings; with item-mean normalization (k=2, lambda=1) the heaviest
#: user's top five had 1-3 ratings each and, with the filter at 20, items with 20+ ratings. 20 keeps about
#: three quarters of the items offered, and a mean over 20 ratings moves by under 0.25 stars for one more.
LARGE_MIN_RATINGS = 20


def counts_and_means(ratings: Ratings, kind: str = "items") -> tuple[np.ndarray, np.ndarray]:
    """Number of ratings and mean rating per item (``kind="items"``) or per user; NaN mean when unrated."""
    if kind not in ("items", "users"):
        raise ValueError(f"kind must be 'items' or 'users', got {kind!r}")
    idx, n = (ratings.item_idx, ratings.n_items) if kind == "items" else (ratings.user_idx, ratings.n_users)
    counts = np.bincount(idx, minlength=n)
    sums = np.bincount(idx, weights=ratings.values, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return counts, means


def default_min_ratings(ratings: Ratings) -> int:
    """1 (no filter) on lecture-size grids, where every rating counts; :data:`LARGE_MIN_RATINGS` on large data."""
    return LARGE_MIN_RATINGS if ratings.n_ratings >= LARGE_DATA_RATINGS else 1


def top_items_for(
    model: CollaborativeFiltering, ratings: Ratings, user: int, n: int, min_ratings: int = 1
) -> np.ndarray:
    """Positions of the ``n`` best predicted items ``user`` has not rated (in ``ratings``, which may hold
    held-out ratings the model never saw) among items with at least ``min_ratings`` ratings."""
    counts, _ = counts_and_means(ratings, "items")
    scores = model.predict_matrix(users=[int(user)], clip=False)[:, 0]
    allowed = counts >= int(min_ratings)
    allowed[ratings.item_idx[ratings.user_idx == int(user)]] = False
    return top_n(scores, int(n), exclude=~allowed)


def hidden_count(ratings: Ratings, min_ratings: int, user: int | None = None) -> int:
    """How many items (not rated by ``user``) the filter leaves out, so a list can say so."""
    counts, _ = counts_and_means(ratings, "items")
    hidden = counts < int(min_ratings)
    if user is not None:
        hidden[ratings.item_idx[ratings.user_idx == int(user)]] = False
    return int(hidden.sum())


def most_similar(
    model: CollaborativeFiltering, ratings: Ratings, kind: str, pos: int, n: int, min_ratings: int = 1
) -> pd.DataFrame:
    """The ``n`` items (users) most cosine-similar to ``pos`` among those with ``min_ratings``+ ratings,
    with their counts and means: columns label, position, similarity, ratings, mean rating."""
    counts, _ = counts_and_means(ratings, kind)
    keep = counts >= int(min_ratings)
    keep[int(pos)] = False
    V = model.X_ if kind == "items" else model.Theta_
    norms = np.linalg.norm(V, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    sims = np.clip((V / safe[:, None]) @ (V[int(pos)] / safe[int(pos)]), -1.0, 1.0)
    sims[norms == 0] = 0.0
    top = top_n(sims, int(n), exclude=~keep)
    labels = ratings.items if kind == "items" else ratings.users
    table = pd.DataFrame({kind[:-1]: [str(x) for x in labels[top]], "position": top, "similarity": sims[top]})
    return with_evidence(table, top, ratings, kind)


def with_evidence(table: pd.DataFrame, positions: np.ndarray, ratings: Ratings, kind: str = "items") -> pd.DataFrame:
    """``table`` (one row per position) plus the columns "ratings" (count) and "mean rating"."""
    counts, means = counts_and_means(ratings, kind)
    positions = np.asarray(positions, dtype=np.int64)
    out = table.copy()
    out["ratings"] = counts[positions]
    out["mean rating"] = means[positions]
    return out


def saturation_note(similarities: np.ndarray, num_features: int) -> str | None:
    """Why a neighbour list reads "+1.000" all the way down, when it does (few features: cosine saturates)."""
    sims = np.asarray(similarities, dtype=float)
    if len(sims) < 2 or not np.all(sims > 0.999):
        return None
    return (
        f"Every one of these is at +1.000: with k = {num_features} feature(s) each vector is a direction in "
        f"{num_features}-D space, and among many items some always point almost exactly the same way, so "
        "cosine similarity saturates and cannot rank them. More features (k) spread the directions out; the "
        "minimum-ratings filter drops rarely rated items, whose vectors regularization has barely moved."
    )
