"""Where the app's ratings come from, and the pure edits the grid makes to them.

Sources are the samples of :mod:`cf_core.samples`, a blank grid, or an uploaded file read by
:func:`cf_core.io.load_ratings`. Edits (merge an edited slice, add/rename/remove an item or user) are
pure functions ``Ratings -> Ratings`` so they can be tested without Streamlit, and so the working data
of a 1M-rating set is never turned into a dense grid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cf_core import Ratings, top_n
from cf_core.messages import LIST_AT_MOST, and_more

if TYPE_CHECKING:
    from cf_core.io import ReadReport

__all__ = [
    "DataSource",
    "sample_sources",
    "load_sample_ratings",
    "ReadChoices",
    "read_upload",
    "load_upload",
    "read_error_text",
    "blank_ratings",
    "fingerprint",
    "top_positions",
    "slice_frame",
    "merge_slice",
    "add_label",
    "rename_label",
    "remove_label",
    "unrated_labels",
    "slice_ratings",
    "ratings_csv",
    "table_csv",
]


@dataclass(frozen=True)
class DataSource:
    """One entry of the dataset picker."""

    key: str
    name: str  # the picker's label: short enough for the sidebar
    title: str  # the full title (the grid's caption, messages)
    description: str


def sample_sources() -> list[DataSource]:
    """The bundled samples, in the order ``cf_core.samples.SAMPLES`` lists them."""
    from cf_core import samples

    return [DataSource(s.key, s.name, s.title, s.description) for s in samples.SAMPLES]


def load_sample_ratings(key: str) -> Ratings:
    """A bundled sample by key (see :func:`sample_sources`)."""
    from cf_core import samples

    return samples.load_sample(key)


@dataclass(frozen=True)
class ReadChoices:
    """The "How this file was read" controls: each None means "detect it" (see ``cf_core.io.read_ratings``)."""

    format: str = "auto"
    delimiter: str | None = None
    decimal: str | None = None
    header: bool | None = None
    encoding: str | None = None
    rating_scale: tuple[float, float] | None = None
    outliers: str = "error"

    def key(self) -> str:
        """A short stable text that tells one reading of a file from another (part of the workspace key)."""
        return repr(tuple(vars(self).values()))

    def options(self) -> dict[str, Any]:
        return dict(vars(self))


def read_upload(
    data: bytes, name: str, titles: tuple[bytes, str] | None = None, choices: ReadChoices | None = None
) -> tuple[Ratings, ReadReport]:
    """Ratings from an uploaded file's bytes, and the report of how they were read.

    ``name`` is the upload's file name (the loader uses it in messages and to recognise u.data or .mat);
    ``titles`` (bytes, file name) labels MovieLens / .mat items by title. Raises
    ``cf_core.io.DataFormatError`` (a ValueError) with the loader's message.
    """
    from cf_core.io import read_ratings

    return read_ratings(
        data,
        name=name,
        titles=titles[0] if titles is not None else None,
        titles_name=titles[1] if titles is not None else None,
        **(choices or ReadChoices()).options(),
    )


def load_upload(data: bytes, name: str, titles: tuple[bytes, str] | None = None) -> Ratings:
    """The ratings of :func:`read_upload` without the report."""
    return read_upload(data, name, titles)[0]


def read_error_text(exc: Exception, name: str) -> str:
    """One sentence for a failed read that names the file once: "Could not read x.csv, line 3: ..."."""
    from cf_core.io import DataFormatError

    if isinstance(exc, DataFormatError):
        where = exc.where if exc.source else ", ".join(p for p in (name, exc.where) if p)
        return f"Could not read {where}: {exc.problem}"
    if isinstance(exc, ValueError):
        return f"Could not read {name}: {exc}"
    return f"Could not read {name} ({type(exc).__name__}): {exc}"


def blank_ratings(n_items: int, n_users: int, rating_scale: tuple[float, float]) -> Ratings:
    """An empty grid with labels "item 1".."item n" and "user 1".."user m", for a class to fill in."""
    if n_items < 1 or n_users < 1:
        raise ValueError(f"a blank grid needs at least one item and one user, got {n_items} x {n_users}")
    empty = np.empty(0, dtype=np.int64)
    return Ratings(
        empty,
        empty,
        np.empty(0),
        [f"item {i}" for i in range(1, n_items + 1)],
        [f"user {j}" for j in range(1, n_users + 1)],
        rating_scale,
        allow_empty=True,
    )


def fingerprint(ratings: Ratings) -> str:
    """A content hash of the ratings (entries, labels, scale): the cache key for trained results."""
    h = hashlib.blake2b(digest_size=16)
    for a in (ratings.item_idx, ratings.user_idx, ratings.values):
        h.update(np.ascontiguousarray(a).tobytes())
        h.update(b"|")
    for labels in (ratings.items, ratings.users):
        h.update(pd.util.hash_pandas_object(pd.Series(labels.astype(str)), index=False).to_numpy().tobytes())
        h.update(repr(labels.dtype).encode())
        h.update(b"|")
    h.update(repr(ratings.rating_scale).encode())
    return h.hexdigest()


def top_positions(counts: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` largest counts (most rated items, most active users), ties to the lower position."""
    return top_n(np.asarray(counts), n)


