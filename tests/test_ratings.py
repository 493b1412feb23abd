"""Tests for cf_core.ratings: conversions round-trip, equality means "same ratings", bad input says where."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cf_core import Ratings

# ----------------------------------------------------------------------------------------- strategies
shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))
finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def dense_with_mask(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A Y grid and a rated mask with at least one rated entry."""
    shape = draw(shapes)
    Y = draw(hnp.arrays(np.float64, shape, elements=finite))
    rated = draw(hnp.arrays(np.bool_, shape))
    rated.flat[draw(st.integers(0, rated.size - 1))] = True
    return Y, rated


@st.composite
def long_tables(draw: st.DrawFn) -> pd.DataFrame:
    """A long (user, item, rating) table with unique pairs, string user names and int item ids, any row order."""
    users = draw(st.lists(st.text("abcxyz", min_size=1, max_size=3), min_size=1, max_size=5, unique=True))
    items = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=5, unique=True))
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(users), st.sampled_from(items)), min_size=1, max_size=25, unique=True)
    )
    values = draw(st.lists(st.integers(1, 5).map(float), min_size=len(pairs), max_size=len(pairs)))
    return pd.DataFrame({"user": [u for u, _ in pairs], "item": [i for _, i in pairs], "rating": values})


def sorted_rows(df: pd.DataFrame) -> list[tuple]:
    return sorted(zip(df["user"].tolist(), df["item"].tolist(), df["rating"].tolist(), strict=True))


# --------------------------------------------------------------------------------------- round trips
@given(dense_with_mask())
def test_from_dense_to_dense_round_trip(data: tuple[np.ndarray, np.ndarray]) -> None:
    Y, rated = data
    Y_back, R_back = Ratings.from_dense(Y, rated).to_dense()
    np.testing.assert_array_equal(R_back, rated.astype(float))
    np.testing.assert_array_equal(Y_back, np.where(rated, Y, 0.0))


@given(dense_with_mask())
def test_nan_means_unrated_without_R(data: tuple[np.ndarray, np.ndarray]) -> None:
    Y, rated = data
    assert Ratings.from_dense(np.where(rated, Y, np.nan)) == Ratings.from_dense(Y, rated)


@given(dense_with_mask())
def test_to_dense_from_dense_round_trip_is_identity(data: tuple[np.ndarray, np.ndarray]) -> None:
    Y, rated = data
    r = Ratings.from_dense(Y, rated)
    assert Ratings.from_dense(*r.to_dense()) == r


@given(dense_with_mask(), st.data())
def test_from_frame_to_frame_round_trip(data: tuple[np.ndarray, np.ndarray], draw: st.DataObject) -> None:
    Y, rated = data
    items = draw.draw(st.lists(st.text(min_size=1, max_size=4), min_size=Y.shape[0], max_size=Y.shape[0], unique=True))
    users = draw.draw(st.lists(st.integers(), min_size=Y.shape[1], max_size=Y.shape[1], unique=True))
    frame = pd.DataFrame(np.where(rated, Y, np.nan), index=items, columns=users)
    r = Ratings.from_frame(frame)
    pd.testing.assert_frame_equal(r.to_frame(), frame)
    assert Ratings.from_frame(r.to_frame()) == r


@given(long_tables())
def test_from_long_to_long_round_trip(df: pd.DataFrame) -> None:
    r = Ratings.from_long(df)
    assert sorted_rows(r.to_long()) == sorted_rows(df)
    assert Ratings.from_long(r.to_long()) == r


@given(long_tables(), st.randoms())
def test_from_long_does_not_depend_on_row_order(df: pd.DataFrame, rnd) -> None:
    order = list(range(len(df)))
    rnd.shuffle(order)
    assert Ratings.from_long(df.iloc[order].reset_index(drop=True)) == Ratings.from_long(df)


def test_from_long_custom_columns_and_labels_sorted() -> None:
    df = pd.DataFrame({"who": ["zed", "amy", "amy"], "what": [20, 10, 20], "stars": [4, 3, 5]})
    r = Ratings.from_long(df, user="who", item="what", rating="stars")
    assert r.users.tolist() == ["amy", "zed"]
    assert r.items.tolist() == [10, 20]
    Y, R = r.to_dense()
    np.testing.assert_array_equal(Y, [[3, 0], [5, 4]])


@given(st.lists(st.one_of(st.integers(-30, 300).map(str), st.text(min_size=1, max_size=3)), min_size=1, unique=True))
def test_from_long_orders_text_labels_like_load_ratings(labels: list[str]) -> None:
    """Ids that are strings ("2", "10") come in natural order, as a long file's do; the rest as text after them."""
    df = pd.DataFrame({"user": labels, "item": "x", "rating": 3.0})
    users = Ratings.from_long(df).users.tolist()
    canonical = [u for u in users if re.fullmatch(r"0|-?[1-9][0-9]*", u)]
    assert users == sorted(canonical, key=int) + sorted(u for u in users if u not in canonical)


