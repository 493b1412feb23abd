"""The whole page with every item and user named from the hostile-label corpus: nothing breaks, nothing renders.

The dataset is put into the session as an open workspace (the app's own state), under a file name that is
itself hostile, then trained; every results tab and teaching topic is visited. Markdown-rendering elements
(markdown, captions, alerts, widget labels, radio options) must carry labels escaped by
:func:`cf_app.literal.md`, never raw; plain-text elements (selectbox options, tables, grid headers) carry
them as they are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cf_app import data, grid, literal, state
from cf_app.teaching import labels as topic_labels
from cf_app.views import every_picture
from tests.hostile_labels import HOSTILE, LABELS, OUTSIDE, hostile_ratings

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TRAIN = "FormSubmitter:hyperparameters-Train"
SOURCE = "upload"  # the picker shows the upload choice, with no file: the workspace stays on screen
TITLE = f"**evil** $x^2$ :smile: <img src=http://{OUTSIDE}/t.png> ![t](http://{OUTSIDE}/t.png).csv"
KEY = "v0"  # the views' widget-key prefix of the first workspace
#: Raw forms that must never reach a markdown-rendering element (their escaped forms differ from them).
MARKUP = [
    HOSTILE[k] for k in ("markdown bold", "latex", "colour directive", "emoji shortcode", "markdown image", "html bold")
] + ["](http", "<img", "<a href"]


def markdown_texts(at: AppTest) -> list[str]:
    """Every string the page hands to Streamlit's markdown renderer."""
    texts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in at.get(kind)]
    widgets = [*at.selectbox, *at.multiselect, *at.radio, *at.slider, *at.number_input, *at.text_input, *at.toggle]
    texts += [w.label for w in widgets] + [m.label for m in at.metric]
    texts += [o for r in at.radio for o in r.options]
    return texts


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    failed = [e.value for e in at.error if "view failed" in e.value]
    assert not failed, failed
    for text in markdown_texts(at):
        for raw in MARKUP:
            assert not re.search(r"(?<!\\)" + re.escape(raw), text), (raw, text)


@pytest.fixture(scope="module")
def ratings():
    return hostile_ratings()


@pytest.fixture(scope="module")
def app(ratings) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    view = state.default_view(ratings)
    frame = data.slice_frame(ratings, view.item_pos, view.user_pos)
    ws = state.Workspace(SOURCE, TITLE, ratings, ratings, view, frame, uid=0)
    at.session_state[state.WORKSPACES] = {SOURCE: ws}
    at.session_state[state.ACTIVE] = SOURCE
    at.run()
    assert_clean(at)
    at.button(key=TRAIN).click().run()
    assert_clean(at)
    return at


def test_the_grid_shows_every_label_and_the_file_name_literally(app, ratings):
    editor = app.data_editor[0]
    shown = editor.value
    assert shown.shape == ratings.shape
    assert list(shown.index) == [str(x) for x in ratings.items]
    keys = list(shown.columns)
    assert len(set(keys)) == len(keys) and "_index" not in keys and "item" not in keys
    config = json.loads(editor.proto.columns)
    headers = [config[k]["label"] for k in keys]
    assert headers == [str(u) for u in ratings.users]  # drawn as plain text: the labels as they are
    assert any(literal.md(TITLE) in c.value for c in app.caption)


def test_editor_columns_are_the_labels_unless_streamlit_would_misread_them():
    frame = data.slice_frame(hostile_ratings(), np.arange(3), np.arange(len(LABELS) + 1))
    keys = grid.editor_columns(frame)
    by_label = dict(zip(LABELS, keys, strict=False))
    assert by_label["**bold**"] == "**bold**" and by_label["שלום עולם"] == "שלום עולם"
    for reserved in ("_index", "item", "", "  padded  ", "line\nbreak"):
        assert by_label[reserved].startswith("user #"), reserved
    assert keys[-1] != keys[LABELS.index("1")]  # the number 1 prints like the label "1"
    assert len(set(keys)) == len(keys)
    assert "user #1" not in keys[1:] or keys.index("user #1") == LABELS.index("user #1")


