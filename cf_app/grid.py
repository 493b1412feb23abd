"""The ratings grid: a keyed ``st.data_editor`` over the workspace, plus the controls that change its shape.

Items are rows and users are columns (the textbook's Y) and an empty cell is "not rated". Cells are
edited as *text* and validated here: Streamlit's number columns clip 7 to a 0-5 scale and drop "abc"
without a word (checked in Chromium with 1.67), so a text column takes what was typed and
:func:`read_cells` names each cell that is not a rating on the scale, leaving it as typed.
Small grids are edited whole; large ones through a slice (the
most rated items x the most active users) or one user's ratings, merged back into the working ratings.
Every control that changes rows, columns or the slice is handled *after* the editor has rendered, so
the editor's current cells are committed first and nothing typed is lost; then the page reruns with a
fresh editor key.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import Ratings
from cf_core.messages import and_more

from . import data, literal, pickers, state
from .state import GridView, Workspace

__all__ = ["render", "as_text", "read_cells", "counted_title", "with_scale"]


def editor_columns(grid: pd.DataFrame) -> list[str]:
    """The editor's column keys for ``grid`` (see :func:`cf_app.literal.column_keys`); the header always shows
    the label (``column_config`` label), and :func:`_as_grid` maps the editor's columns back by position."""
    return literal.column_keys(grid.columns, grid.index.name)


def _as_grid(edited: pd.DataFrame | None, grid: pd.DataFrame) -> pd.DataFrame | None:
    """The editor's output with the grid's own column labels back (columns are matched by position)."""
    return None if edited is None else edited.set_axis(grid.columns, axis=1)


def _column_config(ws: Workspace, keys: list[str]) -> dict[str, object]:
    lo, hi = ws.working.rating_scale
    help_text = f"Rating from {lo:g} to {hi:g}; leave empty for not rated."
    # The header label is drawn as plain text (not markdown), so the label is given as it is.
    return {
        key: st.column_config.TextColumn(literal.as_text(col), help=help_text)
        for key, col in zip(keys, ws.grid.columns, strict=True)
    }


def _number_text(v: float) -> str:
    """Shortest text that reads back as the same float: 4.0 -> "4", 3.5 -> "3.5", NaN -> ""."""
    return "" if np.isnan(v) else np.format_float_positional(v, trim="-")


def as_text(grid: pd.DataFrame) -> pd.DataFrame:
    """The float grid as the text the editor shows (empty = not rated), same labels."""
    values = grid.to_numpy(dtype=float)
    text = np.array([_number_text(v) for v in values.ravel()], dtype=object).reshape(values.shape)
    return pd.DataFrame(text, index=grid.index, columns=grid.columns)


def _as_number(v: object) -> float | None:
    """A cell as a float: NaN when empty, None when it is not a number at all."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.nan
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    text = str(v).strip()
    if not text:
        return np.nan
    try:
        number = float(text.replace(",", ".")) if text.count(",") == 1 and "." not in text else float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def read_cells(edited: pd.DataFrame, rating_scale: tuple[float, float]) -> tuple[pd.DataFrame, list[str]]:
    """The edited grid as floats (NaN = not rated) and, per cell that is not a rating on the scale, a
    message naming item, user and what was typed; those cells are NaN in the frame, never changed."""
    lo, hi = rating_scale
    out = np.full(edited.shape, np.nan)
    problems: list[str] = []
    for r, c in np.ndindex(edited.shape):
        raw = edited.iat[r, c]
        value = _as_number(raw)
        where = f"item {edited.index[r]!r}, user {edited.columns[c]!r}"
        if value is None:
            problems.append(f"{where}: {raw!r} is not a number")
        elif not np.isnan(value) and not lo <= value <= hi:
            problems.append(f"{where}: {value:g} is outside the scale {lo:g} to {hi:g}")
        else:
            out[r, c] = value
    return pd.DataFrame(out, index=edited.index, columns=edited.columns), problems


_SHAPE_IN_TITLE = re.compile(r"\((\d[\d,]*) (\w+) x (\d[\d,]*) (\w+)\)")


def counted_title(title: str, ratings: Ratings) -> str:
    """``title`` with a "(5 movies x 4 users)" in it updated to the grid's current numbers of rows and columns."""
    return _SHAPE_IN_TITLE.sub(lambda m: f"({ratings.n_items:,} {m[2]} x {ratings.n_users:,} {m[4]})", title)


def with_scale(ratings: Ratings, lo: float, hi: float) -> Ratings:
    """The same ratings on another scale; ValueError naming the ratings that fall outside it."""
    if not lo < hi:
        raise ValueError(f"The lowest rating ({lo:g}) must be below the highest ({hi:g}).")
    return Ratings(
        ratings.item_idx, ratings.user_idx, ratings.values, ratings.items, ratings.users, (lo, hi), allow_empty=True
    )


