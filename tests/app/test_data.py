"""The grid's pure edits on Ratings: slices, merging edited cells, adding/renaming/removing items and users."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cf_app import data
from cf_core import Ratings
from cf_core.synthetic import synthetic_ratings

NAN = np.nan


@pytest.fixture
def lecture() -> Ratings:
    Y = np.array([[5, 5, 0, 0], [5, NAN, NAN, 0], [NAN, 4, 0, NAN], [0, 0, 5, 4], [0, 0, 5, NAN]], dtype=float)
    items = ["Love at last", "Romance forever", "Cute puppies of love", "Nonstop car chases", "Swords vs. karate"]
    return Ratings.from_dense(Y, items=items, users=["Alice", "Bob", "Carol", "Dave"], rating_scale=(0, 5))


def test_slice_frame_of_everything_is_the_wide_grid(lecture):
    frame = data.slice_frame(lecture, np.arange(5), np.arange(4))
    expected = lecture.to_frame()
    assert np.array_equal(frame.to_numpy(), expected.to_numpy(), equal_nan=True)
    assert list(frame.columns) == ["Alice", "Bob", "Carol", "Dave"] and frame.index[2] == "Cute puppies of love"


def test_slice_frame_picks_cells_by_position_with_string_labels():
    r = Ratings.from_dense([[1.0, NAN, 3.0], [NAN, 5.0, 2.0]], items=[10, 20], users=[7, 8, 9])
    frame = data.slice_frame(r, np.array([1]), np.array([2, 1]))
    assert list(frame.columns) == ["9", "8"] and list(frame.index) == ["20"]
    assert frame.to_numpy().tolist() == [[2.0, 5.0]]


def test_merge_of_an_unchanged_slice_gives_equal_ratings(lecture):
    items, users = np.array([0, 3]), np.array([1, 2])
    assert data.merge_slice(lecture, items, users, data.slice_frame(lecture, items, users)) == lecture


def test_merge_applies_new_changed_and_cleared_cells_only_inside_the_slice(lecture):
    items, users = np.array([0, 2]), np.array([1, 3])
    edited = data.slice_frame(lecture, items, users)
    edited.iloc[0, 0] = NAN  # clear Love at last / Bob (was 5)
    edited.iloc[1, 1] = 2.5  # rate Cute puppies / Dave (was unrated)
    merged = data.merge_slice(lecture, items, users, edited)
    expected = lecture.to_frame()
    expected.iloc[0, 1] = NAN
    expected.iloc[2, 3] = 2.5
    assert np.array_equal(merged.to_frame().to_numpy(), expected.to_numpy(), equal_nan=True)


def test_merge_names_the_cell_holding_text(lecture):
    edited = data.slice_frame(lecture, np.arange(5), np.arange(4)).astype(object)
    edited.iloc[1, 2] = "five"
    with pytest.raises(ValueError, match=r"item 'Romance forever', user 'Carol': 'five'"):
        data.merge_slice(lecture, np.arange(5), np.arange(4), edited)


def test_merge_accepts_numbers_typed_as_text_and_blank_text_as_unrated(lecture):
    edited = data.slice_frame(lecture, np.arange(5), np.arange(4)).astype(object)
    edited.iloc[1, 2] = " 3.5 "
    edited.iloc[0, 0] = "  "
    merged = data.merge_slice(lecture, np.arange(5), np.arange(4), edited).to_frame()
    assert merged.iloc[1, 2] == 3.5 and np.isnan(merged.iloc[0, 0])


def test_merge_names_out_of_scale_values(lecture):
    edited = data.slice_frame(lecture, np.arange(5), np.arange(4))
    edited.iloc[3, 0] = 7.0
    with pytest.raises(ValueError, match=r"outside the scale 0 to 5.*Nonstop car chases.*Alice.*7"):
        data.merge_slice(lecture, np.arange(5), np.arange(4), edited)


def test_merge_rejects_a_frame_of_the_wrong_shape(lecture):
    with pytest.raises(ValueError, match="expected 2 x 2"):
        data.merge_slice(lecture, np.array([0, 1]), np.array([0, 1]), pd.DataFrame(np.ones((3, 2))))


def test_clearing_every_cell_gives_an_empty_grid_not_an_error(lecture):
    edited = data.slice_frame(lecture, np.arange(5), np.arange(4)) * NAN
    merged = data.merge_slice(lecture, np.arange(5), np.arange(4), edited)
    assert merged.n_ratings == 0 and merged.shape == (5, 4)


def test_add_rename_remove_keep_every_other_rating(lecture):
    added = data.add_label(lecture, "user", "Erin")
    assert list(added.users) == ["Alice", "Bob", "Carol", "Dave", "Erin"] and added.user_counts()[-1] == 0
    renamed = data.rename_label(added, "item", 0, "Love at first sight")
    assert renamed.items[0] == "Love at first sight" and renamed.item_counts()[0] == lecture.item_counts()[0]
    removed = data.remove_label(renamed, "user", 1)  # Bob
    expected = lecture.to_frame().drop(columns="Bob")
    expected.index = renamed.items
    got = removed.to_frame()
    assert list(got.columns) == ["Alice", "Carol", "Dave", "Erin"]
    assert np.array_equal(got.iloc[:, :3].to_numpy(), expected.to_numpy(), equal_nan=True)


def test_label_edits_reject_duplicates_blanks_and_removing_the_last(lecture):
    with pytest.raises(ValueError, match="already a user called 'Bob'"):
        data.add_label(lecture, "user", " Bob ")
    with pytest.raises(ValueError, match="needs a name"):
        data.add_label(lecture, "item", "   ")
    with pytest.raises(ValueError, match="already called 'Carol'"):
        data.rename_label(lecture, "user", 0, "Carol")
    single = Ratings.from_dense([[1.0]], items=["only"], users=["one"])
    with pytest.raises(ValueError, match="last item"):
        data.remove_label(single, "item", 0)


def test_unrated_labels_and_blank_grid():
    blank = data.blank_ratings(3, 2, (1, 5))
    assert blank.n_ratings == 0 and blank.rating_scale == (1.0, 5.0)
    assert data.unrated_labels(blank, "user") == ["user 1", "user 2"]
    with pytest.raises(ValueError, match="at least one item"):
        data.blank_ratings(0, 2, (1, 5))


def test_top_positions_orders_by_count_then_position():
    assert data.top_positions(np.array([3, 9, 3, 1, 9]), 3).tolist() == [1, 4, 0]
    assert data.top_positions(np.array([1, 2]), 10).tolist() == [1, 0]


def test_fingerprint_changes_with_any_value_label_or_scale(lecture):
    fp = data.fingerprint(lecture)
    assert fp == data.fingerprint(Ratings.from_frame(lecture.to_frame(), rating_scale=(0, 5)))
    edited = lecture.to_frame()
    edited.iloc[0, 0] = 4.0
    assert data.fingerprint(Ratings.from_frame(edited, rating_scale=(0, 5))) != fp
    assert data.fingerprint(data.rename_label(lecture, "user", 0, "Alicia")) != fp
    assert data.fingerprint(Ratings.from_frame(lecture.to_frame(), rating_scale=(0, 10))) != fp


def test_slice_merge_on_a_large_set_never_needs_the_dense_grid():
    r = synthetic_ratings(943, 1682, 100_000, random_state=1)
    items = data.top_positions(r.item_counts(), 50)
    users = data.top_positions(r.user_counts(), 30)
    edited = data.slice_frame(r, items, users)
    edited.iloc[0, 0] = NAN if not np.isnan(edited.iloc[0, 0]) else 3.0
    merged = data.merge_slice(r, items, users, edited)
    assert abs(merged.n_ratings - r.n_ratings) == 1
    assert merged.shape == r.shape


def test_grid_downloads_read_back_as_the_same_ratings(lecture):
    from cf_core.io import load_ratings

    assert load_ratings(data.ratings_csv(lecture), format="wide") == lecture
    edited = data.add_label(lecture, "user", "Erin")  # an unrated user survives the wide format
    assert load_ratings(data.ratings_csv(edited), format="wide") == edited
    part = data.slice_ratings(lecture, np.array([3, 0]), np.array([2]))
    assert list(part.items) == ["Nonstop car chases", "Love at last"] and part.values.tolist() == [5.0, 0.0]
    assert load_ratings(data.ratings_csv(part), format="wide") == part


def test_read_upload_uses_the_name_and_reports_how_it_read():
    r, report = data.read_upload(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "u.data")
    assert report.format == "movielens" and report.name == "u.data" and list(r.users) == [186, 196]
    titles = (b"242|Kolya (1996)|x\n", "u.item")
    titled, report = data.read_upload(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n", "u.data", titles)
    assert list(titled.items) == ["Kolya (1996)", "302"] and report.ids_without_title == 1
    choices = data.ReadChoices(format="long", header=False)
    r, report = data.read_upload(b"alice,10,5\nbob,20,4\n", "a.csv", choices=choices)
    assert list(r.users) == ["alice", "bob"] and report.header_how == "set when reading"
    assert choices.key() != data.ReadChoices().key()


def test_read_errors_name_the_file_once():
    from cf_core.io import DataFormatError

    try:
        data.read_upload(b"user,item,rating\nann,A,five\n", "photo.csv")
    except DataFormatError as exc:
        text = data.read_error_text(exc, "photo.csv")
    assert text == "Could not read photo.csv, line 2, column 'rating': 'five' is not a number"
    assert data.read_error_text(ValueError("format must be ..."), "a.csv") == "Could not read a.csv: format must be ..."
    try:
        data.read_upload(b"196\t242\t3\t0\n", "u.data", (b"nonsense\n", "u.item"))
    except DataFormatError as exc:
        assert data.read_error_text(exc, "u.data").startswith("Could not read u.item, line 1: expected 'id|title|")
