"""Tests for cf_app.evidence: counts and means beside every list, the minimum-ratings filter, the k=2 note."""

from __future__ import annotations

import numpy as np
import pytest

from cf_app import evidence, teaching
from cf_core import CollaborativeFiltering, Ratings
from cf_core.synthetic import synthetic_ratings


@pytest.fixture(scope="module")
def long_tail() -> Ratings:
    """Items 0-2 rated by everyone (mean ~3), item 3 rated once with a 5: item-mean normalization's trap."""
    Y = np.full((4, 6), np.nan)
    Y[:3, :] = [[3, 4, 2, 3, 4, 3], [2, 3, 3, 2, 3, 2], [4, 3, 3, 4, 4, 3]]
    Y[3, 0] = 5
    Y[:3, 5] = np.nan  # user 5 rated nothing of 0-2 ...
    Y[0, 5] = 3  # ... but item 0, so items 1, 2 and 3 are open to them
    return Ratings.from_dense(Y, rating_scale=(1, 5))


def test_counts_and_means_per_item_and_user(small):
    counts, means = evidence.counts_and_means(small, "items")
    assert counts.tolist() == small.item_counts().tolist()
    np.testing.assert_allclose(means, small.item_means())
    ucounts, umeans = evidence.counts_and_means(small, "users")
    assert ucounts.tolist() == small.user_counts().tolist()
    assert umeans[0] == pytest.approx(np.mean([5, 5, 0, 0, 1]))
    with pytest.raises(ValueError, match="kind"):
        evidence.counts_and_means(small, "movies")


def test_default_filter_is_off_on_lecture_grids_and_on_for_movielens_size(small):
    assert evidence.default_min_ratings(small) == 1
    big = synthetic_ratings(300, 400, evidence.LARGE_DATA_RATINGS, random_state=0)
    assert evidence.default_min_ratings(big) == evidence.LARGE_MIN_RATINGS == 20


def test_the_filter_removes_the_item_with_one_rating_from_the_top(long_tail):
    m = CollaborativeFiltering(2, 1.0, 100, normalize="mean", random_state=0).fit(long_tail)
    top = evidence.top_items_for(m, long_tail, 5, 3)
    assert top[0] == 3  # the single 5 wins under item-mean normalization
    filtered = evidence.top_items_for(m, long_tail, 5, 3, min_ratings=2)
    assert 3 not in filtered and set(filtered) == {1, 2}
    assert evidence.hidden_count(long_tail, 2, user=5) == 1
    assert evidence.hidden_count(long_tail, 2, user=0) == 0  # user 0 rated item 3 themself


def test_recommendations_never_include_what_the_user_rated_even_if_held_out(long_tail):
    m = CollaborativeFiltering(2, 1.0, 50, random_state=0).fit(long_tail)
    top = evidence.top_items_for(m, long_tail, 0, 10)
    assert len(top) == 0  # user 0 rated every item


def test_most_similar_lists_counts_and_means_and_obeys_the_filter(long_tail):
    m = CollaborativeFiltering(2, 1.0, 50, random_state=0).fit(long_tail)
    table = evidence.most_similar(m, long_tail, "items", 0, 3)
    assert list(table.columns) == ["item", "position", "similarity", "ratings", "mean rating"]
    assert 0 not in table["position"].tolist()
    row = table.set_index("position").loc[3]
    assert row["ratings"] == 1 and row["mean rating"] == 5.0
    assert 3 not in evidence.most_similar(m, long_tail, "items", 0, 3, min_ratings=2)["position"].tolist()
    assert (table["similarity"].diff().dropna() <= 1e-12).all()  # best first


def test_most_similar_agrees_with_the_estimator_without_a_filter(small):
    m = CollaborativeFiltering(3, 1.0, 40, random_state=0).fit(small)
    ours = evidence.most_similar(m, small, "users", 1, 3)
    theirs = m.most_similar("users", 1, 3)
    assert ours["position"].tolist() == theirs["position"].tolist()
    np.testing.assert_allclose(ours["similarity"], theirs["similarity"])


def test_saturated_cosines_are_explained_only_when_they_saturate():
    assert "k = 2" in evidence.saturation_note(np.array([1.0, 0.99995, 0.9999]), 2)
    assert evidence.saturation_note(np.array([1.0, 0.8]), 2) is None
    assert evidence.saturation_note(np.array([1.0]), 2) is None


def test_two_feature_models_saturate_on_many_items_and_ten_features_do_not():
    r = synthetic_ratings(200, 400, 8_000, random_state=1)
    two = CollaborativeFiltering(2, 1.0, 100, random_state=0).fit(r)
    ten = CollaborativeFiltering(10, 1.0, 100, random_state=0).fit(r)
    item = int(np.argmax(r.item_counts()))
    sims2 = evidence.most_similar(two, r, "items", item, 5)["similarity"].to_numpy()
    sims10 = evidence.most_similar(ten, r, "items", item, 5)["similarity"].to_numpy()
    assert evidence.saturation_note(sims2, 2) is not None
    assert evidence.saturation_note(sims10, 10) is None


def test_mean_vs_biases_shows_the_counts_behind_each_pick(long_tail):
    result = teaching.mean_vs_biases(long_tail, 5, 3, num_features=2, lambda_=1.0, max_iter=100, random_state=0)
    t = result.table
    assert t["item mean: item"].iloc[0] == "3" and t["item mean: ratings"].iloc[0] == 1
    assert {"learned biases: item", "learned biases: ratings", "learned biases: mean"} <= set(t.columns)
    assert result.n_rated == 1 and result.median_count_mean <= result.median_count_biases


def test_teaching_neighbours_carry_counts_and_respect_the_filter(long_tail):
    m = CollaborativeFiltering(2, 1.0, 50, random_state=0).fit(long_tail)
    table = teaching.neighbours(m, 0, 3)
    assert {"ratings (dot)", "ratings (cosine)"} <= set(table.columns)
    filtered = teaching.neighbours(m, 0, 3, min_ratings=2)
    assert 3 not in filtered["by dot product"].tolist() and 3 not in filtered["by cosine"].tolist()
