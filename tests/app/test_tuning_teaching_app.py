"""AppTests for the Tuning and Teaching tabs: the real page, a bundled sample, real training.

Each app opens a sample through the sidebar's dataset picker and presses Train with the sidebar's defaults
(k=2, lambda=1, 100 iterations, L-BFGS-B, item-mean normalization, seed 0), so the run-history hook runs
as it does for a person. Figures are tested through their builders in test_tuning.py / test_teaching.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cf_app import state, teaching, tuning
from cf_app.teaching import normalization
from cf_app.views import tuning_view
from cf_core import CollaborativeFiltering, samples

TRAIN = "FormSubmitter:hyperparameters-Train"
APP = str(Path(__file__).resolve().parents[2] / "app.py")
DEFAULTS = {"num_features": 2, "lambda_": 1.0, "max_iter": 100, "random_state": 0}


def app_with(sample: str, tab: str | None = None) -> tuple[AppTest, str]:
    """The page with ``sample`` open and trained once, on ``tab``; returns it and the views' key prefix."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    if at.selectbox(key=state.SOURCE_PICKER).value != sample:
        at.selectbox(key=state.SOURCE_PICKER).set_value(sample).run()
    at.button(key=TRAIN).click().run()
    assert not at.exception
    if tab is not None:
        at.session_state[state.RESULTS_TAB] = tab
        at.run()
        assert not at.exception
    return at, f"v{state_workspace_uid(at, sample)}"


def state_workspace_uid(at: AppTest, sample: str) -> int:
    return at.session_state[state.WORKSPACES][sample].uid


def lecture_model() -> CollaborativeFiltering:
    """The model the app trains on the lecture sample with the sidebar's defaults."""
    return CollaborativeFiltering(**DEFAULTS).fit(samples.load_sample("lecture"))


