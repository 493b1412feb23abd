"""Tests for cf_app.pickers: which items or users a picker offers, in which order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cf_app import pickers


def test_short_lists_keep_the_data_order_long_ones_put_the_most_rated_first() -> None:
    counts = np.array([1, 5, 3, 5])
    assert pickers.options(counts, data_order_up_to=4).tolist() == [0, 1, 2, 3]
    assert pickers.options(counts, data_order_up_to=3).tolist() == [1, 3, 2, 0]
    assert pickers.options(counts).tolist() == [1, 3, 2, 0]


def test_long_lists_can_be_capped() -> None:
    counts = np.arange(10)
    assert pickers.options(counts, data_order_up_to=5, at_most=3).tolist() == [9, 8, 7]
    assert pickers.options(counts, data_order_up_to=20, at_most=3).tolist() == list(range(10))


def test_matching_finds_any_case_as_plain_text_most_rated_first() -> None:
    labels = pd.Index(["Star Wars", "a star is born", "Heat", "(500) Days", "Starman"])
    counts = np.array([5, 9, 7, 1, 2])
    assert pickers.matching(labels, counts, "star").tolist() == [1, 0, 4]
    assert pickers.matching(labels, counts, "(500").tolist() == [3]  # not a regular expression
    assert pickers.matching(labels, counts, "star", limit=2).tolist() == [1, 0]
    assert pickers.matching(labels, counts, "zzz").tolist() == []
