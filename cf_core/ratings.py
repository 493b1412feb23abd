"""The ratings container: which items were rated by which users, and how.

Everything in CF Lab uses the textbook orientation, **items x users**: ``Y[i, j]`` is the rating of
item ``i`` by user ``j`` and ``R[i, j] = 1`` where that rating exists. Real data sets are sparse
(MovieLens 1M fills 4% of its grid), so the rated entries are kept as three parallel arrays
(item index, user index, value) in canonical item-major order; a dense grid is only built on request.
Labels (titles, user names, MovieLens ids) are kept beside the positions and never confused with them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .messages import LIST_AT_MOST, and_more

__all__ = ["Ratings"]


def _plain(x: Any) -> Any:
    """A numpy scalar as the Python value, so messages read ``(item 7, ...)`` and not ``np.int64(7)``."""
    return x.item() if isinstance(x, np.generic) else x


def _place(items: pd.Index, users: pd.Index, i: int, j: int) -> str:
    """An entry named by its labels, for error messages."""
    return f"(item {_plain(items[i])!r}, user {_plain(users[j])!r})"


def _as_labels(labels: Sequence[Hashable] | pd.Index | None, n: int, kind: str) -> pd.Index:
    """Labels as a pandas Index of unique values; default ``0..n-1`` like the textbook's positions."""
    if labels is None:
        return pd.RangeIndex(n)
    index = pd.Index(labels)
    if len(index) != n:
        raise ValueError(f"{len(index)} {kind} labels given for {n} {kind}s")
    if index.hasnans:
        raise ValueError(f"{kind} labels contain a missing value (at position {int(np.flatnonzero(index.isna())[0])})")
    if not index.is_unique:
        dupes = index[index.duplicated()].unique().tolist()
        raise ValueError(f"duplicate {kind} labels: {and_more(dupes)}")
    return index