def _scale_control(ws: Workspace) -> Callable[[Ratings], Ratings] | None:
    """The rating scale, shown with the grid and changeable there (predictions are clipped to it)."""
    lo, hi = ws.working.rating_scale
    with st.popover(f"Rating scale: {lo:g} to {hi:g}", help="The lowest and highest rating of this data."):
        a, b = st.columns(2)
        new_lo = a.number_input("Lowest", value=float(lo), step=0.5, key=f"scale_lo_{ws.uid}")
        new_hi = b.number_input("Highest", value=float(hi), step=0.5, key=f"scale_hi_{ws.uid}")
        st.caption("Predictions are clipped to the scale, and typed ratings are checked against it.")
        if st.button("Apply scale", key=f"scale_apply_{ws.uid}"):
            return lambda rr, a=float(new_lo), b=float(new_hi): with_scale(rr, a, b)
    return None


def _slice_controls(ws: Workspace) -> GridView | None:
    """For large data, let the person choose what to edit; returns the requested view if it differs."""
    if not ws.is_large:
        return None
    r = ws.working
    modes = {"slice": "Most rated items x most active users", "user": "One user's ratings"}
    c1, c2, c3 = st.columns([2, 1, 1])
    mode = c1.radio(
        "Edit",
        list(modes),
        index=0 if ws.view.mode != "user" else 1,
        format_func=modes.get,
        horizontal=True,
        key=f"grid_mode_{ws.uid}",
        help=f"The full grid has {r.n_items:,} x {r.n_users:,} cells; edit a readable part of it.",
    )
    if mode == "slice":
        n_items = c2.number_input("Items", 1, min(r.n_items, 500), min(50, r.n_items), 10, key=f"grid_items_{ws.uid}")
        n_users = c3.number_input("Users", 1, min(r.n_users, 100), min(30, r.n_users), 5, key=f"grid_users_{ws.uid}")
        wanted = state.default_view(r, "slice", int(n_items), int(n_users))
    else:
        counts = r.user_counts()
        user = pickers.pick(
            "User", r.users, counts, f"grid_user_{ws.uid}", where=c2, help="Users are listed from the most active."
        )
        wanted = state.default_view(r, "user", user=int(user))
    same = (
        wanted.mode == ws.view.mode
        and np.array_equal(wanted.item_pos, ws.view.item_pos)
        and np.array_equal(wanted.user_pos, ws.view.user_pos)
    )
    return None if same else wanted


def _structure_controls(ws: Workspace) -> Callable[[Ratings], Ratings] | None:
    """Add / rename / remove items and users; returns the requested change as a function, if any."""
    r = ws.working
    with st.expander("Add, rename or remove items and users"):
        change: Callable[[Ratings], Ratings] | None = None
        for kind, labels in (("item", r.items), ("user", r.users)):
            st.markdown(f"**{kind.capitalize()}s**")
            a, b, c = st.columns(3)
            with a:
                new = st.text_input(f"New {kind}", key=f"new_{kind}_{ws.uid}", placeholder=f"name of the new {kind}")
                if st.button(f"Add {kind}", key=f"add_{kind}_{ws.uid}"):
                    change = lambda rr, k=kind, n=new: data.add_label(rr, k, n)  # noqa: E731
            with b:
                pos = st.selectbox(
                    f"{kind.capitalize()} to rename or remove",
                    range(len(labels)),
                    format_func=lambda p, ls=labels: str(ls[p]),
                    key=f"pick_{kind}_{ws.uid}",
                )
                renamed = st.text_input("New name", key=f"rename_{kind}_{ws.uid}")
            with c:
                st.write("")  # aligns the buttons with the inputs
                if st.button(f"Rename {kind}", key=f"do_rename_{kind}_{ws.uid}") and pos is not None:
                    change = lambda rr, k=kind, p=pos, n=renamed: data.rename_label(rr, k, p, n)  # noqa: E731
                if st.button(f"Remove {kind}", key=f"do_remove_{kind}_{ws.uid}") and pos is not None:
                    change = lambda rr, k=kind, p=pos: data.remove_label(rr, k, p)  # noqa: E731
    return change


def _view_after_change(ws: Workspace, ratings: Ratings) -> GridView:
    """The same kind of view on the changed ratings (positions may have moved)."""
    v = ws.view
    if v.mode == "all":
        return state.default_view(ratings, "all")
    if v.mode == "user":
        label = ws.working.users[v.user_pos[0]]
        pos = ratings.users.get_loc(label) if label in ratings.users else 0
        return state.default_view(ratings, "user", user=int(pos))
    return state.default_view(ratings, "slice", len(v.item_pos), len(v.user_pos))


