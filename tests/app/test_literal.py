"""The two escapes of :mod:`cf_app.literal`, and every figure builder fed the hostile-label corpus.

Streamlit's markdown cannot run here, so the rules it applies (Streamlit 1.67's frontend, read from its
bundle) are written out below as regular expressions: CommonMark's backslash escapes, the checks that
decide whether KaTeX or emoji are loaded (made on the source), and the substitutions made on the parsed
text (emoji, its logo, typographic arrows). A label passes when, after the escapes are resolved, it is
exactly the label again and none of those rules would fire on it.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cf_app import figures, literal, teaching
from cf_core import CollaborativeFiltering
from tests.hostile_labels import HOSTILE, LABELS, OUTSIDE, hostile_ratings

# Punctuation that opens markdown (CommonMark, GFM, KaTeX, directives) anywhere in a line; the rest only
# after one of these. At a line start, also: headings, lists, setext lines, ordered lists, indented code.
SYNTAX = re.compile(r"[\\`*_~\[\]<>&$:|]")
LINE_START = re.compile(r"[ \t]{0,3}(?:[#+=*-](?:[ \t#+=*-]|$)|[0-9]{1,9}[.)](?:[ \t]|$))|[ \t]{4}")
BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# Source-level checks in Streamlit's markdown component: KaTeX is loaded when the source has $...$ (after
# dropping backslash-escaped $), remark-emoji when it has :name:, and ":material/" names an icon.
KATEX_NEEDED = re.compile(r"(?<!\$)\$(?![\s$])[^$\n]*?[^\s$]\$(?!\d)|(?<!\$)\$\$+(?!\$)[\s\S]*?\$\$")
EMOJI_NEEDED = re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", re.ASCII)
# Text-level substitutions (they run after the escapes are resolved).
TEXT_REWRITES = [
    re.compile(r":\+1:|:-1:|:[\w-]+:", re.ASCII),  # remark-emoji
    re.compile(r":streamlit:"),
    re.compile(r"(^|[\s\ufeff])(<->|->|<-|--|>=|<=|~=)([\s\ufeff]|$)"),
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE | re.ASCII),  # GFM autolinks
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII),
]


def resolve(markdown: str) -> str:
    """The text CommonMark shows for ``markdown`` made only of escaped punctuation and plain characters."""
    return BACKSLASH_ESCAPE.sub(r"\1", markdown)


def markup_left(markdown: str) -> str:
    """Syntax characters that are not backslash-escaped, and a list/heading/code marker opening the line."""
    bare = BACKSLASH_ESCAPE.sub("", markdown)
    left = "".join(SYNTAX.findall(bare))
    return left + ("<line start>" if LINE_START.match(markdown) else "")


def expected_text(label: object) -> str:
    return re.sub(r"\r\n|[\r\n\v\f\x85\u2028\u2029]", " ", str(label))


def assert_literal_markdown(label: object) -> None:
    out = literal.md(label)
    assert markup_left(out) == "", (label, out)
    assert resolve(out).replace(literal.WORD_JOINER, "") == expected_text(label)
    assert not KATEX_NEEDED.search(BACKSLASH_ESCAPE.sub("_", out)), out
    assert not EMOJI_NEEDED.search(out) and ":material/" not in out, out
    shown = resolve(out)
    for rule in TEXT_REWRITES:
        assert not rule.search(shown), (label, rule.pattern)
    assert "\n" not in out and "\r" not in out


@pytest.mark.parametrize("name", list(HOSTILE))
def test_markdown_escape_shows_each_hostile_label_as_written(name):
    assert_literal_markdown(HOSTILE[name])


@given(st.text())
def test_markdown_escape_shows_any_text_as_written(text):
    assert_literal_markdown(text)


def test_markdown_escape_leaves_plain_words_alone_and_adds_nothing_visible():
    assert literal.md("Alice") == "Alice"
    assert literal.md("שלום עולם") == "שלום עולם"
    assert literal.md(42) == "42"
    assert literal.md("a -> b").replace(literal.WORD_JOINER, "") == r"a -\> b"
    assert literal.md("Star Wars: Episode IV (1977), it's") == r"Star Wars\: Episode IV (1977), it's"
    assert literal.md("- list") == r"\- list" and literal.md("1. first") == r"1\. first" and literal.md("-1") == "-1"
    assert literal.md("12:30:45") == "12\\:\u206030\\:45"  # ":30:" looks like a shortcode


@pytest.mark.parametrize("name", list(HOSTILE))
def test_plot_escape_keeps_markup_out_and_decodes_to_the_label(name):
    label = HOSTILE[name]
    out = literal.plot(label)
    assert "<" not in out and ">" not in out and "$" not in out
    assert html.unescape(out) == label


@given(st.text())
def test_plot_escape_is_lossless_for_any_text(text):
    out = literal.plot(text)
    assert "<" not in out and "$" not in out and html.unescape(out) == text


def test_plot_labels_keep_labels_that_print_alike_apart():
    out = literal.plot_labels([1, "1", 1, "", "<b>"])
    assert len(set(out)) == 5
    assert [o.rstrip("\u200b") for o in out] == ["1", "1", "1", "", "&lt;b&gt;"]
    assert out[3] != ""  # an empty category would be dropped from a plotly axis


def test_plot_labels_shorten_long_labels_and_keep_them_apart():
    long = "x" * 200
    out = literal.plot_labels([long, long + "y", "<" * 100])
    assert out[0] == "x" * (literal.AXIS_LABEL_LIMIT - 1) + "…" and out[1] == out[0] + "\u200b"
    assert html.unescape(out[2]) == "<" * (literal.AXIS_LABEL_LIMIT - 1) + "…"  # cut before escaping


def test_file_names_keep_letters_and_drop_path_and_markup_characters():
    assert literal.file_name("upload:my data.csv:12:ab") == "upload-my data.csv-12-ab"
    assert literal.file_name('../../<script>"x"') == "script-x"
    assert literal.file_name("שלום.csv") == "שלום.csv"
    assert literal.file_name("\u200b") == "data"
    assert len(literal.file_name("x" * 500)) == 80


# ------------------------------------------------------------------------------------------ figure builders
def _strings(fig) -> list[str]:
    """Every string in the figure's JSON (what plotly.js receives), except our own hover templates."""
    found: list[str] = []

    def walk(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key not in ("hovertemplate", "texttemplate"):
            found.append(node)

    walk(json.loads(fig.to_json()))
    return found


def assert_no_markup(fig) -> None:
    """No label reaches plotly as markup: no tag, no math, no outside address outside an entity."""
    for s in _strings(fig):
        assert "<" not in s and "$" not in s, s


@pytest.fixture(scope="module")
def hostile():
    r = hostile_ratings()
    return r, CollaborativeFiltering(num_features=2, lambda_=1.0, max_iter=20, random_state=0).fit(r)


def test_prediction_figure_axes_are_the_escaped_labels(hostile):
    r, model = hostile
    pred = model.predict_all()
    original = r.to_frame()
    for mode in ("marked", "side by side", "unrated only"):
        fig = figures.prediction_figure(pred, original, r.rating_scale, mode=mode)
        heat = fig.data[0]
        assert list(heat.y) == literal.plot_labels(r.items) and list(heat.x) == literal.plot_labels(r.users)
        assert len(set(heat.x)) == r.n_users  # 1 and "1" keep their own columns
        assert fig.layout.xaxis.type == "category" and fig.layout.yaxis.type == "category"
        assert_no_markup(fig)


def test_similarity_and_feature_figures_escape_labels(hostile):
    r, model = hostile
    fig = figures.similarity_figure(model.compute_similarities("users"), r.users, "Users")
    assert list(fig.data[0].x) == literal.plot_labels(r.users)
    assert_no_markup(fig)
    fig = figures.feature_figure(model.X_, r.items, "X")
    assert list(fig.data[0].y) == literal.plot_labels(r.items)
    assert_no_markup(fig)


def test_latent_map_text_and_hover_are_the_escaped_labels(hostile):
    r, model = hostile
    fig = figures.latent_map(model.X_, model.Theta_, r.items, r.users)
    assert [html.unescape(t) for t in fig.data[0].hovertext] == [html.unescape(x) for x in literal.plot_labels(r.items)]
    assert_no_markup(fig)


def test_teaching_figures_escape_labels(hostile):
    r, model = hostile
    replay = teaching.record_replay(r, num_features=2, lambda_=1.0, max_iter=3, random_state=0)
    fig = figures.replay_figure(replay, 1)
    assert list(fig.data[0].y) == literal.plot_labels(r.items)
    assert_no_markup(fig)
    effect = teaching.normalization_effect(r, 0, num_features=2, lambda_=1.0, max_iter=5, random_state=0)
    assert_no_markup(figures.normalization_figure(effect))
    item = LABELS.index("<b>bold</b>")
    fig = figures.neighbours_figure(model, item, teaching.neighbours(model, item, 5))
    assert fig.layout.yaxis.title.text == "cosine to &lt;b&gt;bold&lt;/b&gt;"
    assert_no_markup(fig)


def test_no_figure_carries_an_outside_address_outside_text(hostile):
    """The corpus's URLs may appear as text, but only escaped: never inside a tag plotly would follow."""
    r, model = hostile
    fig = figures.similarity_figure(model.compute_similarities("items"), r.items, "Items")
    texts = [s for s in _strings(fig) if OUTSIDE in s]
    assert texts and all("&lt;" in s or "<" not in s for s in texts)
    assert np.all([("href" not in s) or ("&lt;a" in s) for s in texts])