def topic(at: AppTest, key: str, name: str) -> AppTest:
    at.radio(key=f"{key}_teach_topic").set_value(name).run()
    assert not at.exception
    return at


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page with ``column`` (tables without selections have no key to look up)."""
    (found,) = [d.value for d in at.dataframe if column in d.value.columns]
    return found


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture(scope="module")
def tuning_app() -> tuple[AppTest, str]:
    return app_with("lecture", "Tuning")


@pytest.fixture(scope="module")
def teaching_app() -> tuple[AppTest, str]:
    return app_with("lecture", "Teaching")


# ------------------------------------------------------------------------------------------------ tuning
def test_tabs_are_registered(tuning_app):
    at, _ = tuning_app
    assert [t.label for t in at.tabs][-2:] == ["Tuning", "Teaching"]


def test_run_history_logs_runs_compares_and_exports(tuning_app):
    at, key = tuning_app
    at.slider(key="p_features").set_value(3)
    at.button(key=TRAIN).click().run()
    assert not at.exception
    runs = tuning.run_history(at.session_state)
    assert [(r.run, r.num_features) for r in runs][-2:] == [(1, 2), (2, 3)]
    history = table_with(at, "data version")
    assert history["k"].tolist()[-2:] == [2, 3]
    assert history["data version"].nunique() == 1
    compare = table_with(at, "B - A")
    assert compare.loc["k", "run A"] == "2" and compare.loc["k", "run B"] == "3"
    assert compare.loc["final cost", "B - A"] == pytest.approx(runs[-1].final_cost - runs[-2].final_cost)
    assert "Download history (CSV)" in [b.proto.label for b in at.get("download_button")]


def test_a_cached_result_is_logged_once_per_session():
    at, _ = app_with("lecture", "Tuning")  # the shared result cache already holds this fit
    runs = tuning.run_history(at.session_state)
    assert len(runs) == 1 and runs[0].final_cost == pytest.approx(lecture_model().cost_history_[-1])
    at.button(key=TRAIN).click().run()
    assert len(tuning.run_history(at.session_state)) == 1


def test_a_sweep_on_three_held_out_ratings_is_refused_and_says_why(tuning_app):
    at, key = tuning_app  # the lecture grid: 20% of 15 ratings is 3
    at.button(key=f"FormSubmitter:{key}_sweep_form-Run sweep").click().run()
    assert any("validate on 3 held-out rating(s)" in e.value for e in at.error)
    assert state.SWEEP not in at.session_state
    assert not [b for b in at.button if b.key == f"{key}_sweep_load"]


def test_sweep_shows_best_cell_and_loads_it_into_the_controls():
    at, key = app_with("movies-small", "Tuning")
    at.multiselect(key=f"{key}_sweep_k").set_value([1, 2])
    at.multiselect(key=f"{key}_sweep_lam").set_value([0.1, 10.0])
    at.number_input(key=f"{key}_sweep_iter").set_value(20)
    at.button(key=f"FormSubmitter:{key}_sweep_form-Run sweep").click().run()
    assert not at.exception
    results = at.session_state[state.SWEEP]["results"]
    assert len(results) == 4
    best = tuning.best_cell(results)
    k, lam = int(best["num_features"]), float(best["lambda_"])
    assert any(f"Best: k={k}, lambda={lam:g}" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 2
    at.button(key=f"{key}_sweep_load").click().run()
    assert not at.exception
    assert at.slider(key="p_features").value == k
    assert at.select_slider(key="p_lambda").value == lam


def test_sweep_needs_a_k_and_a_lambda(tuning_app):
    at, key = tuning_app
    at.multiselect(key=f"{key}_sweep_k").set_value([])
    at.button(key=f"FormSubmitter:{key}_sweep_form-Run sweep").click().run()
    assert any("Pick at least one k" in e.value for e in at.error)
    at.multiselect(key=f"{key}_sweep_k").set_value(tuning_view.DEFAULT_KS).run()


def _train_from_link(link: dict[str, str]) -> tuning.RunRecord:
    """Open the app from a shared link with these query parameters, press Train, and return the one run."""
    at = AppTest.from_file(APP, default_timeout=180)
    for name, value in link.items():
        at.query_params[name] = value
    at.run()
    at.button(key=TRAIN).click().run()
    assert not at.exception
    (run,) = tuning.run_history(at.session_state)
    return run


def test_a_shared_link_sets_the_hyperparameters():
    run = _train_from_link(
        {
            "p_features": "7",
            "p_lambda": "3",
            "p_iter": "40",
            "p_method": "ALS",
            "p_normalize": "None (seed)",
            "p_seed": "5",
            "p_validation": "20",
        }
    )
    assert (run.num_features, run.lambda_, run.max_iter, run.method, run.normalize, run.random_state) == (
        7,
        3.0,
        40,
        "als",
        None,
        5,
    )
    assert run.validation_rmse is not None


# ---------------------------------------------------------------------------------------------- teaching
def test_the_topic_registry_has_unique_labels_and_a_module_per_topic():
    labels = teaching.labels()
    assert len(labels) == len(set(labels)) == len(teaching.TOPICS)
    modules = [t.render.__module__ for t in teaching.TOPICS]
    assert len(set(modules)) == len(modules)
    assert all(m.startswith("cf_app.teaching.") for m in modules)


def test_the_picker_offers_the_registry_and_every_topic_renders_on_the_lecture_grid(teaching_app):
    at, key = teaching_app
    assert list(at.radio(key=f"{key}_teach_topic").options) == teaching.labels()
    for name in teaching.labels():
        topic(at, key, name)
        assert not at.error, name


def test_math_shows_formulas_with_current_values(teaching_app):
    at, key = teaching_app
    topic(at, key, "The cost, live")
    assert len(at.get("latex")) == 3  # the cost and its two gradients
    cm = teaching.current_math(lecture_model())
    assert float(metric(at, "J now")) == pytest.approx(cm.cost, rel=1e-5)
    # Beside each gradient, the row where it is largest (where training has the most left to do).
    worst = int(np.argmax(np.linalg.norm(cm.grad_X, axis=1)))
    item = lecture_model().ratings_.items[worst]
    assert any(c.value.startswith(f"Largest, dJ/dx for item {item}: [") for c in at.caption), item


def test_prediction_breakdown_for_a_picked_cell(teaching_app):
    at, key = teaching_app
    topic(at, key, "One prediction")
    at.selectbox(key=f"{key}_teach_item").set_value(2)  # Cute puppies of love, not rated by Alice
    at.selectbox(key=f"{key}_teach_user").set_value(0).run()
    features = table_with(at, "x_i")
    assert features["term"].tolist() == ["feature 1", "feature 2"]
    b = teaching.prediction_breakdown(lecture_model(), 2, 0)
    # The sum with its numbers (one table of the terms was a third copy of it: gone for the page's speed).
    (line,) = [x.value for x in at.get("latex") if r"\begin{aligned} \hat y" in x.value]
    for x, theta in zip(features["x_i"], features["theta_j"], strict=True):
        assert f"({x:.2f})({theta:.2f})" in line
    assert r"_{\mu_i}" in line and f"= {b.unclipped:.3f}" in line
    waterfall = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"][0]
    assert waterfall["x"] == ["feature 1", "feature 2", "item mean mu_i", "prediction"]
    assert waterfall["text"][-1] == f"{lecture_model().predict(0, 2):.3f}"
    assert any("not rated" in c.value for c in at.caption)


def test_gradient_check_button(teaching_app):
    at, key = teaching_app
    topic(at, key, "Gradient check")
    at.button(key=f"{key}_teach_gc_run").click().run()
    assert not at.exception
    assert any("below the 1e-9 criterion" in s.value for s in at.success)
    assert len(table_with(at, "numerical")) == 12


def test_training_replay_slider(teaching_app):
    at, key = teaching_app
    topic(at, key, "Training replay")
    slider = at.slider(key=f"{key}_teach_replay_step")
    last = slider.value
    n_iter = lecture_model().n_iter_
    assert metric(at, "Iteration") == f"{n_iter} / {n_iter}"
    slider.set_value(0).run()
    assert metric(at, "Iteration") == f"0 / {n_iter}"
    assert last == n_iter and float(metric(at, "Training RMSE")) > 1.0


def test_mean_normalization_on_a_new_user(teaching_app):
    at, key = teaching_app
    topic(at, key, "Mean normalization")
    assert at.selectbox(key=f"{key}_teach_norm_user").value == normalization.NEW_USER
    at.button(key=f"{key}_teach_norm_run").click().run()
    assert not at.exception
    assert metric(at, "Ratings by this user") == "0"
    assert float(metric(at, "|theta_j| without normalization")) == pytest.approx(0, abs=1e-3)
    table = table_with(at, "item mean")
    assert np.allclose(table["predicted, no normalization"], 0, atol=1e-2)
    assert np.allclose(table["predicted, mean normalization"], table["item mean"], atol=1e-2)


def test_rate_it_yourself_fold_in_and_retrain(teaching_app):
    at, key = teaching_app
    topic(at, key, "Rate it yourself")
    at.multiselect(key=f"{key}_teach_me_items").set_value([0, 3]).run()
    at.slider(key=f"{key}_teach_me_0").set_value(5.0)
    at.slider(key=f"{key}_teach_me_3").set_value(0.0).run()
    recs = table_with(at, "predicted_rating")
    mine = {"Love at last": 5.0, "Nonstop car chases": 0.0}
    expected = lecture_model().fold_in(mine).recommendations(5)
    assert recs["item"].tolist() == expected["item"].tolist()
    assert not set(mine) & set(recs["item"])
    at.button(key=f"{key}_teach_me_retrain").click().run()
    assert not at.exception
    table = table_with(at, "fold-in item")
    assert table["fold-in item"].tolist() == expected["item"].tolist()
    assert table["retrained item"].iloc[0] == "Romance forever"  # the romance fan's next romance


def test_dot_product_vs_cosine(teaching_app):
    at, key = teaching_app
    topic(at, key, "Dot product vs cosine")
    table = table_with(at, "by cosine")
    assert len(table) == 4 and set(table.columns) >= {"by dot product", "by cosine"}
    assert table["cosine"].is_monotonic_decreasing and table["dot"].is_monotonic_decreasing
    assert any("direction" in i.value for i in at.info)


def test_replay_explains_why_it_is_off_for_learned_biases():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["p_normalize"] = "Learned biases"
    at.run()
    at.button(key=TRAIN).click().run()
    at.session_state[state.RESULTS_TAB] = "Teaching"
    at.run()
    key = f"v{state_workspace_uid(at, 'lecture')}"
    topic(at, key, "Training replay")
    assert any("normalize='biases'" in i.value for i in at.info)
    assert not at.get("plotly_chart")


@pytest.mark.slow
def test_big_data_refuses_replay_and_sweeps_with_progress():
    at, key = app_with("synthetic-100k", "Teaching")
    topic(at, key, "Training replay")
    assert any("only offered for small data" in i.value for i in at.info)
    assert not at.get("plotly_chart")
    at.session_state[state.RESULTS_TAB] = "Tuning"
    at.run()
    at.button(key=f"FormSubmitter:{key}_sweep_form-Run sweep").click().run()  # k 2/5/10/20 x 4 lambdas, 50 its
    assert not at.exception
    stored = at.session_state[state.SWEEP]
    assert len(stored["results"]) == 16 and stored["max_iter"] == 50
    assert any(f"took {stored['seconds']:.1f} s" in s.value for s in at.success)


def test_a_shared_link_sets_bias_lambda_and_the_weighted_penalty():
    run = _train_from_link(
        {
            "p_features": "3",
            "p_lambda": "0.1",
            "p_bias_lambda": "3",
            "p_regularization": "Weighted by ratings (ALS-WR)",
            "p_normalize": "Learned biases",
            "p_method": "ALS",
        }
    )
    assert (run.lambda_, run.bias_lambda, run.regularization, run.normalize) == (0.1, 3.0, "weighted", "biases")


def test_a_sweep_waits_for_a_slot_of_the_servers_fit_queue():
    """A sweep is fits too: with the only slot held elsewhere it waits, then runs when the slot frees."""
    import threading
    import time

    from cf_app import fit_queue, training

    at, key = app_with("movies-small", "Tuning")
    at.multiselect(key=f"{key}_sweep_k").set_value([1])
    at.multiselect(key=f"{key}_sweep_lam").set_value([1.0])
    at.number_input(key=f"{key}_sweep_iter").set_value(5)
    queue = fit_queue.FitQueue(max_fits=1)
    old = fit_queue.set_shared_queue(queue)
    try:
        other = queue.submit()
        queue.start(other)
        released: list[float] = []

        def release_other() -> None:
            released.append(time.monotonic())
            queue.release(other, "done")

        tickets: list[fit_queue.Ticket] = []
        submit = queue.submit
        queue.submit = lambda *a, **kw: tickets.append(submit(*a, **kw)) or tickets[-1]  # type: ignore[method-assign]
        started: list[float] = []
        start = queue.start
        queue.start = lambda t: started.append(time.monotonic()) or start(t)  # type: ignore[method-assign]
        releaser = threading.Timer(2.0, release_other)
        releaser.start()
        at.button(key=f"FormSubmitter:{key}_sweep_form-Run sweep").click().run()
        releaser.join()
        assert not at.exception
        assert len(at.session_state[state.SWEEP]["results"]) == 1
        assert len(tickets) == 1 and len(started) == 1  # the sweep took one ticket for all its fits
        assert started[0] >= released[0]  # it started only once the other fit gave the slot up
        assert queue.counts() == (0, 0)  # and gave its own slot back
    finally:
        fit_queue.set_shared_queue(old)
        training._result_store.clear()