def _is_count(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


_CANONICAL_INT = r"0|-?[1-9][0-9]{0,17}"


def natural_order(codes: np.ndarray, labels: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """Re-rank sorted text labels "naturally": those spelled as plain integers by value ("2" before "10"),
    then all others as text. Returns the entries' new codes and the reordered labels.

    Long data holds no label order of its own; this one keeps ids that happen to be strings in the order a
    person expects, and is the same whether the data comes from a DataFrame or from a file.
    """
    if not (pd.api.types.is_string_dtype(labels.dtype) or labels.dtype == object) or not len(labels):
        return codes, labels
    texts = pd.Series(np.asarray(labels, dtype=object), dtype=object)
    is_int = texts.str.fullmatch(_CANONICAL_INT).eq(True).to_numpy()  # non-strings give NaN: not integers
    if not is_int.any():
        return codes, labels
    ints = np.zeros(len(labels), dtype=np.int64)
    ints[is_int] = pd.to_numeric(texts[is_int]).to_numpy(dtype=np.int64)
    perm = np.lexsort((np.arange(len(labels)), ints, ~is_int))  # integers first by value, then text as it was
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    return rank[codes], labels[perm]


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


class Ratings:
    """Rated entries of an items x users grid, with labels and a rating scale.

    Build one with :meth:`from_dense`, :meth:`from_frame`, :meth:`from_long` or :meth:`numbered`; the constructor
    itself takes the sparse arrays. Instances are immutable, so models and app caches can share them.
    """

    __slots__ = ("item_idx", "user_idx", "values", "items", "users", "rating_scale", "_scale_given")

    def __init__(
        self,
        item_idx: np.ndarray,
        user_idx: np.ndarray,
        values: np.ndarray,
        items: Sequence[Hashable] | pd.Index | int,
        users: Sequence[Hashable] | pd.Index | int,
        rating_scale: tuple[float, float] | None = None,
        *,
        allow_empty: bool = False,
        scale_given: bool | None = None,
    ) -> None:
        # A count (int or numpy integer) means unlabelled: positions 0..n-1 serve as labels.
        items = _as_labels(None, int(items), "item") if _is_count(items) else _as_labels(items, len(items), "item")
        users = _as_labels(None, int(users), "user") if _is_count(users) else _as_labels(users, len(users), "user")
        # Copies, not views: the arrays are frozen below, which must neither freeze the caller's arrays
        # nor let later writes to them change this (immutable) object.
        item_idx = np.array(item_idx)
        user_idx = np.array(user_idx)
        values = np.array(values, dtype=np.float64)
        if not (item_idx.ndim == user_idx.ndim == values.ndim == 1) or not (
            len(item_idx) == len(user_idx) == len(values)
        ):
            raise ValueError(
                "item_idx, user_idx and values must be 1-D arrays of one length, "
                f"got shapes {item_idx.shape}, {user_idx.shape}, {values.shape}"
            )
        if len(values) == 0 and not allow_empty:
            raise ValueError("there are no ratings at all: rate at least one item")
        for name, idx, n in (("item", item_idx, len(items)), ("user", user_idx, len(users))):
            if len(idx) and not np.issubdtype(idx.dtype, np.integer):
                raise ValueError(f"{name} indices must be integers, got dtype {idx.dtype}")
            bad = np.flatnonzero((idx < 0) | (idx >= n))
            if len(bad):
                raise ValueError(f"{name} index {int(idx[bad[0]])} out of range for {n} {name}s (entry {bad[0]})")
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            where = [f"{_place(items, users, item_idx[k], user_idx[k])}: {values[k]}" for k in bad]
            raise ValueError(f"{len(bad)} ratings are not finite numbers: {and_more(where)}")

        # Canonical item-major order makes equality well defined (the objective re-sorts by its larger side).
        index_dtype = np.int32 if max(len(items), len(users)) < 2**31 - 1 else np.int64
        item_idx = item_idx.astype(index_dtype, copy=False)
        user_idx = user_idx.astype(index_dtype, copy=False)
        key = item_idx.astype(np.int64) * len(users) + user_idx
        if len(key) > 1 and not np.all(key[1:] > key[:-1]):
            order = np.argsort(key, kind="stable")
            key, item_idx, user_idx, values = key[order], item_idx[order], user_idx[order], values[order]
            dup = np.flatnonzero(key[1:] == key[:-1])
            if len(dup):
                where = [f"{_place(items, users, item_idx[k], user_idx[k])}" for k in dup]
                raise ValueError(f"{len(dup)} duplicate (item, user) ratings: {and_more(where)}")

        # ``scale_given=False`` with a scale: the reader inferred it (a convention such as 1-5), so it is
        # not written back as a declaration; by default a scale passed in counts as declared.
        scale_given = (rating_scale is not None) if scale_given is None else bool(scale_given and rating_scale)
        if rating_scale is None:
            rating_scale = (float(values.min()), float(values.max())) if len(values) else (0.0, 1.0)
        lo, hi = (float(v) for v in rating_scale)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ValueError(f"rating scale must be two finite numbers (min <= max), got {rating_scale}")
        bad = np.flatnonzero((values < lo) | (values > hi))
        if len(bad):
            where = [f"{_place(items, users, item_idx[k], user_idx[k])}: {values[k]:g}" for k in bad]
            raise ValueError(f"{len(bad)} ratings are outside the scale {lo:g} to {hi:g}: {and_more(where)}")

        self.item_idx = _readonly(np.ascontiguousarray(item_idx))
        self.user_idx = _readonly(np.ascontiguousarray(user_idx))
        self.values = _readonly(np.ascontiguousarray(values))
        self.items = items
        self.users = users
        self.rating_scale = (lo, hi)
        self._scale_given = scale_given

    # ----------------------------------------------------------------------------------- constructors
    @classmethod
    def from_dense(
        cls,
        Y: Any,
        R: Any = None,
        items: Sequence[Hashable] | None = None,
        users: Sequence[Hashable] | None = None,
        rating_scale: tuple[float, float] | None = None,
    ) -> Ratings:
        """From the textbook's ``Y`` (items x users) and ``R`` (1 where rated); without ``R``, NaN = unrated."""
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim != 2:
            raise ValueError(f"Y must be a 2-D items x users array, got {Y.ndim}-D")
        if R is None:
            rated = ~np.isnan(Y)
        else:
            R = np.asarray(R)
            if R.shape != Y.shape:
                raise ValueError(f"Y and R must have the same shape (items x users), got Y {Y.shape} and R {R.shape}")
            Rf = R.astype(np.float64) if R.dtype != bool else R
            bad = np.argwhere((Rf != 0) & (Rf != 1)) if R.dtype != bool else np.empty((0, 2), int)
            if len(bad):
                i, j = bad[0]
                raise ValueError(
                    f"R must hold only 0 and 1; found {_plain(R[i, j])!r} at (item {i}, user {j}) "
                    f"and {len(bad) - 1} more"
                )
            rated = R.astype(bool)
        for kind, labels, n in (("item", items, Y.shape[0]), ("user", users, Y.shape[1])):
            if labels is not None and len(labels) != n:
                raise ValueError(f"{len(labels)} {kind} labels given for {n} {kind}s (Y is {Y.shape[0]}x{Y.shape[1]})")
        i, j = np.nonzero(rated)
        return cls(
            i,
            j,
            Y[i, j],
            items if items is not None else Y.shape[0],
            users if users is not None else Y.shape[1],
            rating_scale,
        )

    @classmethod
    def numbered(
        cls,
        item_idx: np.ndarray,
        user_idx: np.ndarray,
        values: np.ndarray,
        shape: tuple[int, int],
        rating_scale: tuple[float, float] | None = None,
        *,
        scale_given: bool | None = None,
    ) -> Ratings:
        """Entries of an unlabelled ``shape`` grid, its items and users labelled 1..n.

        The course's Octave files and generated sets name rows by number; counting from 1 matches what
        the course's ``Y(i, j)`` calls them, where bare positions would start at 0.
        """
        n_items, n_users = shape
        return cls(
            item_idx,
            user_idx,
            values,
            np.arange(1, n_items + 1),
            np.arange(1, n_users + 1),
            rating_scale,
            scale_given=scale_given,
        )

    @classmethod
    def from_frame(cls, df: pd.DataFrame, rating_scale: tuple[float, float] | None = None) -> Ratings:
        """From a wide DataFrame: index = items, columns = users, NaN = not rated."""
        numeric = df.apply(pd.to_numeric, errors="coerce")
        bad = numeric.isna() & df.notna()
        if bad.to_numpy().any():
            where = [
                f"(item {df.index[i]!r}, user {df.columns[j]!r}): {df.iat[i, j]!r}"
                for i, j in np.argwhere(bad.to_numpy())
            ]
            raise ValueError(f"{len(where)} cells are not numbers: {and_more(where)}")
        return cls.from_dense(numeric.to_numpy(dtype=np.float64), None, df.index, df.columns, rating_scale)

    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        user: str = "user",
        item: str = "item",
        rating: str = "rating",
        rating_scale: tuple[float, float] | None = None,
        duplicates: str = "error",
    ) -> Ratings:
        """From a long table of (user, item, rating) rows, one row per rating.

        ``duplicates`` says what to do with repeated (user, item) pairs: "error" (default), "last" or "mean".
        Labels are sorted, so the same ratings give the same positions whatever the row order: numbers by
        value, text labels "naturally" (:func:`natural_order`, as :func:`cf_core.io.load_ratings` does).
        """
        missing = [c for c in (user, item, rating) if c not in df.columns]
        if missing:
            raise ValueError(f"missing column(s) {missing}; the table has columns {list(df.columns)}")
        values = pd.to_numeric(df[rating], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy() & df[rating].notna().to_numpy())
        if len(bad):
            where = [f"row {k}: {df[rating].iloc[k]!r}" for k in bad]
            raise ValueError(f"{len(bad)} ratings in column {rating!r} are not numbers: {and_more(where)}")
        missing_rows = np.flatnonzero(df[[user, item, rating]].isna().any(axis=1).to_numpy())
        if len(missing_rows):
            raise ValueError(
                f"{len(missing_rows)} rows have an empty user, item or rating: rows {and_more(list(missing_rows))}"
            )
        item_codes, item_labels = natural_order(*pd.factorize(df[item], sort=True))
        user_codes, user_labels = natural_order(*pd.factorize(df[user], sort=True))
        vals = values.to_numpy(dtype=np.float64)
        if duplicates not in ("error", "last", "mean"):
            raise ValueError(f"duplicates must be 'error', 'last' or 'mean', got {duplicates!r}")
        key = item_codes.astype(np.int64) * len(user_labels) + user_codes
        if duplicates != "error" and len(key) != len(np.unique(key)):
            grouped = pd.Series(vals).groupby(key, sort=True)
            agg = grouped.last() if duplicates == "last" else grouped.mean()
            k = agg.index.to_numpy()
            item_codes, user_codes, vals = k // len(user_labels), k % len(user_labels), agg.to_numpy()
        elif duplicates == "error":
            dup_mask = pd.Series(key).duplicated(keep=False).to_numpy()
            if dup_mask.any():
                pairs = df.loc[dup_mask, [user, item]].drop_duplicates()
                where = [f"(user {u!r}, item {i!r})" for u, i in pairs.itertuples(index=False)]
                raise ValueError(f"{len(pairs)} (user, item) pairs are rated more than once: {and_more(where)}")
        return cls(item_codes, user_codes, vals, item_labels, user_labels, rating_scale)

    # ------------------------------------------------------------------------------------ conversions
    def to_dense(self) -> tuple[np.ndarray, np.ndarray]:
        """The textbook's ``(Y, R)``: Y has 0 where not rated, R is 0/1 (float, as in the course)."""
        Y = np.zeros(self.shape)
        R = np.zeros(self.shape)
        Y[self.item_idx, self.user_idx] = self.values
        R[self.item_idx, self.user_idx] = 1.0
        return Y, R

    def to_frame(self) -> pd.DataFrame:
        """Wide DataFrame (items x users), NaN where not rated."""
        grid = np.full(self.shape, np.nan)
        grid[self.item_idx, self.user_idx] = self.values
        return pd.DataFrame(grid, index=self.items.copy(), columns=self.users.copy())

    def to_long(self) -> pd.DataFrame:
        """Long DataFrame with columns user, item, rating, one row per rating."""
        return pd.DataFrame(
            {
                "user": self.users[self.user_idx],
                "item": self.items[self.item_idx],
                "rating": np.array(self.values),
            }
        )

    # ------------------------------------------------------------------------------- derived subsets
    def subset(self, mask: np.ndarray) -> Ratings:
        """The same grid (labels, scale) with only the entries where ``mask`` is true."""
        mask = np.asarray(mask, dtype=bool)
        part = Ratings(
            self.item_idx[mask], self.user_idx[mask], self.values[mask], self.items, self.users, self.rating_scale
        )
        part._scale_given = self._scale_given  # a split keeps the parent's scale, declared or inferred
        return part

    # ---------------------------------------------------------------------------------- properties
    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_ratings(self) -> int:
        return len(self.values)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_items, self.n_users)

    @property
    def density(self) -> float:
        """Share of the items x users grid that is rated."""
        return self.n_ratings / (self.n_items * self.n_users) if self.n_items and self.n_users else 0.0

    @property
    def scale_given(self) -> bool:
        """Whether the rating scale was declared rather than inferred from the values."""
        return self._scale_given

    def item_counts(self) -> np.ndarray:
        """Number of ratings per item."""
        return np.bincount(self.item_idx, minlength=self.n_items)

    def user_counts(self) -> np.ndarray:
        """Number of ratings per user."""
        return np.bincount(self.user_idx, minlength=self.n_users)

    def item_means(self) -> np.ndarray:
        """Mean rating per item; an item nobody rated gets the global mean (the course's fallback)."""
        counts = self.item_counts()
        sums = np.bincount(self.item_idx, weights=self.values, minlength=self.n_items)
        global_mean = float(self.values.mean()) if self.n_ratings else 0.0
        return np.divide(sums, counts, out=np.full(self.n_items, global_mean), where=counts > 0)

    def item_index(self, label: Hashable) -> int:
        """Position of an item label; a clear error for an unknown one (labels are never taken as positions)."""
        return self._position(self.items, label, "item")

    def user_index(self, label: Hashable) -> int:
        """Position of a user label; a clear error for an unknown one."""
        return self._position(self.users, label, "user")

    @staticmethod
    def _position(index: pd.Index, label: Hashable, kind: str) -> int:
        try:
            pos = index.get_loc(label)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            pos = None
        if not isinstance(pos, (int, np.integer)):
            sample = and_more([repr(x) for x in index[: LIST_AT_MOST + 1]])
            raise ValueError(f"unknown {kind} label {label!r}; {kind}s are labelled like {sample}")
        return int(pos)

    # ------------------------------------------------------------------------------------- protocol
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ratings):
            return NotImplemented
        return (
            self.items.equals(other.items)
            and self.users.equals(other.users)
            and self.rating_scale == other.rating_scale
            and np.array_equal(self.item_idx, other.item_idx)
            and np.array_equal(self.user_idx, other.user_idx)
            and np.array_equal(self.values, other.values)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container semantics: compare, don't hash

    def __repr__(self) -> str:
        lo, hi = self.rating_scale
        return (
            f"Ratings({self.n_items} items x {self.n_users} users, {self.n_ratings} ratings, "
            f"density {self.density:.2%}, scale {lo:g}-{hi:g})"
        )