def _slice_entries(
    ratings: Ratings, item_pos: np.ndarray, user_pos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each rated entry's row and column within the slice (-1 outside it), and which entries fall inside."""
    row_of = np.full(ratings.n_items, -1, dtype=np.int64)
    col_of = np.full(ratings.n_users, -1, dtype=np.int64)
    row_of[item_pos] = np.arange(len(item_pos))
    col_of[user_pos] = np.arange(len(user_pos))
    rows, cols = row_of[ratings.item_idx], col_of[ratings.user_idx]
    return rows, cols, (rows >= 0) & (cols >= 0)


def slice_frame(ratings: Ratings, item_pos: np.ndarray, user_pos: np.ndarray) -> pd.DataFrame:
    """The chosen items x users as a wide float DataFrame (NaN = not rated) labelled with strings.

    The editor returns column names as strings, so labels are shown as strings and edits are mapped
    back by position (see :func:`merge_slice`), never by label.
    """
    item_pos = np.asarray(item_pos, dtype=np.int64)
    user_pos = np.asarray(user_pos, dtype=np.int64)
    rows, cols, inside = _slice_entries(ratings, item_pos, user_pos)
    grid = np.full((len(item_pos), len(user_pos)), np.nan)
    grid[rows[inside], cols[inside]] = ratings.values[inside]
    frame = pd.DataFrame(
        grid,
        index=pd.Index([str(x) for x in ratings.items[item_pos]], name="item"),
        columns=[str(x) for x in ratings.users[user_pos]],
    )
    return frame


def _empty_cells(frame: pd.DataFrame) -> np.ndarray:
    """Cells that mean "not rated": NaN/None, or text that is only blanks."""
    empty = np.array(frame.isna().to_numpy(), dtype=bool)  # a writable copy (pandas 3 returns read-only views)
    for c, dtype in enumerate(frame.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype):
            col = frame.iloc[:, c]
            empty[:, c] |= col.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(dtype=bool)
    return empty


def _numeric_cells(frame: pd.DataFrame) -> np.ndarray:
    """Cells as floats, NaN where empty or not a number (yes/no values count as not a number)."""
    out = np.full(frame.shape, np.nan)
    for c, dtype in enumerate(frame.dtypes):
        col = frame.iloc[:, c]
        if pd.api.types.is_bool_dtype(dtype):
            continue
        if not pd.api.types.is_numeric_dtype(dtype):
            col = col.map(lambda v: np.nan if isinstance(v, (bool, np.bool_)) else v)
        out[:, c] = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def merge_slice(ratings: Ratings, item_pos: np.ndarray, user_pos: np.ndarray, edited: pd.DataFrame) -> Ratings:
    """``ratings`` with the slice (item_pos x user_pos) replaced by the edited grid's cells.

    Raises ValueError naming the cell (item, user) and the value for text or out-of-scale entries, so
    the page can say what to fix while the person's grid stays as they typed it.
    """
    item_pos = np.asarray(item_pos, dtype=np.int64)
    user_pos = np.asarray(user_pos, dtype=np.int64)
    if edited.shape != (len(item_pos), len(user_pos)):
        raise ValueError(
            f"the edited grid is {edited.shape[0]} x {edited.shape[1]}, expected {len(item_pos)} x {len(user_pos)}"
        )
    values = _numeric_cells(edited)
    bad_cells = np.argwhere(np.isnan(values) & ~_empty_cells(edited))
    if len(bad_cells):
        where = [
            f"item {ratings.items[item_pos[r]]!r}, user {ratings.users[user_pos[c]]!r}: {edited.iat[r, c]!r}"
            for r, c in bad_cells[:LIST_AT_MOST]
        ]
        raise ValueError(
            f"{len(bad_cells)} cell(s) are not numbers ({and_more(where, len(bad_cells), '; ')}). "
            "Enter a number or leave the cell empty."
        )
    in_items = np.zeros(ratings.n_items, dtype=bool)
    in_users = np.zeros(ratings.n_users, dtype=bool)
    in_items[item_pos] = True
    in_users[user_pos] = True
    keep = ~(in_items[ratings.item_idx] & in_users[ratings.user_idx])
    r, c = np.nonzero(~np.isnan(values))
    return Ratings(
        np.concatenate([ratings.item_idx[keep], item_pos[r]]),
        np.concatenate([ratings.user_idx[keep], user_pos[c]]),
        np.concatenate([ratings.values[keep], values[r, c]]),
        ratings.items,
        ratings.users,
        ratings.rating_scale,
        allow_empty=True,
    )


def _labels(ratings: Ratings, kind: str) -> pd.Index:
    if kind not in ("item", "user"):
        raise ValueError(f"kind must be 'item' or 'user', got {kind!r}")
    return ratings.items if kind == "item" else ratings.users


def _rebuild(
    ratings: Ratings,
    kind: str,
    labels: Sequence[Hashable] | pd.Index,
    keep: np.ndarray | None = None,
    renumber: np.ndarray | None = None,
) -> Ratings:
    item_idx, user_idx, values = ratings.item_idx, ratings.user_idx, ratings.values
    if keep is not None:
        item_idx, user_idx, values = item_idx[keep], user_idx[keep], values[keep]
    if renumber is not None:
        if kind == "item":
            item_idx = renumber[item_idx]
        else:
            user_idx = renumber[user_idx]
    items = labels if kind == "item" else ratings.items
    users = labels if kind == "user" else ratings.users
    return Ratings(item_idx, user_idx, values, items, users, ratings.rating_scale, allow_empty=True)


def _clean_label(label: str, kind: str) -> str:
    text = str(label).strip()
    if not text:
        raise ValueError(f"the new {kind} needs a name")
    return text


def add_label(ratings: Ratings, kind: str, label: str) -> Ratings:
    """A new, unrated item or user at the end (names must stay unique)."""
    labels = _labels(ratings, kind)
    text = _clean_label(label, kind)
    if any(str(x) == text for x in labels):
        raise ValueError(
            f"there is already an {kind} called {text!r}"
            if kind == "item"
            else f"there is already a {kind} called {text!r}"
        )
    new = pd.Index(list(labels) + [text], dtype=object)
    return _rebuild(ratings, kind, new)


def rename_label(ratings: Ratings, kind: str, position: int, label: str) -> Ratings:
    """The item or user at ``position`` renamed; its ratings stay."""
    labels = _labels(ratings, kind)
    text = _clean_label(label, kind)
    if any(str(x) == text for i, x in enumerate(labels) if i != position):
        raise ValueError(f"another {kind} is already called {text!r}")
    new = list(labels)
    new[int(position)] = text
    return _rebuild(ratings, kind, pd.Index(new, dtype=object))


def remove_label(ratings: Ratings, kind: str, position: int) -> Ratings:
    """The grid without the item or user at ``position`` (and its ratings)."""
    labels = _labels(ratings, kind)
    if len(labels) <= 1:
        raise ValueError(f"cannot remove the last {kind}: a grid needs at least one")
    position = int(position)
    idx = ratings.item_idx if kind == "item" else ratings.user_idx
    keep = idx != position
    renumber = np.arange(len(labels)) - (np.arange(len(labels)) > position)
    return _rebuild(ratings, kind, labels.delete(position), keep, renumber)


def unrated_labels(ratings: Ratings, kind: str) -> list[Hashable]:
    """Items (or users) without a single rating: the model can only fall back to means for them."""
    counts = ratings.item_counts() if kind == "item" else ratings.user_counts()
    return list(_labels(ratings, kind)[counts == 0])


def slice_ratings(ratings: Ratings, item_pos: np.ndarray, user_pos: np.ndarray) -> Ratings:
    """The ratings of a slice as their own grid (labels and scale kept), e.g. to export what is on screen."""
    item_pos = np.asarray(item_pos, dtype=np.int64)
    user_pos = np.asarray(user_pos, dtype=np.int64)
    rows, cols, inside = _slice_entries(ratings, item_pos, user_pos)
    return Ratings(
        rows[inside],
        cols[inside],
        ratings.values[inside],
        ratings.items[item_pos],
        ratings.users[user_pos],
        ratings.rating_scale if ratings.scale_given else None,
        allow_empty=True,
    )


def ratings_csv(ratings: Ratings, format: str = "wide") -> bytes:
    """Ratings as the CSV the data loader reads back (wide: items x users; long: one row per rating)."""
    from cf_core.io import save_ratings

    out = save_ratings(ratings, None, format=format)
    assert out is not None  # dest=None returns the bytes
    return out


def table_csv(frame: pd.DataFrame) -> bytes:
    """A displayed table (e.g. a slice of predictions) as CSV bytes, labels included."""
    return frame.to_csv(index=True).encode("utf-8")
