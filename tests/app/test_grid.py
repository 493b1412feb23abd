"""Tests for cf_app.grid's pure parts: text cells read back, named problems, titles and the rating scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cf_app import data, grid, state
from cf_core import Ratings


def test_text_cells_round_trip_every_float(lecture_like):
    frame = data.slice_frame(lecture_like, np.arange(lecture_like.n_items), np.arange(lecture_like.n_users))
    text = grid.as_text(frame)
    assert text.iat[0, 0] == "5" and text.iat[1, 0] == "4.5" and text.iat[0, 2] == ""
    back, problems = grid.read_cells(text, lecture_like.rating_scale)
    assert problems == []
    pd.testing.assert_frame_equal(back, frame, check_names=False)


def test_out_of_scale_and_text_are_named_and_never_changed():
    typed = pd.DataFrame([["7", "abc"], ["", "3"], ["-1", 2.5]], index=["Up", "Heat"] + ["Jaws"], columns=["ann", "bo"])
    values, problems = grid.read_cells(typed, (0.0, 5.0))
    assert problems == [
        "item 'Up', user 'ann': 7 is outside the scale 0 to 5",
        "item 'Up', user 'bo': 'abc' is not a number",
        "item 'Jaws', user 'ann': -1 is outside the scale 0 to 5",
    ]
    assert np.isnan(values.iat[0, 0]) and values.iat[1, 1] == 3.0 and values.iat[2, 1] == 2.5
    assert typed.iat[0, 0] == "7"  # the person's grid is read, never rewritten


def test_numbers_in_other_spellings_are_accepted():
    typed = pd.DataFrame([[" 4 ", "3,5", "1e0", None, np.nan]], columns=list("abcde"))
    values, problems = grid.read_cells(typed, (0.0, 5.0))
    assert problems == [] and values.iloc[0, :3].tolist() == [4.0, 3.5, 1.0] and values.iloc[0, 3:].isna().all()
    _, problems = grid.read_cells(pd.DataFrame([["inf", True]], columns=["a", "b"]), (0.0, 5.0))
    assert len(problems) == 2


def test_the_title_follows_the_grid_shape():
    r = Ratings.from_dense(np.full((6, 5), 3.0))
    assert grid.counted_title("Lecture example (5 movies x 4 users)", r) == "Lecture example (6 movies x 5 users)"
    assert grid.counted_title("my.csv", r) == "my.csv"


def test_a_new_scale_keeps_every_rating_or_names_the_ones_outside(lecture_like):
    wider = grid.with_scale(lecture_like, 0.0, 10.0)
    assert wider.rating_scale == (0.0, 10.0) and wider == grid.with_scale(wider, 0.0, 10.0)
    assert np.array_equal(wider.values, lecture_like.values)
    with pytest.raises(ValueError, match="outside the scale 1 to 5"):
        grid.with_scale(lecture_like, 1.0, 5.0)  # a 0 and a 0.5 are rated
    with pytest.raises(ValueError, match="must be below"):
        grid.with_scale(lecture_like, 5.0, 5.0)


@pytest.fixture()
def lecture_like() -> Ratings:
    Y = [[5, 5, np.nan], [4.5, np.nan, 0], [0, 0.5, 5]]
    return Ratings.from_dense(Y, items=["a", "b", "c"], users=["x", "y", "z"], rating_scale=(0, 5))


def test_the_grid_text_is_made_once_per_grid(lecture_like):
    r = lecture_like
    ws = state.Workspace("s", "t", r, r, state.default_view(r), r.to_frame(), uid=0)
    text = ws.grid_text
    assert ws.grid_text is text  # the next run reuses it
    assert text.equals(grid.as_text(ws.grid))
    ws.show(ws.view)  # a new grid frame: new text
    assert ws.grid_text is not text and ws.grid_text.equals(grid.as_text(ws.grid))
