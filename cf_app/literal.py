"""Labels from data, shown as the text they are: the two escapes every item, user and file name goes through.

Item, user and file names come from a file somebody else may have written, so they are data, never markup.
Two renderers in the page interpret text:

* **Streamlit's markdown** (``st.markdown``, ``st.caption``, ``st.info/warning/error/success``, widget labels,
  radio options, slider values, metric labels, tab and status labels): CommonMark + GFM (``**``, ``_``, links,
  images, autolinked URLs, tables), ``$...$`` (KaTeX), ``:color[...]`` directives, and substitutions made on
  the parsed *text* (emoji shortcodes, ``:streamlit:``, ``->`` to an arrow, ``--`` to a dash, GFM's
  autolinks of ``http://``, ``www.`` and ``a@b.c``). :func:`md` backslash-escapes the punctuation that
  opens markdown syntax (CommonMark defines a backslash before punctuation as "show this character"), and
  puts an invisible WORD JOINER (U+2060) inside the few patterns that are rewritten after the escapes are
  resolved. Selectbox and multiselect *options* and table cells are plain text: give them the label
  unescaped.
* **Plotly** text (tick labels, hover text, titles, annotations, marker text): a subset of HTML (``<b>``,
  ``<a href>``, ``<br>``) plus entities, and ``$...$`` as MathJax. :func:`plot` writes ``&``, ``<``, ``>``
  and ``$`` as entities, which plotly turns back into those characters on screen.

:func:`plot_labels` also keeps the labels of one axis distinct: two different labels can print the same (the
number 1 and the text "1"), and a categorical axis would silently merge their rows.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable

__all__ = [
    "WORD_JOINER",
    "md",
    "plot",
    "plot_labels",
    "as_text",
    "file_name",
    "column_keys",
]

#: Longest label a chart axis shows whole (characters).
AXIS_LABEL_LIMIT = 48
#: Invisible, zero-width, and not whitespace: splits a pattern without changing what is seen.
WORD_JOINER = "\u2060"

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029]")
# Characters that open markdown syntax anywhere in a line (emphasis, code, strikethrough, links and images,
# HTML and autolinks, entities, KaTeX, directives, tables); other punctuation ( . , ' " ( ) ! / ...) only
# means something after one of these, so it is left as typed and messages stay readable.
_SYNTAX = re.compile(r"([\\`*_~\[\]<>&$:|])")
# ... and those that do only at the start of a line (headings, lists, setext underlines, ordered lists).
_LINE_START = re.compile(r"^([ \t]*)(?:([#+=-])(?=[ \t#+=-]|$)|([0-9]{1,9})([.)])(?=[ \t]|$))")
# Streamlit replaces these in text nodes after parsing (so a backslash does not protect them):
# typographic arrows/dashes when surrounded by whitespace, its logo, and emoji shortcodes.
_SPACE = r"[\s\ufeff]"
_TYPOGRAPHY = re.compile(rf"(?:^|(?<={_SPACE}))(<->|->|<-|--|>=|<=|~=)(?={_SPACE}|$)")
_SHORTCODE = re.compile(r":(?=[\w+-]+:)|:(?=material/)", re.ASCII)  # (":material/" is replaced in the source)
# GFM's autolinks are found the same way (in the parsed text): http(s)://..., www.... and e-mail addresses.
_AUTOLINK = re.compile(r"(?<=https)(?=://)|(?<=http)(?=://)|(?<=www)(?=\.)|(?<=@)(?=[-\w])", re.ASCII | re.IGNORECASE)


def as_text(value: object) -> str:
    """A label as text (labels may be numbers); ``None`` and NaN are shown as they print."""
    return value if isinstance(value, str) else str(value)


def md(value: object) -> str:
    """``value`` escaped for a Streamlit element that renders markdown, so it shows exactly as written.

    Line breaks become spaces (a label is one line: a break would start a new paragraph, a heading or a
    list). Every other character shows as itself; the only addition is an invisible WORD JOINER inside
    ``->``-style operators, ``:name:`` shortcodes and what GFM would autolink (``http://``, ``www.``, ``@``),
    and before leading spaces.
    """
    text = _LINE_BREAKS.sub(" ", as_text(value))
    text = _TYPOGRAPHY.sub(lambda m: m.group(1)[0] + WORD_JOINER + m.group(1)[1:], text)
    text = _SHORTCODE.sub(":" + WORD_JOINER, text)
    text = _AUTOLINK.sub(WORD_JOINER, text)
    text = _SYNTAX.sub(r"\\\1", text)
    text = _LINE_START.sub(_escape_line_start, text)
    # Four leading spaces would make an indented code block: a joiner first keeps it a paragraph.
    return WORD_JOINER + text if text[:1] in (" ", "\t") else text


def _escape_line_start(m: re.Match[str]) -> str:
    marker = f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\{m.group(4)}"
    return m.group(1) + marker


_PLOT_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;"})


def plot(value: object) -> str:
    """``value`` escaped for plotly text: tags and math show as typed (plotly decodes the entities)."""
    return as_text(value).translate(_PLOT_ENTITIES)


def plot_labels(values: Iterable[object], limit: int = AXIS_LABEL_LIMIT) -> list[str]:
    """Labels for one plotly axis (or one trace's text): shortened, escaped, and distinct.

    Labels longer than ``limit`` characters end in "…" (a 500-character name would leave no room for
    the chart; tables show it whole). A repeated text gets zero-width spaces appended (invisible), so each
    label keeps its own row or column on a categorical axis; an empty label becomes a zero-width space,
    which plotly keeps as a category.
    """
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = as_text(value)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        label = plot(text) or "\u200b"
        while label in seen:
            label += "\u200b"
        seen.add(label)
        out.append(label)
    return out


_UNSAFE_IN_FILE_NAMES = re.compile(r"[^\w.\- ]+")


def file_name(value: object, limit: int = 80) -> str:
    """``value`` made into a download file name: letters, digits, ``.-_`` and spaces kept, runs of anything
    else (slashes, colons, quotes, control and invisible characters) as one ``-``, at most ``limit`` chars."""
    text = _UNSAFE_IN_FILE_NAMES.sub("-", as_text(value)).strip(" .-")
    return text[:limit] or "data"


def _ordinary_column_name(name: object, index_name: Hashable) -> bool:
    """Whether Streamlit's tables take ``name`` as just a column name.

    They reserve ``_index`` (and use other names starting with "_"), match ``column_config`` to the index
    column by the index's name, and need unique names; empty names, edge spaces and control characters
    are easy to lose on the way.
    """
    return (
        isinstance(name, str)
        and name != ""
        and name == name.strip()
        and not name.startswith("_")
        and name != index_name
        and name.isprintable()
    )


def column_keys(columns: Iterable[object], index_name: Hashable = None, stem: str = "user") -> list[str]:
    """Column names to give ``st.data_editor`` / ``st.dataframe`` for data labels: each label itself where
    that is an ordinary name, else ``"user #3"`` (its position, with as many "'" as it takes to be unique).

    Show the label through ``column_config`` (its header is drawn as plain text) and map edits back by
    position, so any label works and none is lost.
    """
    columns = list(columns)
    taken = {c for c in columns if isinstance(c, str)}
    keys: list[str] = []
    used: set[str] = set()
    for pos, name in enumerate(columns):
        if _ordinary_column_name(name, index_name) and name not in used:
            key = name
        else:
            key = f"{stem} #{pos + 1}"
            while key in taken or key in used:
                key += "'"
        used.add(key)
        keys.append(key)
    return keys