@pytest.mark.parametrize(("how", "expected"), [("last", 2.0), ("mean", 3.0)])
def test_from_long_duplicate_policies(how: str, expected: float) -> None:
    df = pd.DataFrame({"user": ["u", "u", "v"], "item": ["i", "i", "i"], "rating": [4.0, 2.0, 1.0]})
    r = Ratings.from_long(df, duplicates=how)
    assert r.n_ratings == 2
    assert r.to_frame().loc["i", "u"] == expected


def test_from_dense_ignores_unrated_junk_and_keeps_labels() -> None:
    Y = np.array([[5.0, np.inf], [np.nan, 3.0]])  # inf and NaN sit where R says "not rated"
    r = Ratings.from_dense(Y, [[1, 0], [0, 1]], items=["x", "y"], users=["p", "q"])
    assert r.n_ratings == 2
    assert r.to_frame().loc["y", "q"] == 3.0
    assert list(r.items) == ["x", "y"]


def test_from_dense_accepts_boolean_R() -> None:
    r = Ratings.from_dense([[1.0, 2.0]], np.array([[True, False]]))
    assert r.values.tolist() == [1.0]


def test_entries_are_item_major_whatever_the_constructor_order() -> None:
    r = Ratings(np.array([1, 0, 1, 0]), np.array([0, 1, 1, 0]), np.array([3.0, 2.0, 4.0, 1.0]), 2, 2)
    assert r.item_idx.tolist() == [0, 0, 1, 1]
    assert r.user_idx.tolist() == [0, 1, 0, 1]
    assert r.values.tolist() == [1.0, 2.0, 3.0, 4.0]


# ------------------------------------------------------------------------------------ equality/immutability
def test_equality_semantics(tiny_ratings: Ratings) -> None:
    Y = tiny_ratings.to_frame()
    same = Ratings.from_frame(Y, rating_scale=(1, 5))
    assert same == tiny_ratings
    changed = Y.copy()
    changed.iloc[0, 0] = 4.0
    assert Ratings.from_frame(changed, rating_scale=(1, 5)) != tiny_ratings
    relabelled = Y.rename(index={"A": "Z"})
    assert Ratings.from_frame(relabelled, rating_scale=(1, 5)) != tiny_ratings
    assert Ratings.from_frame(Y, rating_scale=(0, 5)) != tiny_ratings
    assert tiny_ratings != "not ratings"
    with pytest.raises(TypeError):
        hash(tiny_ratings)


def test_arrays_are_read_only(tiny_ratings: Ratings) -> None:
    with pytest.raises(ValueError, match="read-only"):
        tiny_ratings.values[0] = 0.0


def test_construction_neither_freezes_nor_aliases_the_callers_arrays() -> None:
    values = np.array([1.0, 2.0, 3.0])
    item_idx, user_idx = np.array([0, 0, 1], dtype=np.int32), np.array([0, 1, 0], dtype=np.int32)
    r = Ratings(item_idx, user_idx, values, 2, 2)
    assert values.flags.writeable and item_idx.flags.writeable
    values[0] = 5.0
    item_idx[0] = 1
    assert r.values.tolist() == [1.0, 2.0, 3.0]
    assert r.item_idx.tolist() == [0, 0, 1]


# -------------------------------------------------------------------------------------- derived values
def test_counts_shape_density(tiny_ratings: Ratings) -> None:
    assert tiny_ratings.shape == (4, 3)
    assert tiny_ratings.n_ratings == 5
    assert tiny_ratings.density == pytest.approx(5 / 12)
    assert tiny_ratings.item_counts().tolist() == [2, 1, 2, 0]
    assert tiny_ratings.user_counts().tolist() == [2, 2, 1]
    assert tiny_ratings.scale_given
    assert not Ratings.from_dense([[1.0, 2.0]]).scale_given


def test_item_means_fall_back_to_global_mean_for_unrated_items(tiny_ratings: Ratings) -> None:
    global_mean = (5 + 4 + 1 + 1 + 5) / 5
    np.testing.assert_allclose(tiny_ratings.item_means(), [4.5, 1.0, 3.0, global_mean])


@given(dense_with_mask())
def test_item_means_match_row_means(data: tuple[np.ndarray, np.ndarray]) -> None:
    Y, rated = data
    expected = [Y[i, rated[i]].mean() if rated[i].any() else Y[rated].mean() for i in range(Y.shape[0])]
    np.testing.assert_allclose(Ratings.from_dense(Y, rated).item_means(), expected, rtol=1e-12, atol=1e-12)


