"""Tests for cf_core.samples: the registry the app's dataset picker shows, and the sample data itself."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from cf_core.samples import DATA_DIR, SAMPLES, Sample, load_sample


def _generator():
    spec = importlib.util.spec_from_file_location("make_movies_small", DATA_DIR / "make_movies_small.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_registry_lists_the_samples_in_order_with_titles_and_one_line_descriptions():
    assert [s.key for s in SAMPLES] == ["lecture", "movies-small", "synthetic-100k", "synthetic-1m"]
    for sample in SAMPLES:
        assert isinstance(sample, Sample)
        assert sample.title and sample.description and "\n" not in sample.description
        # The picker's box shows the name; about 31 characters fit the sidebar (Chromium, default width).
        assert sample.title.startswith(sample.name) and len(sample.name) <= 31
        assert not sample.description.startswith("(missing file")


def test_lecture_is_the_course_table():
    r = load_sample("lecture")
    frame = r.to_frame()
    assert list(frame.columns) == ["Alice", "Bob", "Carol", "Dave"]
    assert list(frame.index) == [
        "Love at last",
        "Romance forever",
        "Cute puppies of love",
        "Nonstop car chases",
        "Swords vs. karate",
    ]
    nan = np.nan
    expected = np.array(
        [[5, 5, 0, 0], [5, nan, nan, 0], [nan, 4, 0, nan], [0, 0, 5, 4], [0, 0, 5, nan]]
    )  # columns are users: Alice (5, 5, ?, 0, 0), Bob (5, ?, 4, 0, 0), Carol (0, ?, 0, 5, 5), Dave (0, 0, ?, 4, ?)
    np.testing.assert_array_equal(frame.to_numpy(), expected)
    assert r.rating_scale == (0.0, 5.0) and r.scale_given


def test_movies_small_has_its_documented_shape_and_newcomers():
    r = load_sample("movies-small")
    assert r.shape == (30, 20) and r.rating_scale == (1.0, 5.0)
    counts = dict(zip(r.users, r.user_counts(), strict=True))
    gen = _generator()
    assert {u: counts[u] for u in gen.NEWCOMERS} == gen.NEWCOMERS
    assert all(counts[u] >= 10 for u in r.users if u not in gen.NEWCOMERS)


def test_movies_small_file_is_exactly_what_its_script_makes():
    gen = _generator()
    assert (DATA_DIR / "movies_small.csv").read_bytes() == gen.render()
    assert load_sample("movies-small") == gen.build()


def test_movies_small_genres_separate_tastes():
    """Romance fans rate romance above action on average, and the other way round: the planted structure."""
    gen = _generator()
    r = load_sample("movies-small")
    frame = r.to_frame()
    romance, action = list(gen.MOVIES["romance"]), list(gen.MOVIES["action"])
    for user, (likes_romance, likes_action, _) in gen.TASTES.items():
        if user in gen.NEWCOMERS or abs(likes_romance - likes_action) < 2:
            continue
        gap = frame.loc[romance, user].mean() - frame.loc[action, user].mean()
        assert np.sign(gap) == np.sign(likes_romance - likes_action), user


def test_synthetic_100k_sample_has_the_movielens_shape_and_is_seeded():
    r = load_sample("synthetic-100k")
    assert (r.n_items, r.n_users, r.n_ratings) == (1_682, 943, 100_000)
    assert r.rating_scale == (1.0, 5.0)
    assert load_sample("synthetic-100k") == r


@pytest.mark.slow  # a second or two of generation on a quiet machine
def test_synthetic_1m_sample_has_the_movielens_1m_shape():
    r = load_sample("synthetic-1m")
    assert (r.n_items, r.n_users, r.n_ratings) == (3_706, 6_040, 1_000_209)


def test_unknown_key_names_the_choices():
    with pytest.raises(ValueError, match="unknown sample 'nope'; samples are lecture, movies-small"):
        load_sample("nope")
