"""The ratings grid: a keyed ``st.data_editor`` over the workspace, plus the controls that change its shape.

Items are rows and users are columns (the textbook's Y), an empty cell is "not rated", and the number
columns are limited to the rating scale. Small grids are edited whole; large ones through a slice (the
most rated items x the most active users) or one user's ratings, merged back into the working ratings.
Every control that changes rows, columns or the slice is handled *after* the editor has rendered, so
the editor's current cells are committed first and nothing typed is lost; then the page reruns with a
fresh editor key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import Ratings

from . import data, literal, state
from .state import GridView, Workspace

__all__ = ["render"]

_LIST_AT_MOST = 5


def _some(labels: list[object]) -> str:
    shown = ", ".join(literal.as_text(x) for x in labels[:_LIST_AT_MOST])
    more = len(labels) - _LIST_AT_MOST
    return f"{shown} and {more} more" if more > 0 else shown


def _step(ratings: Ratings) -> float | None:
    """Half stars when every rating sits on a half-star grid (as in the course and MovieLens), else free."""
    v = ratings.values
    return 0.5 if len(v) == 0 or np.allclose(v * 2, np.round(v * 2)) else None


def editor_columns(grid: pd.DataFrame) -> list[str]:
    """The editor's column keys for ``grid`` (see :func:`cf_app.literal.column_keys`); the header always shows
    the label (``column_config`` label), and :func:`_as_grid` maps the editor's columns back by position."""
    return literal.column_keys(grid.columns, grid.index.name)


def _as_grid(edited: pd.DataFrame | None, grid: pd.DataFrame) -> pd.DataFrame | None:
    """The editor's output with the grid's own column labels back (columns are matched by position)."""
    return None if edited is None else edited.set_axis(grid.columns, axis=1)


def _delta_as_grid(delta: Any, keys: list[str], grid: pd.DataFrame) -> Any:
    """The editor's edit state with its column keys replaced by the labels, for messages about cells."""
    if not delta or not delta.get("edited_rows"):
        return delta
    label_of = dict(zip(keys, grid.columns, strict=True))
    rows = {row: {label_of.get(k, k): v for k, v in cells.items()} for row, cells in delta["edited_rows"].items()}
    return {**delta, "edited_rows": rows}


def _column_config(ws: Workspace, keys: list[str]) -> dict[str, object]:
    lo, hi = ws.working.rating_scale
    step = _step(ws.working)
    help_text = f"Rating from {lo:g} to {hi:g}; leave empty for not rated."
    # The header label is drawn as plain text (not markdown), so the label is given as it is.
    return {
        key: st.column_config.NumberColumn(literal.as_text(col), min_value=lo, max_value=hi, step=step, help=help_text)
        for key, col in zip(keys, ws.grid.columns, strict=True)
    }


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
        order = data.top_positions(counts, r.n_users)
        user = c2.selectbox(
            "User",
            order,
            format_func=lambda u: f"{r.users[u]} ({counts[u]} ratings)",  # options are plain text
            key=f"grid_user_{ws.uid}",
            help="Users are listed from the most active.",
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
            st.warning(
                f"{len(empty)} {kind}(s) without any rating: {literal.md(_some(empty))}. The model can only "
                "predict the " + ("global mean for them." if kind == "item" else "item averages for them.")
            )


def render(ws: Workspace) -> Ratings | None:
    """Draw the grid and its controls; the ratings as currently edited, or None while a cell is invalid."""
    r = ws.working
    lo, hi = r.rating_scale
    st.subheader("Ratings")
    what = "the whole grid" if ws.view.mode == "all" else f"{len(ws.view.item_pos)} x {len(ws.view.user_pos)} cells"
    st.caption(
        f"**{literal.md(ws.title)}**: {r.n_items:,} items (rows) x {r.n_users:,} users (columns), "
        f"{r.n_ratings:,} ratings, "
        f"scale {lo:g} to {hi:g}. Editing {what}; an empty cell means not rated."
    )
    wanted_view = _slice_controls(ws)
    keys = editor_columns(ws.grid)
    edited = st.data_editor(
        ws.grid.set_axis(keys, axis=1),  # same cells and schema every run, so the keyed editor keeps its edits
        key=ws.editor_key,
        column_config=_column_config(ws, keys),
        num_rows="fixed",
        placeholder="",
        height=min(36 + 35 * len(ws.grid), 460),
    )
    edited = _as_grid(edited, ws.grid)
    try:
        delta = _delta_as_grid(st.session_state.get(ws.editor_key), keys, ws.grid)
        unreadable = data.unreadable_edits(delta, ws.grid)
        if unreadable:
            raise ValueError(
                f"{len(unreadable)} cell(s) are not numbers ({_some(unreadable)}). Enter a number from {lo:g} to "
                f"{hi:g}, or clear the cell for not rated."
            )
        current = ws.current(edited)
        ws.edit_error = None
    except ValueError as exc:
        current = None
        ws.edit_error = str(exc)
        st.error(
            f"The grid cannot be used as ratings: {literal.md(exc)} Your grid is kept as typed; fix the cell(s) to "
            "train."
        )
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
    change = _structure_controls(ws)

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
