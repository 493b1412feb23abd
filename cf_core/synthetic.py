"""Synthetic rating data with MovieLens shapes, for trying scale without downloading anything.

Real rating data is long-tailed: a few items get most ratings and most users rate few items. The
generator plants a low-rank taste structure (so a model has something to find), draws which entries
are rated from power-law item and user popularity, and rounds to a 1-5 star scale.
"""

from __future__ import annotations

import numpy as np

from .ratings import Ratings

__all__ = ["synthetic_ratings", "MOVIELENS_SHAPES"]

#: name -> (users, items, ratings), the shapes of the MovieLens releases people benchmark on.
MOVIELENS_SHAPES: dict[str, tuple[int, int, int]] = {
    "100k": (943, 1_682, 100_000),
    "1m": (6_040, 3_706, 1_000_209),
    "10m": (69_878, 10_677, 10_000_054),
}


# Popularity-draw rounds before the rest is filled uniformly; MovieLens-like densities need about 10.
_MAX_DRAW_ROUNDS = 50


def _power_law(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    rng.shuffle(weights)
    return weights / weights.sum()


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2.4's hash-based unique is ~20x slower on these int64 keys)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def synthetic_ratings(
    n_users: int = 943,
    n_items: int = 1_682,
    n_ratings: int = 100_000,
    *,
    rank: int = 5,
    noise: float = 0.5,
    item_exponent: float = 0.9,
    user_exponent: float = 0.6,
    stars: bool = True,
    random_state: int | None = 0,
) -> Ratings:
    """Ratings with planted rank-``rank`` structure plus Gaussian ``noise``, on a 1-5 scale.

    ``stars=False`` keeps the unrounded values (clipped to 1-5), so the noise level is known exactly,
    which is how recovery tests check that a model finds the structure. Labels are integer ids
    starting at 1, as in MovieLens.
    """
    if n_ratings > n_users * n_items:
        raise ValueError(f"{n_ratings} ratings do not fit in {n_items} items x {n_users} users")
    rng = np.random.default_rng(random_state)
    p_item = _power_law(n_items, item_exponent, rng)
    p_user = _power_law(n_users, user_exponent, rng)
    keys = np.empty(0, dtype=np.int64)
    # Draw with replacement and drop repeats until there are enough distinct entries.
    rounds = 0
    while len(keys) < n_ratings:
        rounds += 1
        need = int((n_ratings - len(keys)) * 1.3) + 16
        i = rng.choice(n_items, need, p=p_item)
        u = rng.choice(n_users, need, p=p_user)
        keys = _sorted_unique(np.concatenate([keys, i.astype(np.int64) * n_users + u]))
        # Near-full grids: the last rare cells take thousands of rounds to hit by popularity, so fill uniformly.
        if len(keys) < n_ratings and rounds >= _MAX_DRAW_ROUNDS:
            rest = np.setdiff1d(np.arange(n_items * n_users, dtype=np.int64), keys)
            keys = np.concatenate([keys, rng.choice(rest, n_ratings - len(keys), replace=False)])
    keys = rng.choice(keys, n_ratings, replace=False) if len(keys) > n_ratings else keys
    keys.sort()
    item_idx, user_idx = keys // n_users, keys % n_users
    X = rng.normal(0.0, 1.0, (n_items, rank))
    Theta = rng.normal(0.0, 1.0, (n_users, rank))
    item_bias = rng.normal(0.0, 0.5, n_items)
    user_bias = rng.normal(0.0, 0.3, n_users)
    signal = np.einsum("ij,ij->i", X[item_idx], Theta[user_idx]) / np.sqrt(rank)
    values = 3.5 + item_bias[item_idx] + user_bias[user_idx] + 0.8 * signal + rng.normal(0.0, noise, n_ratings)
    values = np.clip(np.rint(values) if stars else values, 1.0, 5.0)
    return Ratings.numbered(item_idx, user_idx, values, (n_items, n_users), rating_scale=(1.0, 5.0))
