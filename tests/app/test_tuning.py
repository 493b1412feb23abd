"""Tests for cf_app.tuning: run history records, comparison, CSV export, sweep helpers and figures."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cf_app import tuning
from cf_app.state import RUN_HISTORY
from cf_core import CollaborativeFiltering, Ratings, train_test_split
from cf_core.synthetic import synthetic_ratings


@pytest.fixture(scope="module")
def split() -> tuple[Ratings, Ratings]:
    return train_test_split(synthetic_ratings(60, 80, 1500, random_state=1), 0.2, random_state=0)


def test_record_run_logs_hyperparameters_and_metrics(split):
    train, val = split
    state: dict = {}
    model = CollaborativeFiltering(3, 1.5, 20, random_state=0).fit(train, validation=val)
    rec = tuning.record_run(state, model, validation=val)
    assert state[RUN_HISTORY] == [rec]
    assert (rec.run, rec.num_features, rec.lambda_, rec.max_iter, rec.normalize) == (1, 3, 1.5, 20, "mean")
    assert rec.final_cost == pytest.approx(model.cost_history_[-1])
    assert rec.n_iter == model.n_iter_
    expected_val = np.sqrt(np.mean((model.predict_ratings(val) - val.values) ** 2))
    assert rec.validation_rmse == pytest.approx(expected_val)
    assert rec.validation_rmse == pytest.approx(model.validation_history_[-1])
    assert rec.data_version == tuning.data_fingerprint(train) and len(rec.data_version) == 8


def test_runs_are_numbered_and_data_versions_differ(small, split):
    state: dict = {}
    tuning.record_run(state, CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(small))
    second = tuning.record_run(state, CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(split[0]))
    runs = tuning.run_history(state)
    assert [r.run for r in runs] == [1, 2]
    assert runs[0].data_version != second.data_version
    assert runs[0].validation_rmse is None


def test_history_is_bounded(small):
    state: dict = {}
    models = [CollaborativeFiltering(k, 1.0, 2, random_state=0).fit(small) for k in (1, 2)]
    for n in range(tuning.MAX_RUNS + 3):
        tuning.record_run(state, models[n % 2])
    runs = tuning.run_history(state)
    assert len(runs) == tuning.MAX_RUNS and runs[-1].run == tuning.MAX_RUNS + 3


def test_training_the_latest_setup_again_logs_nothing_new(small):
    state: dict = {}
    first = tuning.record_run(state, CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(small))
    again = tuning.record_run(state, CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(small))
    assert again is first and len(tuning.run_history(state)) == 1
    tuning.record_run(state, CollaborativeFiltering(2, 3.0, 5, random_state=0).fit(small))
    tuning.record_run(state, CollaborativeFiltering(2, 1.0, 5, random_state=0).fit(small))  # back to the first
    assert [r.lambda_ for r in tuning.run_history(state)] == [1.0, 3.0, 1.0]


def test_record_run_rejects_unfitted_model():
    with pytest.raises(ValueError, match="not fitted"):
        tuning.record_run({}, CollaborativeFiltering())


def test_history_csv_round_trips(small, split):
    state: dict = {}
    tuning.record_run(state, CollaborativeFiltering(2, 0.5, 5, normalize=None, random_state=0).fit(small))
    tuning.record_run(state, CollaborativeFiltering(4, 2.0, 5, random_state=0).fit(split[0]), validation=split[1])
    back = pd.read_csv(io.BytesIO(tuning.history_csv(tuning.run_history(state))))
    assert list(back.columns) == tuning.HISTORY_COLUMNS
    assert back["num_features"].tolist() == [2, 4]
    assert back["normalize"].tolist() == ["none", "mean"]
    assert np.isnan(back["validation_rmse"][0]) and back["validation_rmse"][1] > 0


def test_compare_runs_deltas(small):
    a = tuning.make_record(CollaborativeFiltering(2, 1.0, 10, random_state=0).fit(small), 1)
    b = tuning.make_record(CollaborativeFiltering(3, 0.1, 30, random_state=0).fit(small), 2)
    table = tuning.compare_runs(a, b)
    assert table.loc["training RMSE", "B - A"] == pytest.approx(b.train_rmse - a.train_rmse)
    assert table.loc["final cost", "B - A"] == pytest.approx(b.final_cost - a.final_cost)
    assert table.loc["k", "run B"] == "3"
    assert pd.isna(table.loc["validation RMSE", "B - A"])
    assert table.loc["validation RMSE", "run A"] == tuning.MISSING  # not "None"


def test_history_on_screen_has_readable_headers_and_no_none(small):
    runs = [
        tuning.make_record(CollaborativeFiltering(2, 1.0, 10, random_state=0).fit(small), 1),
        tuning.make_record(CollaborativeFiltering(2, 1.0, 10, random_state=None).fit(small), 2),
    ]
    shown = tuning.history_display(runs)
    headers = list(shown.columns)
    assert headers[:6] == ["run", "k", "lambda", "normalization", "optimizer", "validation RMSE"]
    assert not any("_" in h for h in headers)
    # Numbers stay numbers (the table sorts by value); the browser formats them and shows "–" where empty.
    assert set(tuning.HISTORY_FORMATS) <= set(headers)
    assert shown["seed"].tolist()[0] == 0 and pd.isna(shown["seed"].tolist()[1])
    assert shown["validation RMSE"].isna().all() and shown["lambda"].dtype == float


def test_cost_curves_figure_has_one_trace_per_run(small):
    runs = [
        tuning.make_record(CollaborativeFiltering(2, lam, 10, random_state=0).fit(small), i)
        for i, lam in enumerate([0.1, 1.0], start=1)
    ]
    fig = tuning.cost_curves_figure(runs)
    assert [len(t.y) for t in fig.data] == [len(r.cost_history) for r in runs]


def test_run_sweep_reports_progress_and_best_cell(split):
    train, val = split
    seen = []
    results = tuning.run_sweep(
        train, [1, 3], [0.1, 10.0], validation=val, max_iter=15, progress=lambda d, t, row: seen.append((d, t))
    )
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    best = tuning.best_cell(results)
    assert best["validation_rmse"] == results["validation_rmse"].min()
    fig = tuning.sweep_heatmap(results)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (2, 2) and np.nanmin(z) == pytest.approx(best["validation_rmse"])
    rect = fig.layout.shapes[0]
    col = list(fig.data[0].x).index(f"{best['lambda_']:g}")
    row = list(fig.data[0].y).index(str(int(best["num_features"])))
    assert (rect.x0 + 0.5, rect.y0 + 0.5) == (col, row)


def test_validation_curves_one_line_per_k_and_best_star():
    results = pd.DataFrame(
        {
            "num_features": [2, 2, 5, 5],
            "lambda_": [0.1, 1.0, 0.1, 1.0],
            "train_rmse": [0.5, 0.6, 0.3, 0.5],
            "validation_rmse": [0.9, 0.8, 1.1, 0.85],
        }
    )
    fig = tuning.validation_curves(results)
    names = [t.name for t in fig.data]
    assert names[:4] == ["k=2 validation", "k=2 training", "k=5 validation", "k=5 training"]
    assert (fig.data[-1].x[0], fig.data[-1].y[0]) == (1.0, 0.8)
    assert fig.layout.xaxis.type == "log"


def test_best_cell_needs_validation():
    with pytest.raises(ValueError, match="no validation RMSE"):
        tuning.best_cell(pd.DataFrame({"num_features": [2], "lambda_": [1.0], "validation_rmse": [np.nan]}))


def test_records_and_sweep_figures_carry_bias_lambda(split):
    train, val = split
    model = CollaborativeFiltering(
        2, 0.1, 10, normalize="biases", bias_lambda=0.3, regularization="weighted", random_state=0
    ).fit(train)
    rec = tuning.make_record(model, 1, validation=val)
    assert (rec.bias_lambda, rec.regularization) == (0.3, "weighted")
    results = tuning.run_sweep(
        train, [2, 3], [0.1, 1.0], validation=val, bias_lambdas=[0.1, 3.0], normalize="biases", max_iter=10
    )
    assert len(results) == 8
    best = tuning.best_over_bias_lambda(results)
    assert len(best) == 4
    for _, row in best.iterrows():
        same = results[(results["num_features"] == row["num_features"]) & (results["lambda_"] == row["lambda_"])]
        assert row["validation_rmse"] == same["validation_rmse"].min()
    heat = tuning.sweep_heatmap(results)
    assert np.nanmin(heat.data[0].z) == pytest.approx(tuning.best_cell(results)["validation_rmse"])
    assert len(tuning.validation_curves(results).data) == 2 * 2 + 1  # two lines per k, and the best star