def _downloads(ws: Workspace, current: Ratings | None) -> None:
    source = current if current is not None else ws.working
    stem = literal.file_name(ws.source)
    if ws.view.mode == "all":
        st.download_button(
            "Download grid (wide CSV)",
            lambda: data.ratings_csv(source),
            file_name=f"{stem}-ratings.csv",
            mime="text/csv",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            key=f"download_grid_{ws.uid}",
            help="Items as rows, users as columns, empty = not rated; opens again as an upload.",
        )
    else:
        st.download_button(
            "Download this slice (wide CSV)",
            lambda: data.ratings_csv(data.slice_ratings(source, ws.view.item_pos, ws.view.user_pos)),
            file_name=f"{stem}-slice.csv",
            mime="text/csv",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            key=f"download_grid_{ws.uid}",
        )
        st.download_button(
            "Download all ratings (long CSV)",
            lambda: data.ratings_csv(source, "long"),
            file_name=f"{stem}-ratings-long.csv",
            mime="text/csv",
            on_click="ignore",  # a download changes nothing on the page: no rerun
            key=f"download_long_{ws.uid}",
            help="One row per rating (user, item, rating): a wide grid of this size would be mostly empty cells.",
        )


def _warn_about(ratings: Ratings) -> None:
    if ratings.n_ratings == 0:
        st.warning("The grid has no ratings yet: rate at least one item to train.")
        return
    for kind in ("item", "user"):
        empty = data.unrated_labels(ratings, kind)
        if empty and len(empty) < (ratings.n_items if kind == "item" else ratings.n_users):
            named = and_more(empty)
            st.warning(
                f"{len(empty)} {kind}(s) without any rating: {literal.md(named)}. The model can only "
                "predict the " + ("global mean for them." if kind == "item" else "item averages for them.")
            )


def _caption(ws: Workspace, shown: Ratings, valid: bool) -> str:
    lo, hi = shown.rating_scale
    what = "the whole grid" if ws.view.mode == "all" else f"{len(ws.view.item_pos)} x {len(ws.view.user_pos)} cells"
    counts = f"{shown.n_items:,} items (rows) x {shown.n_users:,} users (columns), {shown.n_ratings:,} ratings"
    if not valid:
        counts += " (before the invalid cells)"
    return (
        f"**{literal.md(counted_title(ws.title, shown))}**: {counts}, scale {lo:g} to {hi:g}. Editing {what}; an "
        "empty cell means not rated."
    )


def render(ws: Workspace) -> Ratings | None:
    """Draw the grid and its controls; the ratings as currently edited, or None while a cell is invalid."""
    st.subheader("Ratings")
    caption = st.empty()  # filled once the editor has said what is typed, so the counts follow the grid
    wanted_view = _slice_controls(ws)
    keys = editor_columns(ws.grid)
    text = ws.grid_text
    edited = st.data_editor(
        text.set_axis(keys, axis=1),  # same cells and schema every run, so the keyed editor keeps its edits
        key=ws.editor_key,
        column_config=_column_config(ws, keys),
        num_rows="fixed",
        placeholder="",
        height=min(36 + 35 * len(ws.grid), 460),
    )
    edited = _as_grid(edited, ws.grid)
    # Unchanged (most reruns): skip reading every cell back, which a one-user view of 9.7k items would notice.
    numeric, problems = (ws.grid, []) if edited.equals(text) else read_cells(edited, ws.working.rating_scale)
    try:
        if problems:
            listed = and_more(problems, sep="; ")
            raise ValueError(
                f"{len(problems)} cell(s) are not ratings ({listed}). Enter a number from "
                f"{ws.working.rating_scale[0]:g} to {ws.working.rating_scale[1]:g}, or clear the cell for not rated."
            )
        current = ws.current(numeric)
        ws.edit_error = None
    except ValueError as exc:
        current = None
        ws.edit_error = str(exc)
        st.error(
            f"The grid cannot be used as ratings: {literal.md(exc)} Your grid is kept as typed; fix the cell(s) to "
            "train."
        )
    caption.caption(_caption(ws, current if current is not None else ws.working, current is not None))
    if current is not None:
        _warn_about(current)

    left, mid, right = st.columns([1, 1, 2])
    with left:
        reset = st.button(
            "Reset grid",
            key=f"reset_{ws.uid}",
            help="Back to the dataset as loaded: drops every edit, added or removed item and user.",
        )
    with mid:
        _downloads(ws, current)
    with right:
        scale_change = _scale_control(ws)
    change = _structure_controls(ws) or scale_change

    if reset:
        ws.set_working(ws.original)
        ws.show(state.default_view(ws.original))
        state.notify("info", "The grid is back to the dataset as loaded.")
        st.rerun()
    if change is not None or wanted_view is not None:
        if current is None:
            st.error("Fix the invalid cell(s) first: the grid's shape only changes once its cells are valid.")
            return None
        try:
            changed = change(current) if change is not None else current
        except ValueError as exc:
            st.error(literal.md(exc))
            return current
        view = wanted_view if change is None else _view_after_change(ws, changed)
        ws.set_working(changed)
        ws.show(view)
        st.rerun()
    return current
