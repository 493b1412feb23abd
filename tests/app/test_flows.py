"""AppTest flows through the real page: load each sample, edit, train, every results view, bad input.

AppTest cannot type into a data_editor, but a keyed editor's edit state (``edited_rows``) may be assigned
before ``run()`` and the script then receives the edited table, exactly as after typing in a browser.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit.config
from streamlit.testing.v1 import AppTest

from cf_app import literal, state, training
from cf_app.views import every_picture
from cf_app.views import labels as view_labels
from cf_core import samples
from cf_core.io import save_ratings

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TRAIN = "FormSubmitter:hyperparameters-Train"
RESULT_TABS = ["Predictions", "Cost curve", "Recommendations", "Similarity", "Latent features"]


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No exception anywhere on the page (an uncaught one would show a traceback)."""
    assert not at.exception, [e.message for e in at.exception]


def workspace(at: AppTest, source: str | None = None) -> state.Workspace:
    return at.session_state[state.WORKSPACES][source or at.session_state[state.ACTIVE]]


def edit(at: AppTest, edited_rows: dict[int, dict[str, object]]) -> AppTest:
    """Type into the grid: assign the editor's edit state, as the browser would send it."""
    at.session_state[at.data_editor[0].key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    return at.run()


def grid_values(at: AppTest) -> pd.DataFrame:
    """The grid on screen as numbers (the editor shows text cells; empty = not rated = NaN)."""
    return at.data_editor[0].value.apply(lambda col: pd.to_numeric(col.replace("", np.nan)))


def train(at: AppTest) -> AppTest:
    at.button(key=TRAIN).click().run()
    assert_clean(at)
    return at


def open_sample(at: AppTest, key: str) -> AppTest:
    at.selectbox(key=state.SOURCE_PICKER).set_value(key).run()
    assert_clean(at)
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_the_page_opens_on_the_lecture_grid_items_as_rows():
    at = new_app()
    grid = grid_values(at)
    assert list(grid.columns) == ["Alice", "Bob", "Carol", "Dave"]
    assert grid.index[0] == "Love at last" and grid.loc["Love at last", "Alice"] == 5.0
    assert np.isnan(grid.loc["Romance forever", "Bob"])
    assert [b.label for b in at.sidebar.button if b.label == "Train"] == ["Train"]
    assert not errors(at)


@pytest.mark.parametrize("key", [s.key for s in samples.SAMPLES])
def test_every_sample_loads_into_an_editable_grid(key):
    at = open_sample(new_app(), key)
    ws = workspace(at)
    assert ws.source == key and at.data_editor[0].value.shape == ws.grid.shape
    r = ws.working
    if r.n_items * r.n_users > state.FULL_GRID_MAX_CELLS:
        # A 1.6M-cell grid is not editable by a person: the editor shows the most active slice.
        assert ws.view.mode == "slice" and ws.grid.shape == (50, 30)
    else:
        assert ws.grid.shape == r.shape
    assert not errors(at)


def test_the_dataset_box_shows_short_names_and_the_caption_below_the_full_title():
    """A title such as "Lecture example (5 movies x 4 users)" is cut off in the sidebar's box; its name fits."""
    at = new_app()
    names = [s.name for s in samples.SAMPLES]
    assert at.selectbox(key=state.SOURCE_PICKER).options == [*names, "Blank grid…", "Upload a file…"]
    for sample in samples.SAMPLES[:2]:
        open_sample(at, sample.key)
        assert sample.name != sample.title
        assert any(c.value.startswith(f"**{literal.md(sample.title)}**") for c in at.sidebar.caption)
        assert workspace(at).title == sample.title  # the grid and messages keep the full title


def test_train_then_every_results_tab_renders_without_retraining():
    training._result_store.clear()  # a fresh fit, whichever test trained the lecture grid before in this process
    at = train(new_app())
    ws = workspace(at)
    assert ws.result is not None and not ws.result.from_cache
    assert view_labels()[: len(RESULT_TABS)] == RESULT_TABS
    fitted = ws.result.model
    for tab, radio, picture in every_picture():
        at.session_state[state.RESULTS_TAB] = tab
        if radio:
            at.session_state[f"v{ws.uid}_{radio}"] = picture
        at.run()
        assert_clean(at)
        assert not errors(at), (tab, picture, errors(at))
        assert workspace(at).result.model is fitted  # switching views never retrains
    at.session_state[state.RESULTS_TAB] = "Recommendations"
    at.run()
    recs = at.dataframe[1].value  # [0] is the grid editor
    assert len(recs) >= 1 and recs["predicted rating"].between(0, 5).all()


def test_edits_survive_training_parameter_changes_and_tab_changes():
    at = edit(new_app(), {2: {"Alice": 1.0}})  # Cute puppies of love, rated by Alice
    key = at.data_editor[0].key
    train(at)
    at.slider(key="p_features").set_value(3)
    at.selectbox(key="p_method").set_value("ALS")
    train(at)
    at.session_state[state.RESULTS_TAB] = "Similarity"
    at.run()
    assert at.data_editor[0].key == key  # the editor was never reset, so the edit state is intact
    ws = workspace(at)
    assert ws.result.params.num_features == 3 and ws.result.params.method == "als"
    assert ws.result.ratings.to_frame().loc["Cute puppies of love", "Alice"] == 1.0


def test_text_in_a_rating_cell_is_named_and_blocks_training_but_keeps_the_grid():
    at = edit(new_app(), {1: {"Carol": "lots"}, 0: {"Bob": 3.0}})
    assert any("'Romance forever'" in e and "'Carol'" in e and "'lots'" in e for e in errors(at))
    train(at)
    assert any(e.startswith("Cannot train") for e in errors(at))
    assert workspace(at).result is None
    assert at.session_state[at.data_editor[0].key]["edited_rows"][0]["Bob"] == 3.0


def test_out_of_scale_rating_is_named():
    at = edit(new_app(), {3: {"Alice": 9}})
    (message,) = errors(at)
    assert "outside the scale 0 to 5" in message and "Nonstop car chases" in message and "9" in message


def test_blank_grid_warns_that_there_is_nothing_to_train_on():
    at = open_sample(new_app(), "blank")
    at.number_input(key="blank_items").set_value(3)
    at.number_input(key="blank_users").set_value(2)
    at.button(key="blank_create").click().run()
    assert_clean(at)
    assert workspace(at).grid.shape == (3, 2)
    train(at)
    assert any("empty grid" in w for w in warnings(at))
    assert workspace(at).result is None


def test_add_rename_remove_users_and_items():
    at = new_app()
    uid = workspace(at).uid
    at.text_input(key=f"new_user_{uid}").set_value("Erin")
    at.button(key=f"add_user_{uid}").click().run()
    assert_clean(at)
    assert list(at.data_editor[0].value.columns) == ["Alice", "Bob", "Carol", "Dave", "Erin"]
    assert any("without any rating: Erin" in w for w in warnings(at))
    at.selectbox(key=f"pick_item_{uid}").set_value(0)
    at.text_input(key=f"rename_item_{uid}").set_value("Love at first sight")
    at.button(key=f"do_rename_item_{uid}").click().run()
    assert at.data_editor[0].value.index[0] == "Love at first sight"
    at.selectbox(key=f"pick_user_{uid}").set_value(1)
    at.button(key=f"do_remove_user_{uid}").click().run()
    assert list(at.data_editor[0].value.columns) == ["Alice", "Carol", "Dave", "Erin"]
    at.text_input(key=f"new_user_{uid}").set_value("Carol")
    at.button(key=f"add_user_{uid}").click().run()
    assert any("already a user called 'Carol'" in e for e in errors(at))
    assert_clean(at)


def test_structure_changes_keep_typed_cells_and_reset_drops_everything():
    at = edit(new_app(), {1: {"Bob": 2.0}})
    uid = workspace(at).uid
    at.text_input(key=f"new_item_{uid}").set_value("Toy story")
    at.button(key=f"add_item_{uid}").click().run()
    grid = grid_values(at)
    assert grid.loc["Romance forever", "Bob"] == 2.0 and "Toy story" in grid.index
    at.button(key=f"reset_{uid}").click().run()
    assert_clean(at)
    original = samples.load_sample("lecture").to_frame()
    assert np.array_equal(grid_values(at).to_numpy(), original.to_numpy(), equal_nan=True)


def test_switching_datasets_keeps_each_grid():
    at = edit(new_app(), {0: {"Alice": 2.0}})
    open_sample(at, "movies-small")
    assert at.data_editor[0].value.shape == samples.load_sample("movies-small").shape
    open_sample(at, "lecture")
    assert grid_values(at).loc["Love at last", "Alice"] == 2.0


def test_same_data_and_parameters_come_from_the_cache():
    at = train(new_app())
    first = workspace(at).result
    train(at)
    again = workspace(at).result
    assert again.from_cache and again.fingerprint == first.fingerprint
    assert np.array_equal(again.model.X_, first.model.X_)


def test_an_interrupted_training_is_reported_and_the_previous_result_kept():
    at = train(new_app())
    before = workspace(at).result
    # What a Stop click leaves behind: the run was interrupted inside the fit, so the flag is still set.
    at.session_state[state.TRAINING] = {"source": "lecture", "iteration": 7}
    at.run()
    assert_clean(at)
    assert any("stopped after iteration 7" in w and "previous results are kept" in w for w in warnings(at))
    assert workspace(at).result is before


def test_validation_share_adds_rmse_curves():
    at = open_sample(new_app(), "movies-small")
    at.slider(key="p_validation").set_value(20)
    train(at)
    result = workspace(at).result
    assert result.validation is not None and result.validation.n_ratings > 0
    assert len(result.train_rmse_history) == result.model.n_iter_
    # The curve's last point is the final model's training RMSE (recorded during the fit, checked after it).
    train_set = result.model.ratings_
    final = np.sqrt(np.mean((result.model.predict_ratings(train_set) - train_set.values) ** 2))
    assert result.train_rmse_history[-1] == pytest.approx(final)
    assert result.validation.n_ratings + train_set.n_ratings == result.ratings.n_ratings
    at.session_state[state.RESULTS_TAB] = "Cost curve"
    at.run()
    assert_clean(at)
    assert "Validation RMSE" in [m.label for m in at.metric]


def test_uploads_open_as_a_dataset_and_rejected_files_keep_the_grid():
    at = edit(new_app(), {0: {"Alice": 4.0}})
    open_sample(at, "upload")
    at.get("file_uploader")[0].set_value(("bad.csv", b"user,item,rating\nann,A,five\n", "text/csv")).run()
    assert_clean(at)
    assert any("Could not read bad.csv" in e for e in errors(at))
    assert workspace(at).source == "lecture"
    assert at.session_state[at.data_editor[0].key]["edited_rows"] == {0: {"Alice": 4.0}}  # the typed cell is kept
    good = save_ratings(samples.load_sample("movies-small"))
    at.get("file_uploader")[0].set_value(("mine.csv", good, "text/csv")).run()
    assert_clean(at)
    assert workspace(at).source.startswith("upload:mine.csv") and at.data_editor[0].value.shape == (30, 20)


def test_uploads_over_the_limit_are_refused_with_the_limit_named():
    at = new_app()
    previous = streamlit.config.get_option("server.maxUploadSize")
    streamlit.config.set_option("server.maxUploadSize", 1)
    try:
        open_sample(at, "upload")
        at.get("file_uploader")[0].set_value(("huge.csv", b"0" * (2 << 20), "text/csv")).run()
    finally:
        streamlit.config.set_option("server.maxUploadSize", previous)
    assert_clean(at)
    assert any("huge.csv is 2.0 MB; the limit is 1 MB" in e for e in errors(at))


def test_the_upload_limit_is_set_in_config_and_stated_in_the_help():
    config = (Path(APP).parent / ".streamlit" / "config.toml").read_text()
    assert "maxUploadSize = 50" in config
    at = open_sample(new_app(), "upload")
    assert "Up to 50 MB" in at.get("file_uploader")[0].proto.help


def test_two_sessions_share_nothing():
    one, two = new_app(), new_app()
    edit(one, {0: {"Alice": 1.0}})
    uid = workspace(one).uid
    one.text_input(key=f"new_user_{uid}").set_value("Erin")
    one.button(key=f"add_user_{uid}").click().run()
    train(one)
    two.run()
    assert "Erin" not in two.data_editor[0].value.columns
    assert grid_values(two).loc["Love at last", "Alice"] == 5.0
    assert workspace(two).result is None
    assert workspace(one).working is not workspace(two).working


def test_large_data_trains_and_shows_readable_slices():
    at = open_sample(new_app(), "synthetic-100k")
    at.slider(key="p_iter").set_value(5)
    train(at)
    ws = workspace(at)
    assert ws.result is not None and ws.result.model.n_iter_ <= 5
    for tab in RESULT_TABS:
        at.session_state[state.RESULTS_TAB] = tab
        at.run()
        assert_clean(at)
        assert not errors(at), (tab, errors(at))
    rows = at.number_input(key=f"show_items_{ws.uid}")
    assert rows.value == 50  # heatmaps show the 50 most rated items, not 1,682
    # One user's ratings: every item in a single column.
    at.radio(key=f"grid_mode_{ws.uid}").set_value("user").run()
    assert_clean(at)
    assert at.data_editor[0].value.shape == (1682, 1)


def test_a_validation_share_the_data_cannot_spare_is_an_error_not_a_traceback():
    at = open_sample(new_app(), "blank")
    at.button(key="blank_create").click().run()
    edit(at, {0: {"user 1": 4.0}})
    at.slider(key="p_validation").set_value(50)
    train(at)
    assert any(e.startswith(literal.md("Training failed: cannot hold out")) for e in errors(at))
    assert workspace(at).result is None


def test_shape_changes_wait_until_invalid_cells_are_fixed():
    at = edit(new_app(), {2: {"Bob": 12}})
    uid = workspace(at).uid
    at.text_input(key=f"new_user_{uid}").set_value("Erin")
    at.button(key=f"add_user_{uid}").click().run()
    assert_clean(at)
    assert any("Fix the invalid cell(s) first" in e for e in errors(at))
    assert "Erin" not in at.data_editor[0].value.columns
    assert at.session_state[at.data_editor[0].key]["edited_rows"] == {2: {"Bob": 12}}


def test_an_edit_in_a_large_slice_lands_on_its_item_and_user():
    at = open_sample(new_app(), "synthetic-100k")
    ws = workspace(at)
    item, user = ws.grid.index[3], ws.grid.columns[4]
    edit(at, {3: {user: 1.5}})
    at.radio(key=f"grid_mode_{ws.uid}").set_value("user").run()  # a slice change commits the typed cell
    assert_clean(at)
    r = workspace(at).working
    i, u = r.items.astype(str).get_loc(item), r.users.astype(str).get_loc(user)
    assert r.values[(r.item_idx == i) & (r.user_idx == u)].tolist() == [1.5]


def test_movielens_upload_with_a_titles_file_labels_items_by_title():
    at = open_sample(new_app(), "upload")
    titles = b"10|Toy Story (1995)|01-Jan-1995||http://x|0|0\n20|GoldenEye (1995)|01-Jan-1995||http://x|0|1\n"
    at.get("file_uploader")[1].set_value(("u.item", titles, "application/octet-stream")).run()
    ratings = b"1\t10\t5\t881250949\n2\t10\t3\t881250950\n1\t20\t4\t881250951\n"
    at.get("file_uploader")[0].set_value(("u.data", ratings, "application/octet-stream")).run()
    assert_clean(at)
    assert list(at.data_editor[0].value.index) == ["Toy Story (1995)", "GoldenEye (1995)"]
    assert list(at.data_editor[0].value.columns) == ["1", "2"]


def test_empty_cells_in_result_tables_show_a_dash_or_nothing_never_none():
    """Every table that can have an empty cell names what it shows there, and its numbers are formatted by
    column settings (the browser formats them; a pandas Styler cost ~100 ms of each run)."""
    at = train(new_app())
    at.slider(key="p_features").set_value(3)
    train(at)  # two runs: the Tuning tab compares them
    key = f"v{workspace(at).uid}"
    seen = {}
    for tab, topic in [
        ("Predictions", None),
        ("Recommendations", None),
        ("Similarity", None),
        ("Tuning", None),
        ("Teaching", "Mean normalization"),
    ]:
        at.session_state[state.RESULTS_TAB] = tab
        if topic:
            at.session_state[f"{key}_teach_topic"] = topic
        if tab == "Predictions":
            at.session_state[f"{key}_pred_table"] = True
            at.session_state[f"{key}_pred_mode"] = "unrated only"
        at.run()
        if topic:
            at.button(key=f"{key}_teach_norm_run").click().run()  # a new user: nothing rated
        assert not errors(at), (tab, errors(at))
        for frame in at.dataframe[1:]:  # [0] is the grid editor
            value = frame.value
            if isinstance(value, pd.DataFrame) and value.select_dtypes("number").isna().any().any():
                assert frame.proto.HasField("placeholder") and frame.proto.placeholder != "None", tab
                seen.setdefault(tab, []).append(frame.proto.placeholder)
            assert "style" not in type(value).__name__.lower(), tab  # no Styler: formats are column settings
            assert not frame.proto.arrow_data.HasField("styler"), tab
    # The tables that have empty cells on the lecture grid: rated cells among the unrated-only predictions,
    # the comparison's settings rows (no B - A), the items this user did not rate.
    assert seen == {"Predictions": [""], "Tuning": ["–", ""], "Teaching": ["–"]}
