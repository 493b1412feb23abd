"""Tests for cf_core.synthetic: the generated data has the promised shape, scale, tail, noise and seed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_core.synthetic import MOVIELENS_SHAPES, synthetic_ratings


@given(st.integers(1, 30), st.integers(1, 30), st.data())
def test_shape_count_scale_and_labels(n_users: int, n_items: int, data: st.DataObject) -> None:
    n_ratings = data.draw(st.integers(1, n_users * n_items))
    r = synthetic_ratings(n_users, n_items, n_ratings, random_state=data.draw(st.integers(0, 100)))
    assert r.shape == (n_items, n_users)
    assert r.n_ratings == n_ratings  # distinct entries: Ratings itself rejects duplicates
    assert r.rating_scale == (1.0, 5.0) and r.scale_given
    assert r.items.tolist() == list(range(1, n_items + 1))
    assert r.users.tolist() == list(range(1, n_users + 1))
    assert set(np.unique(r.values)) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_same_seed_same_data_different_seed_different_data() -> None:
    assert synthetic_ratings(50, 60, 800, random_state=3) == synthetic_ratings(50, 60, 800, random_state=3)
    assert synthetic_ratings(50, 60, 800, random_state=3) != synthetic_ratings(50, 60, 800, random_state=4)


def test_unrounded_values_stay_on_the_scale() -> None:
    r = synthetic_ratings(50, 60, 1000, stars=False, random_state=0)
    assert r.values.min() >= 1.0 and r.values.max() <= 5.0
    assert np.mean(r.values != np.rint(r.values)) > 0.9


def test_noise_is_exactly_the_requested_gaussian() -> None:
    """Same seed, same entries and signal: the difference between noise levels is the noise itself."""
    clean = synthetic_ratings(200, 300, 20_000, noise=0.0, stars=False, random_state=0)
    noisy = synthetic_ratings(200, 300, 20_000, noise=0.5, stars=False, random_state=0)
    np.testing.assert_array_equal(clean.item_idx, noisy.item_idx)
    inside = (clean.values > 1) & (clean.values < 5) & (noisy.values > 1) & (noisy.values < 5)
    assert inside.mean() > 0.8
    assert np.std(noisy.values[inside] - clean.values[inside]) == pytest.approx(0.5, rel=0.05)


def test_popularity_is_long_tailed() -> None:
    r = synthetic_ratings(943, 1682, 100_000, random_state=0)
    counts = np.sort(r.item_counts())[::-1]
    assert counts[: len(counts) // 10].sum() > 0.3 * r.n_ratings  # top 10% of items: well over 10% of ratings
    assert counts[0] > 5 * np.median(counts)


def test_planted_structure_is_low_rank() -> None:
    """A full noiseless grid: beyond rank + 2 (the biases) singular values are only clipping's residue."""
    r = synthetic_ratings(40, 50, 2000, rank=3, noise=0.0, stars=False, random_state=0)
    Y, R = r.to_dense()
    assert R.all()
    energy = np.linalg.svd(Y - Y.mean(), compute_uv=False) ** 2
    assert energy[5:].sum() < 0.05 * energy.sum()  # clipping (~10% of the entries) leaves a small tail
    assert energy[4] > 0.05 * energy[0]  # and all five planted directions are really there


def test_too_many_ratings_is_an_error() -> None:
    with pytest.raises(ValueError, match="1001 ratings do not fit in 50 items x 20 users"):
        synthetic_ratings(20, 50, 1001)


@pytest.mark.parametrize("exponent", [0.9, 2.0])
def test_near_full_grids_are_filled(exponent: float) -> None:
    # With steep popularity the last free cells are rarely drawn; this used to spin for ~40 s at 97% density.
    r = synthetic_ratings(100, 300, 29_000, item_exponent=exponent, random_state=0)
    assert r.n_ratings == 29_000


def test_movielens_shapes_are_consistent() -> None:
    assert set(MOVIELENS_SHAPES) == {"100k", "1m", "10m"}
    for users, items, ratings in MOVIELENS_SHAPES.values():
        assert 0 < ratings < users * items