def test_an_edit_under_a_reserved_label_reaches_the_ratings_with_the_exact_labels(app, ratings):
    ws = app.session_state[state.WORKSPACES][SOURCE]
    keys = grid.editor_columns(ws.grid)
    user = LABELS.index("_index")
    item = LABELS.index("<b>bold</b>")
    delta = {"edited_rows": {item: {keys[user]: 1.5}}, "added_rows": [], "deleted_rows": []}
    app.session_state[app.data_editor[0].key] = delta
    app.run()
    assert_clean(app)
    app.button(key=TRAIN).click().run()  # trains on the grid as edited
    assert_clean(app)
    trained = app.session_state[state.WORKSPACES][SOURCE].result.ratings
    assert trained.to_frame().iloc[item, user] == 1.5
    assert list(trained.users) == list(ratings.users) and list(trained.items) == list(ratings.items)
    # A cell that is not a number is named by its item and user, escaped.
    delta["edited_rows"] = {item: {keys[user]: "**x**"}}
    app.session_state[app.data_editor[0].key] = delta
    app.run()
    message = next(e.value for e in app.error if "are not ratings" in e.value)
    assert literal.md(repr("<b>bold</b>")) in message and literal.md(repr("_index")) in message
    app.session_state[app.data_editor[0].key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": []}
    app.run()
    assert_clean(app)


@pytest.mark.parametrize(("tab", "radio", "picture"), every_picture())
def test_every_results_view_renders_with_hostile_labels(app, tab, radio, picture):
    app.session_state[state.RESULTS_TAB] = tab
    if radio:
        app.session_state[f"{KEY}_{radio}"] = picture
    app.run()
    assert_clean(app)


def test_recommendations_name_the_user_escaped_and_list_users_as_plain_text(app, ratings):
    app.session_state[state.RESULTS_TAB] = "Recommendations"
    app.run()
    picker = app.selectbox(key=f"{KEY}_rec_user")
    assert any(o.startswith("<b>bold</b> (") for o in picker.options)  # options are plain text
    for label in ("<b>bold</b>", "$x^2$", ":smile:", "_index"):
        picker.set_value(LABELS.index(label)).run()
        assert_clean(app)
        assert any(literal.md(label) in m.value for m in app.markdown), label


@pytest.mark.parametrize("topic", topic_labels())
def test_every_teaching_topic_renders_with_hostile_labels(app, topic):
    app.session_state[state.RESULTS_TAB] = "Teaching"
    app.run()
    app.radio(key=f"{KEY}_teach_topic").set_value(topic).run()
    assert_clean(app)
    if topic == "The cost, live":  # the rows with the largest gradients, named as written
        for what in ("item", "user"):
            prefixes = [
                f"Largest, dJ/d{'x' if what == 'item' else 'theta'} for {what} {literal.md(x)}: [" for x in LABELS
            ]
            assert any(c.value.startswith(p) for c in app.caption for p in prefixes), what
    if topic == "One prediction":
        item = LABELS.index("![x](http://example.invalid/x.png)")
        app.selectbox(key=f"{KEY}_teach_item").set_value(item).run()
        assert_clean(app)
        assert any(literal.md(LABELS[item]) in m.value for m in app.markdown)
    if topic == "Rate it yourself":
        picked = [LABELS.index(x) for x in ("**bold**", "$x^2$", "", ":streamlit:")]
        app.multiselect(key=f"{KEY}_teach_me_items").set_value(picked).run()
        assert_clean(app)
        assert [app.slider(key=f"{KEY}_teach_me_{p}").label for p in picked] == [literal.md(LABELS[p]) for p in picked]
    if topic == "Mean normalization":
        app.button(key=f"{KEY}_teach_norm_run").click().run()
        assert_clean(app)


@pytest.mark.parametrize("mode", ["marked", "unrated only"])
def test_the_predictions_table_keeps_every_user_as_its_own_column(app, ratings, mode):
    app.session_state[state.RESULTS_TAB] = "Predictions"
    app.run()
    app.radio(key=f"{KEY}_pred_mode").set_value(mode)
    app.toggle(key=f"{KEY}_pred_table").set_value(True).run()
    assert_clean(app)
    table = app.dataframe[0]
    assert table.value.shape == ratings.shape
    config = json.loads(table.proto.columns)
    assert [config[k]["label"] for k in table.value.columns] == [str(u) for u in ratings.users]
    app.toggle(key=f"{KEY}_pred_table").set_value(False).run()
