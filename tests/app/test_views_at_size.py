"""Views that hold at every size: figure builders and layout helpers at k = 2, 10, 50 and on large grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cf_app import figures, teaching
from cf_app.teaching import prediction_live
from cf_core import CollaborativeFiltering
from cf_core.synthetic import synthetic_ratings


@pytest.fixture(scope="module")
def ratings():
    return synthetic_ratings(60, 80, 1_500, random_state=0)


@pytest.mark.parametrize("k", [2, 10, 50])
def test_the_prediction_sum_keeps_its_width_at_any_k(ratings, k):
    """At most four products written out, whatever k, and the total on a line of its own: with the offsets
    and "-> 5.00 (clipped)" on one line, the sum ran past the page at k = 5."""
    m = CollaborativeFiltering(k, 1.0, 5, normalize="biases", random_state=0).fit(ratings)
    b = teaching.prediction_breakdown(m, 0, 0)
    latex = prediction_live._breakdown_latex(b)
    first, second = latex.split(r"\\")
    assert first.count(")(") <= 4
    assert "b_i" in first and "c_j" in first  # the cost's names for the item and user biases
    assert f"{b.unclipped:.3f}" in second
    if k > 4:
        assert rf"{k}\ \text{{terms}}" in latex and f"{b.dot:.2f}" in latex


@pytest.mark.parametrize("k", [2, 10, 50])
def test_the_waterfall_keeps_few_short_unlabelled_bars_when_k_grows(ratings, k):
    m = CollaborativeFiltering(k, 1.0, 5, random_state=0).fit(ratings)
    b = teaching.prediction_breakdown(m, 0, 0)
    fig = figures.breakdown_figure(b)
    bars = list(fig.data[0].x)
    assert bars[-1] == "prediction"
    assert len(bars) <= figures.WATERFALL_FEATURES + 2  # features (+ "other") + item mean + prediction
    assert sum(fig.data[0].y[:-1]) == pytest.approx(b.unclipped)  # the bars still add up to the prediction
    if k == 2:
        assert bars[:2] == ["feature 1", "feature 2"] and fig.data[0].text[0] == f"{b.contributions[0]:+.3f}"
    else:
        assert all(len(x) <= len("other 42 features") for x in bars)
        assert all(t == "" for t in fig.data[0].text[:-1])  # values on hover, not piled over the bars
    if k == 50:
        assert "other 42 features" in bars


def test_dot_vs_cosine_points_are_labelled_once(ratings):
    m = CollaborativeFiltering(3, 1.0, 30, random_state=0).fit(ratings)
    table = teaching.neighbours(m, 0, 5)
    fig = figures.neighbours_figure(m, 0, table)
    dot, cos = fig.data[1], fig.data[2]
    assert "text" in dot.mode and all(dot.text)
    shared = set(table["by dot product"]) & set(table["by cosine"])
    assert sum(1 for t in cos.text if t == "") == len(shared)


def test_large_prediction_heatmaps_have_a_title_and_no_stray_legend():
    rng = np.random.default_rng(0)
    pred = pd.DataFrame(rng.uniform(1, 5, (60, 60)))
    orig = pred.where(rng.random((60, 60)) < 0.2)
    for mode in ("marked", "unrated only"):
        fig = figures.prediction_figure(pred, orig, (1, 5), mode=mode)
        assert fig.layout.title.text.startswith("Predicted ratings")
        assert not any(t.showlegend for t in fig.data if t.type != "heatmap")


def test_similarity_heatmaps_keep_square_cells_and_drop_unreadable_labels():
    rng = np.random.default_rng(0)
    V = rng.normal(size=(300, 5))
    S = (V / np.linalg.norm(V, axis=1)[:, None]) @ (V / np.linalg.norm(V, axis=1)[:, None]).T
    fig = figures.similarity_figure(S, [f"Film {i} (1999)" for i in range(300)], "Items")
    assert fig.layout.xaxis.scaleanchor == "y"  # square cells: not a tall strip in a half-width column
    assert fig.layout.height <= 560
    assert fig.layout.xaxis.showticklabels is False and "hover" in fig.layout.xaxis.title.text
    small = figures.similarity_figure(S[:5, :5], list("abcde"), "Items")
    assert small.layout.xaxis.showticklabels is not False


def test_latent_map_labels_each_spot_once():
    items = np.array([[0.0, 0.0], [0.001, 0.0], [1.0, 1.0]])
    users = np.array([[1.0, 0.0]])
    fig = figures.latent_map(items, users, ["a", "b", "c"], ["u"])
    assert list(fig.data[0].text) == ["a", "", "c"]  # b sits on a: one readable name
    assert fig.data[0].textposition != fig.data[1].textposition


def test_heatmaps_reserve_margins_from_their_shortened_labels():
    """Each heatmap reserves room for its labels (no automargin redraw), and long titles are shortened on the
    axis so a half-width chart keeps room for its cells; the categories (and hover) keep the whole label."""
    from cf_app.figures import heatmaps

    long = [f"The Long Title Number {i} Of A Film Nobody Saw ({1900 + i})" for i in range(50)]
    fig = figures.feature_figure(np.ones((50, 10)), long, "X")
    ticks = list(fig.layout.yaxis.ticktext)
    assert len(ticks) == 50 and ticks[0].endswith("…")
    assert all(len(t.replace("\u200b", "")) <= heatmaps.TICK_CHARS for t in ticks)  # (invisible: distinct)
    category = list(fig.data[0].y)[0]  # the category, on hover: longer (up to the plot-label limit)
    assert category.startswith(ticks[0][:-1]) and len(category) > len(ticks[0])
    assert fig.layout.margin.l <= heatmaps.TICK_CHARS * 7 + heatmaps.TICK_PAD_PX
    assert fig.layout.xaxis.tickangle == -90  # ten "feature k" labels do not fit side by side
    short = figures.feature_figure(np.ones((5, 2)), list("abcde"), "X")
    assert short.layout.xaxis.tickangle == 0 and short.layout.margin.l < fig.layout.margin.l
    assert short.layout.margin.b < fig.layout.margin.b
    # 300 rows: at most TICKS_MAX labels, every n-th
    many = figures.feature_figure(np.ones((300, 2)), [f"i{i}" for i in range(300)], "X")
    assert len(many.layout.yaxis.tickvals) <= heatmaps.TICKS_MAX and many.layout.yaxis.tickvals[1] == "i5"


@pytest.mark.parametrize(("k", "normalize", "slanted"), [(3, "mean", False), (2, "biases", True), (5, "biases", True)])
def test_the_waterfall_slants_its_names_past_five_bars(ratings, k, normalize, slanted):
    """Nine names side by side ("feature 1" ... "global mean", "item bias", "user bias") ran into each other in
    the half-width chart (100k sample, k = 5, learned biases); the lecture's five stay flat."""
    m = CollaborativeFiltering(k, 1.0, 5, normalize=normalize, random_state=0).fit(ratings)
    fig = figures.breakdown_figure(teaching.prediction_breakdown(m, 0, 0))
    assert (len(fig.data[0].x) > figures.WATERFALL_FLAT_BARS) == slanted
    assert (fig.layout.xaxis.tickangle == -45) == slanted
    if slanted:  # the margin below holds the longest name, slanted
        assert fig.layout.margin.b > 60
