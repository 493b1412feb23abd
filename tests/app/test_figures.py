"""Figure builders are pure: called directly with arrays, checked for shape, labels, colour range and axis type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cf_app import figures

NAN = np.nan


@pytest.fixture
def lecture_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The course's 5 movies x 4 users (original with NaN = unrated) and a made-up prediction grid."""
    items = ["Love at last", "Romance forever", "Cute puppies of love", "Nonstop car chases", "Swords vs. karate"]
    users = ["Alice", "Bob", "Carol", "Dave"]
    original = pd.DataFrame(
        [[5, 5, 0, 0], [5, NAN, NAN, 0], [NAN, 4, 0, NAN], [0, 0, 5, 4], [0, 0, 5, NAN]],
        index=items,
        columns=users,
        dtype=float,
    )
    predicted = original.fillna(2.5)
    return original, predicted


def _rated_cells(original: pd.DataFrame) -> list[tuple[int, int]]:
    return sorted((int(i), int(j)) for i, j in np.argwhere(~np.isnan(original.to_numpy())))


def test_prediction_marked_outlines_exactly_the_rated_cells(lecture_frames):
    original, predicted = lecture_frames
    fig = figures.prediction_figure(predicted, original, (0, 5), mode="marked")
    (heat,) = fig.data
    assert np.array_equal(np.asarray(heat.z), predicted.to_numpy())
    assert list(heat.x) == list(original.columns) and list(heat.y) == list(original.index)
    assert (heat.zmin, heat.zmax) == (0, 5)
    outlined = sorted((round((s.y0 + s.y1) / 2), round((s.x0 + s.x1) / 2)) for s in fig.layout.shapes)
    assert outlined == _rated_cells(original)
    # Each box stays inside its own cell, so an unrated neighbour is never enclosed by the outlines.
    assert all(s.x1 - s.x0 < 1 and s.y1 - s.y0 < 1 for s in fig.layout.shapes)


def _png_pixels(uri: str) -> np.ndarray:
    """Decode figures.png_data_uri's output (RGBA, 8 bits, every row unfiltered) back to an (h, w, 4) array."""
    import base64
    import struct
    import zlib

    png = base64.b64decode(uri.split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", png[16:24])
    idat = png[png.index(b"IDAT") + 4 : png.index(b"IEND") - 8]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 4 * w)
    assert not rows[:, 0].any()
    return rows[:, 1:].reshape(h, w, 4)


def test_prediction_marked_dots_rated_cells_on_large_grids():
    rng = np.random.default_rng(0)
    original = pd.DataFrame(np.where(rng.random((30, 40)) < 0.2, 3.0, np.nan))
    fig = figures.prediction_figure(original.fillna(2.0), original, (1, 5), mode="marked")
    (heat,) = fig.data  # the dots are one image over the plot area, not thousands of markers
    (image,) = fig.layout.images
    assert (image.xref, image.yref, image.x, image.y, image.sizex, image.sizey) == ("x domain", "y domain", 0, 1, 1, 1)
    pixels = _png_pixels(image.source)
    px = pixels.shape[0] // 30
    assert pixels.shape == (30 * px, 40 * px, 4)
    centres = pixels[px // 2 :: px, px // 2 :: px, 3]  # alpha at each cell's centre
    assert sorted((int(i), int(j)) for i, j in np.argwhere(centres > 0)) == _rated_cells(original)
    assert pixels[..., 3].reshape(30, px, 40, px).any(axis=(1, 3)).sum() == len(_rated_cells(original))
    assert not fig.layout.shapes and "white dots" in fig.layout.title.text


def test_rated_dots_stay_small_for_the_largest_slice():
    image = figures.rated_dots(np.ones((300, 300), bool))
    assert max(image.shape[:2]) <= 1200 and image[..., 3].max() == 255


def test_prediction_unrated_only_blanks_rated_cells(lecture_frames):
    original, predicted = lecture_frames
    fig = figures.prediction_figure(predicted, original, (0, 5), mode="unrated only")
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.array_equal(np.isnan(z), ~np.isnan(original.to_numpy()))
    assert len(fig.data) == 1


def test_prediction_side_by_side_has_both_grids_on_one_scale(lecture_frames):
    original, predicted = lecture_frames
    fig = figures.prediction_figure(predicted, original, (0, 5), mode="side by side")
    left, right = fig.data
    assert np.array_equal(np.asarray(left.z, dtype=float), original.to_numpy(), equal_nan=True)
    assert np.array_equal(np.asarray(right.z, dtype=float), predicted.to_numpy())
    assert (left.zmin, left.zmax) == (right.zmin, right.zmax) == (0, 5)


def test_small_grids_print_values_and_large_ones_do_not(lecture_frames):
    original, predicted = lecture_frames
    assert figures.prediction_figure(predicted, original, (0, 5)).data[0].texttemplate
    big = pd.DataFrame(np.full((30, 30), 3.0))
    assert figures.prediction_figure(big, big.where(big < 0), (1, 5)).data[0].texttemplate is None


def test_numeric_labels_stay_categorical_and_in_data_order():
    """MovieLens ids 10, 2, 1 must not become a numeric axis sorted as 1, 2, 10."""
    grid = pd.DataFrame(np.ones((3, 3)), index=[10, 2, 1], columns=[7, 300, 5])
    fig = figures.prediction_figure(grid, grid, (1, 5))
    assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
    assert list(fig.data[0].y) == ["10", "2", "1"] and list(fig.data[0].x) == ["7", "300", "5"]


def test_prediction_rejects_mismatched_grids_and_unknown_mode(lecture_frames):
    original, predicted = lecture_frames
    with pytest.raises(ValueError, match="shape"):
        figures.prediction_figure(predicted.iloc[:3], original, (0, 5))
    with pytest.raises(ValueError, match="mode"):
        figures.prediction_figure(predicted, original, (0, 5), mode="3d")


def test_similarity_uses_a_diverging_scale_fixed_to_minus_one_one():
    S = np.array([[1.0, 0.2, -0.5], [0.2, 1.0, 0.1], [-0.5, 0.1, 1.0]])
    fig = figures.similarity_figure(S, [3, 1, 2], "Items")
    assert tuple(fig.layout.coloraxis.cmin for _ in [0]) == (-1,) and fig.layout.coloraxis.cmax == 1
    scale = [c[1] for c in fig.layout.coloraxis.colorscale]
    assert scale[0] != scale[-1]  # a two-ended (diverging) scale, RdBu
    assert list(fig.data[0].x) == ["3", "1", "2"] and fig.layout.xaxis.type == "category"
    assert np.array_equal(np.asarray(fig.data[0].z), S)


def test_similarity_keeps_its_range_even_when_values_are_narrow():
    """Colours must mean the same in every picture: a 0.9-1.0 matrix is not stretched to the full scale."""
    fig = figures.similarity_figure(np.array([[1.0, 0.9], [0.9, 1.0]]), ["a", "b"], "Users")
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-1, 1)


