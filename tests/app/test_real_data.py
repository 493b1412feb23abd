"""AppTests for issue "Real data, real classrooms": what the page shows on MovieLens-size data and on the
lecture grid as typed (defaults by data size, counts beside every list, honest grid feedback)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cf_app import literal, pickers, state

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TRAIN = "FormSubmitter:hyperparameters-Train"


def new_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception
    return at


def open_sample(at: AppTest, key: str) -> AppTest:
    at.selectbox(key=state.SOURCE_PICKER).set_value(key).run()
    assert not at.exception
    return at


def train(at: AppTest) -> AppTest:
    at.button(key=TRAIN).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def on_tab(at: AppTest, tab: str) -> AppTest:
    at.session_state[state.RESULTS_TAB] = tab
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def key_prefix(at: AppTest) -> str:
    return f"v{at.session_state[state.WORKSPACES][at.session_state[state.ACTIVE]].uid}"


def hyperparameters(at: AppTest) -> tuple[int, float, str]:
    return at.slider(key="p_features").value, at.select_slider(key="p_lambda").value, at.radio(key="p_normalize").value


@pytest.fixture(scope="module")
def large_app() -> AppTest:
    """The 100k synthetic sample, trained with the defaults the sidebar picks for it."""
    return train(open_sample(new_app(), "synthetic-100k"))


def test_lecture_keeps_the_course_defaults_and_large_data_gets_its_own_with_a_reason():
    at = new_app()
    assert hyperparameters(at) == (2, 1.0, "Item mean (course)")
    open_sample(at, "synthetic-100k")
    assert hyperparameters(at) == (5, 10.0, "Learned biases")
    assert not at.warning  # setting the widgets before drawing them is allowed
    assert any("Large data starts with learned biases" in c.value for c in at.sidebar.caption)
    open_sample(at, "lecture")
    assert hyperparameters(at) == (2, 1.0, "Item mean (course)")
    assert not any("Large data" in c.value for c in at.sidebar.caption)


def test_a_chosen_setting_stays_when_the_data_size_changes():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["p_features"] = "50"
    at.run()
    open_sample(at, "synthetic-100k")
    # k was chosen (50, not the lecture default 2) and stays; lambda and normalization were defaults and follow.
    assert hyperparameters(at) == (50, 10.0, "Learned biases")


def test_a_shared_link_keeps_its_settings_on_first_load():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["p_features"] = "7"
    at.run()
    assert at.slider(key="p_features").value == 7
    assert at.session_state[state.DEFAULTS_FOR] == "small"


def test_large_data_recommendations_show_counts_means_and_filter(large_app):
    at = on_tab(large_app, "Recommendations")
    params = at.session_state[state.WORKSPACES]["synthetic-100k"].result.params
    assert (params.num_features, params.lambda_, params.normalize) == (5, 10.0, "biases")
    key = key_prefix(at)
    assert at.number_input(key=f"{key}_rec_min").value == 20
    recs = at.dataframe[1].value
    assert list(recs.columns) == ["item", "predicted rating", "ratings", "mean rating"]
    assert (recs["ratings"] >= 20).all()
    assert any("fewer than 20 rating(s) are not offered" in c.value for c in at.caption)
    at.number_input(key=f"{key}_rec_min").set_value(60).run()
    (recs,) = [d.value for d in at.dataframe if "predicted rating" in d.value.columns]
    assert len(recs) == 5 and (recs["ratings"] >= 60).all()


def test_large_data_similarity_lists_carry_counts(large_app):
    at = on_tab(large_app, "Similarity")
    tables = {}
    for kind in ["items", "users"]:  # one at a time: the tab shows the items' or the users' similarities
        at.radio(key=f"{key_prefix(at)}_sim_kind").set_value(kind).run()
        (tables[kind],) = [d.value for d in at.dataframe if "similarity" in d.value.columns]
        assert len(at.get("plotly_chart")) == 1
    for t in tables.values():
        assert {"ratings", "mean rating"} <= set(t.columns)
    assert "item" in tables["items"].columns and "user" in tables["users"].columns
    assert (tables["items"]["ratings"] >= 20).all()


def test_large_latent_map_draws_the_slice_and_every_point_on_request(large_app):
    """2,625 points took ~0.5 s of browser time on every visit to the tab: the map starts with the slice."""
    at = on_tab(large_app, "Latent features")
    r = at.session_state[state.WORKSPACES][at.session_state[state.ACTIVE]].result.ratings

    def points() -> tuple[int, int]:
        fig = json.loads(at.get("plotly_chart")[-1].proto.spec)
        return tuple(len(t["hovertext"]) for t in fig["data"])  # x and y may be binary-encoded

    rows, columns = (
        at.number_input(key=k).value for k in (f"show_items_{key_prefix(at)[1:]}", f"show_users_{key_prefix(at)[1:]}")
    )
    at.radio(key=f"{key_prefix(at)}_latent_show").set_value("map").run()
    assert len(at.get("plotly_chart")) == 1  # the map alone: the heatmaps are the tab's other picture
    assert points() == (rows, columns)
    assert any("slice" in c.value for c in at.caption)
    at.toggle(key=f"{key_prefix(at)}_latent_all").set_value(True).run()
    assert points() == (r.n_items, r.n_users)


def test_long_pickers_list_the_most_rated_and_search_the_rest(large_app):
    """1,682 items in a list cost every visit to the tab; the list has the most rated, a search finds any."""
    at = on_tab(large_app, "Similarity")
    at.radio(key=f"{key_prefix(at)}_sim_kind").set_value("items").run()
    key = f"{key_prefix(at)}_sim_pick_items"
    r = at.session_state[state.WORKSPACES][at.session_state[state.ACTIVE]].result.ratings
    picker = at.selectbox(key=key)
    assert len(picker.options) == pickers.LIST_MAX < r.n_items
    first = picker.value
    rare = int(np.argmin(r.item_counts()))  # not among the most rated
    name = str(r.items[rare])
    at.text_input(key=f"{key}_find").input(name).run()
    picker = at.selectbox(key=key)
    assert picker.value == first  # a search does not change the pick by itself
    found = [o for o in picker.options if o.startswith(f"{name} (")]
    assert found, picker.options[:5]
    picker.select(found[0]).run()
    tables = [d.value for d in at.dataframe if "similarity" in d.value.columns and "item" in d.value.columns]
    assert tables and name not in tables[0]["item"].tolist()  # neighbours of the rare item, not itself
    assert at.selectbox(key=key).value == rare
    at.text_input(key=f"{key}_find").input("no such title at all").run()
    assert any("No name contains" in c.value for c in at.caption)
    assert at.selectbox(key=key).value == rare


def test_teaching_compares_item_mean_and_biases_on_one_user(large_app):
    at = on_tab(large_app, "Teaching")
    key = key_prefix(at)
    at.radio(key=f"{key}_teach_topic").set_value("Item mean vs biases").run()
    at.button(key=f"{key}_teach_mvb_run").click().run()
    assert not at.exception
    (table,) = [d.value for d in at.dataframe if "item mean: ratings" in d.value.columns]
    assert len(table) == 5 and "learned biases: ratings" in table.columns
    labels = [m.label for m in at.metric]
    assert "Median ratings per pick, item mean" in labels and "Median ratings per pick, learned biases" in labels


def test_lecture_lists_have_counts_and_no_filter():
    at = on_tab(train(new_app()), "Recommendations")
    assert at.number_input(key=f"{key_prefix(at)}_rec_min").value == 1
    assert "ratings" in at.dataframe[1].value.columns


# ------------------------------------------------------------------------------------------- the grid
def edit(at: AppTest, edited_rows: dict[int, dict[str, object]]) -> AppTest:
    at.session_state[at.data_editor[0].key] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    return at


def grid_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "items (rows)" in c.value)


def test_the_caption_follows_the_grid_as_typed_and_teaching_agrees():
    at = new_app()
    assert "5 items (rows) x 4 users (columns), 15 ratings" in grid_caption(at)
    assert "(5 movies x 4 users)" in grid_caption(at)
    edit(at, {2: {"Dave": "3"}, 1: {"Carol": "1"}})
    assert "17 ratings" in grid_caption(at)
    uid = at.session_state[state.WORKSPACES]["lecture"].uid
    at.text_input(key=f"new_user_{uid}").set_value("Erin")
    at.button(key=f"add_user_{uid}").click().run()
    assert "5 items (rows) x 5 users (columns), 17 ratings" in grid_caption(at)
    assert "(5 movies x 5 users)" in grid_caption(at)
    train(at)
    on_tab(at, "Teaching")
    assert any("summed over the 17 rated entries" in m.value for m in at.markdown)


def test_seven_on_a_zero_to_five_grid_and_text_are_named_and_kept():
    at = edit(new_app(), {3: {"Alice": "7"}, 1: {"Carol": "abc"}})
    (message,) = [e.value for e in at.error]
    # The message is markdown with the labels escaped (literal.md), so compare with the escaped text.
    assert literal.md("item 'Nonstop car chases', user 'Alice': 7 is outside the scale 0 to 5") in message
    assert literal.md("item 'Romance forever', user 'Carol': 'abc' is not a number") in message
    assert at.session_state[at.data_editor[0].key]["edited_rows"][3]["Alice"] == "7"  # as typed, not clipped
    assert "(before the invalid cells)" in grid_caption(at)


def test_the_rating_scale_is_shown_and_changed_with_the_grid():
    at = new_app()
    uid = at.session_state[state.WORKSPACES]["lecture"].uid
    at.number_input(key=f"scale_hi_{uid}").set_value(10.0)
    at.button(key=f"scale_apply_{uid}").click().run()
    assert not at.exception and not at.error
    assert at.session_state[state.WORKSPACES]["lecture"].working.rating_scale == (0.0, 10.0)
    assert "scale 0 to 10" in grid_caption(at)
    edit(at, {3: {"Alice": "7"}})
    assert not at.error
    at.number_input(key=f"scale_lo_{uid}").set_value(1.0)
    at.number_input(key=f"scale_hi_{uid}").set_value(5.0)
    at.button(key=f"scale_apply_{uid}").click().run()
    assert any("outside the scale 1 to 5" in e.value for e in at.error)
    assert at.session_state[state.WORKSPACES]["lecture"].working.rating_scale == (0.0, 10.0)