def test_subset_keeps_grid_labels_and_scale(tiny_ratings: Ratings) -> None:
    mask = tiny_ratings.values >= 4
    sub = tiny_ratings.subset(mask)
    assert sub.shape == tiny_ratings.shape
    assert sub.items.equals(tiny_ratings.items) and sub.users.equals(tiny_ratings.users)
    assert sub.rating_scale == tiny_ratings.rating_scale
    assert sorted(sub.to_long()["rating"]) == [4.0, 5.0, 5.0]


@given(dense_with_mask(), st.data())
def test_subsets_partition_the_entries(data: tuple[np.ndarray, np.ndarray], draw: st.DataObject) -> None:
    r = Ratings.from_dense(*data)
    mask = np.array(draw.draw(st.lists(st.booleans(), min_size=r.n_ratings, max_size=r.n_ratings)))
    if mask.all() or not mask.any():
        return
    Ya, Ra = r.subset(mask).to_dense()
    Yb, Rb = r.subset(~mask).to_dense()
    Y, R = r.to_dense()
    np.testing.assert_array_equal(Ra + Rb, R)
    np.testing.assert_array_equal(Ya + Yb, Y)


def test_item_and_user_index_use_labels_never_positions() -> None:
    r = Ratings.from_dense([[1.0, 2.0], [3.0, 4.0]], items=[10, 20], users=["u", "v"])
    assert r.item_index(20) == 1
    assert r.user_index("v") == 1
    with pytest.raises(ValueError, match=r"unknown item label 1\b.*10"):
        r.item_index(1)
    with pytest.raises(ValueError, match="unknown user label 'w'"):
        r.user_index("w")
    with pytest.raises(ValueError, match="unknown user label"):
        r.user_index(["u"])  # unhashable


def test_repr_summarizes(tiny_ratings: Ratings) -> None:
    assert repr(tiny_ratings) == "Ratings(4 items x 3 users, 5 ratings, density 41.67%, scale 1-5)"


# -------------------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_rating_is_named_with_its_place(bad: float) -> None:
    Y = np.array([[1.0, 2.0], [3.0, bad]])
    with pytest.raises(ValueError, match=r"1 ratings are not finite.*item 1, user 1"):
        Ratings.from_dense(Y, np.ones((2, 2)))


def test_infinite_rating_without_R_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"not finite.*item 0, user 1"):
        Ratings.from_dense([[1.0, np.inf]])


def test_R_must_be_zero_or_one() -> None:
    with pytest.raises(ValueError, match=r"R must hold only 0 and 1; found 2.*item 1, user 0.*and 1 more"):
        Ratings.from_dense(np.ones((2, 2)), [[1, 0], [2, 0.5]])


def test_Y_R_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=re.escape("got Y (2, 3) and R (3, 2)")):
        Ratings.from_dense(np.ones((2, 3)), np.ones((3, 2)))


def test_Y_must_be_2d() -> None:
    with pytest.raises(ValueError, match="2-D"):
        Ratings.from_dense(np.ones(3))


def test_duplicate_pairs_in_long_form_give_count_and_first_few() -> None:
    users = [f"u{k}" for k in range(7)]
    df = pd.DataFrame({"user": users * 2 + ["solo"], "item": ["film"] * 15, "rating": [3.0] * 15})
    with pytest.raises(ValueError) as info:
        Ratings.from_long(df)
    message = str(info.value)
    assert message.startswith("7 (user, item) pairs are rated more than once")
    assert "(user 'u0', item 'film')" in message
    assert "and 2 more" in message
    assert "solo" not in message


def test_unknown_duplicates_policy() -> None:
    df = pd.DataFrame({"user": [1], "item": [1], "rating": [1.0]})
    with pytest.raises(ValueError, match="duplicates must be"):
        Ratings.from_long(df, duplicates="first")


def test_long_form_missing_columns_and_values() -> None:
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rating'\]"):
        Ratings.from_long(pd.DataFrame({"user": [1], "item": [1], "score": [1.0]}))
    with pytest.raises(ValueError, match=r"column 'rating' are not numbers: row 1: 'five'"):
        Ratings.from_long(pd.DataFrame({"user": [1, 2], "item": [1, 1], "rating": [4, "five"]}))
    with pytest.raises(ValueError, match=r"empty user, item or rating: rows 0"):
        Ratings.from_long(pd.DataFrame({"user": [None, 2], "item": [1, 1], "rating": [4.0, 3.0]}))


def test_duplicate_entries_in_constructor() -> None:
    with pytest.raises(ValueError, match=r"1 duplicate \(item, user\) ratings: \(item 0, user 1\)"):
        Ratings(np.array([0, 0]), np.array([1, 1]), np.array([1.0, 2.0]), 1, 2)