def test_similarity_rejects_non_square_or_mislabelled():
    with pytest.raises(ValueError, match="square"):
        figures.similarity_figure(np.ones((2, 3)), ["a", "b"], "x")
    with pytest.raises(ValueError, match="label"):
        figures.similarity_figure(np.ones((2, 2)), ["a"], "x")


def test_feature_heatmap_is_centred_on_zero_with_feature_columns():
    X = np.array([[0.5, -2.0], [1.0, 0.0], [0.0, 0.25]])
    fig = figures.feature_figure(X, ["a", "b", "c"], "X")
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-2.0, 2.0)
    assert list(fig.data[0].x) == ["feature 1", "feature 2"] and list(fig.data[0].y) == ["a", "b", "c"]


def test_cost_figure_plots_every_iteration_and_switches_to_log():
    costs = np.array([100.0, 10.0, 1.0, 0.5])
    fig = figures.cost_figure(costs)
    assert list(fig.data[0].x) == [0, 1, 2, 3] and np.array_equal(fig.data[0].y, costs)
    assert fig.layout.yaxis.type == "linear"
    assert figures.cost_figure(costs, log_y=True).layout.yaxis.type == "log"


def test_rmse_figure_aligns_training_from_iteration_one_and_validation_from_zero():
    fig = figures.rmse_figure(np.array([1.0, 0.8]), np.array([1.5, 1.1, 1.0]))
    train, val = fig.data
    assert list(train.x) == [1, 2] and list(val.x) == [0, 1, 2]
    assert (train.name, val.name) == ("training RMSE", "validation RMSE")


def test_pca_2d_keeps_a_two_dimensional_layout_and_pads_one_feature():
    rng = np.random.default_rng(0)
    plane = rng.normal(size=(50, 2)) @ np.array([[1.0, 0.0, 1.0], [0.0, 1.0, -1.0]])
    coords, share = figures.pca_2d(plane)
    assert coords.shape == (50, 2) and share.sum() == pytest.approx(1.0)
    centred = plane - plane.mean(axis=0)
    # Distances between points survive a projection onto the plane they lie in.
    d_in = np.linalg.norm(centred[:, None] - centred[None], axis=-1)
    d_out = np.linalg.norm(coords[:, None] - coords[None], axis=-1)
    assert np.allclose(d_in, d_out)
    one, share1 = figures.pca_2d(rng.normal(size=(5, 1)))
    assert one.shape == (5, 2) and np.all(one[:, 1] == 0) and share1[1] == 0


def test_latent_map_labels_points_and_checks_shapes():
    fig = figures.latent_map(np.zeros((3, 2)), np.ones((2, 2)), [1, 2, 3], ["ann", "bob"], ("f1", "f2"))
    items, users = fig.data
    assert list(items.hovertext) == ["1", "2", "3"] and list(users.hovertext) == ["ann", "bob"]
    assert fig.layout.xaxis.title.text == "f1"
    with pytest.raises(ValueError, match="coordinates"):
        figures.latent_map(np.zeros((3, 2)), np.ones((2, 2)), [1, 2], ["ann", "bob"])


def test_latent_map_uses_svg_for_the_100k_shape_and_webgl_beyond():
    rng = np.random.default_rng(0)
    fig = figures.latent_map(rng.normal(size=(1682, 2)), rng.normal(size=(943, 2)), range(1682), range(943))
    assert {t.type for t in fig.data} == {"scatter"}  # GPU-less browsers start WebGL slowly
    assert all(t.marker.size == 5 for t in fig.data)  # thousands of points: small markers all the same
    n = figures.LATENT_WEBGL_FROM
    fig = figures.latent_map(rng.normal(size=(n, 2)), rng.normal(size=(1, 2)), range(n), ["u"])
    assert {t.type for t in fig.data} == {"scattergl"}