def test_no_ratings_at_all() -> None:
    with pytest.raises(ValueError, match="no ratings"):
        Ratings.from_dense(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="no ratings"):
        Ratings.from_dense(np.ones((2, 2)), np.zeros((2, 2)))


def test_empty_allowed_only_when_asked() -> None:
    r = Ratings(np.array([], int), np.array([], int), np.array([]), 2, 3, allow_empty=True)
    assert r.n_ratings == 0
    assert r.item_means().tolist() == [0.0, 0.0]


@pytest.mark.parametrize("kind", ["items", "users"])
def test_duplicate_labels(kind: str) -> None:
    labels = {"items": ["a", "b"], "users": ["a", "b"]}
    labels[kind] = ["dup", "dup"]
    with pytest.raises(ValueError, match=f"duplicate {kind[:-1]} labels: dup"):
        Ratings.from_dense(np.ones((2, 2)), **labels)


def test_duplicate_column_labels_in_frame() -> None:
    frame = pd.DataFrame([[1.0, 2.0]], columns=["ann", "ann"])
    with pytest.raises(ValueError, match="duplicate user labels: ann"):
        Ratings.from_frame(frame)


def test_missing_label_and_wrong_label_count() -> None:
    with pytest.raises(ValueError, match=r"missing value \(at position 1\)"):
        Ratings.from_dense(np.ones((2, 2)), items=["a", None])
    with pytest.raises(ValueError, match=r"3 user labels given for 2 users \(Y is 2x2\)"):
        Ratings.from_dense(np.ones((2, 2)), users=["a", "b", "c"])


def test_ratings_outside_declared_scale_are_named() -> None:
    Y = np.array([[1.0, 6.0], [0.0, 3.0]])
    with pytest.raises(ValueError, match=r"2 ratings are outside the scale 1 to 5: \(item 0, user 1\): 6, \(item 1"):
        Ratings.from_dense(Y, rating_scale=(1, 5))


def test_messages_show_integer_labels_plainly() -> None:
    with pytest.raises(ValueError, match=r"\(item 7, user 20\): 9$"):
        Ratings.from_dense([[1.0, 9.0]], items=[7], users=[10, 20], rating_scale=(1, 5))


@pytest.mark.parametrize("scale", [(5, 1), (np.nan, 5), (1, np.inf)])
def test_invalid_scale(scale: tuple[float, float]) -> None:
    with pytest.raises(ValueError, match="rating scale must be two finite numbers"):
        Ratings.from_dense([[3.0]], rating_scale=scale)


def test_frame_cells_that_are_not_numbers() -> None:
    frame = pd.DataFrame({"ann": [5.0, "great"]}, index=["A", "B"], dtype=object)
    with pytest.raises(ValueError, match=r"1 cells are not numbers: \(item 'B', user 'ann'\): 'great'"):
        Ratings.from_frame(frame)


def test_index_out_of_range_and_non_integer_indices() -> None:
    with pytest.raises(ValueError, match=r"user index 3 out of range for 2 users \(entry 1\)"):
        Ratings(np.array([0, 0]), np.array([0, 3]), np.array([1.0, 1.0]), 1, 2)
    with pytest.raises(ValueError, match="item indices must be integers"):
        Ratings(np.array([0.0]), np.array([0]), np.array([1.0]), 1, 1)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        Ratings(np.array([0, 0]), np.array([0]), np.array([1.0]), 1, 1)


def test_long_error_list_is_truncated() -> None:
    Y = np.full((1, 9), 9.0)
    with pytest.raises(ValueError, match=r"9 ratings are outside.*and 4 more$"):
        Ratings.from_dense(Y, rating_scale=(1, 5))


def test_numpy_integer_counts_mean_unlabelled():
    r = Ratings(np.array([0, 2]), np.array([1, 0]), np.array([3.0, 4.0]), np.int64(3), np.int32(2))
    assert list(r.items) == [0, 1, 2] and list(r.users) == [0, 1]


def test_subset_keeps_whether_the_scale_was_declared():
    inferred = Ratings.from_dense([[1.0, 2.0], [3.0, np.nan]])
    declared = Ratings.from_dense([[1.0, 2.0], [3.0, np.nan]], rating_scale=(0, 5))
    keep = np.array([True, False, True])
    assert not inferred.subset(keep).scale_given
    assert declared.subset(keep).scale_given
    assert inferred.subset(keep).rating_scale == inferred.rating_scale


def test_numbered_labels_items_and_users_from_one() -> None:
    r = Ratings.numbered(np.array([2, 0]), np.array([1, 0]), np.array([4.0, 5.0]), (3, 2), (1.0, 5.0))
    assert list(r.items) == [1, 2, 3] and list(r.users) == [1, 2]
    assert r.to_frame().loc[3, 2] == 4.0 and r.scale_given
