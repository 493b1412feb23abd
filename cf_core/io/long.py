"""Long CSV/TSV: one rating per row (user, item, rating[, timestamp]); also the reader MovieLens uses.

Detection rule (:func:`detect`): a header naming two of the user/item/rating roles makes a file long.
Without one, a file of 3 or 4 fields is long when its rows cannot be a wide grid: a later row has text
where a wide grid has ratings, or every field of the first row is a number (ids), or a label repeats in
the first column (a wide grid has one row per item). A first row whose first cell is text and whose
other cells are numbers, over rows with unique first cells, is a wide grid with numeric user labels.

Big files (MovieLens 10M is 250 MB) go through pandas' C parser with one vectorized pass per check,
and are re-read as text only to word an error message.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..messages import and_more
from ..ratings import Ratings
from .context import Context
from .errors import MAX_LISTED, DataFormatError
from .labels import exact_int, int_labels, label_order
from .scale import declared_scale, settle_scale
from .text import Text, is_number, ragged_record, record_lines, sample_records

__all__ = ["detect", "read", "header_roles", "role", "read_long", "check_count"]

_ROLE_NAMES: dict[str, set[str]] = {
    "user": {"user", "userid", "users", "username", "uid", "customer", "customerid", "reviewer", "reviewerid", "rater"},
    "item": {
        *("item", "itemid", "items", "movie", "movieid", "movies", "film", "title", "product", "productid"),
        *("book", "isbn", "song", "track", "asin"),
    },
    "rating": {"rating", "ratings", "score", "stars", "rate", "grade", "preference"},
    "timestamp": {"timestamp", "time", "date", "datetime", "ts", "unixtime"},
}
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+,[0-9]+")
_DECIMAL_POINT = re.compile(r"[+-]?[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[+-]?[0-9]+\.")


def role(field: str) -> str | None:
    """The role ("user", "item", "rating", "timestamp") a header field names, if any."""
    key = re.sub(r"[^a-z0-9]", "", field.strip().lower())
    return next((r for r, names in _ROLE_NAMES.items() if key in names), None)


def header_roles(fields: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for pos, f in enumerate(fields):
        r = role(f)
        if r and r not in roles:
            roles[r] = pos
    return roles


def _decimal_guess(text: Text) -> str:
    return "," if text.delimiter != "," else "."


def detect(text: Text) -> str | None:
    """Why the file is long (the rule in the module notes), or None."""
    first = text.first
    roles = header_roles(first)
    if len(first) <= 6 and sum(r in roles for r in ("user", "item", "rating")) >= 2:
        return "its header names the user, item and rating columns"
    if len(first) not in (3, 4) or not first[0].strip() or role(first[0]) is not None:
        return None
    dec = _decimal_guess(text)
    if not all(is_number(f, dec) for f in first[2:]):
        return None  # a header of names: a wide grid's user labels
    rows = sample_records(text)[1:]
    if not rows:
        return "it has a single row, which as a wide grid would be a header without ratings"
    if any(len(r) > 1 and any(f.strip() == "" for f in r[1:]) for r in rows):
        return None  # empty cells: a wide grid's "not rated"
    if any(len(r) > 1 and not is_number(r[1], dec) for r in rows):
        return "a later row has text in the second column, which a wide grid's ratings cannot be"
    if all(is_number(f, dec) for f in first):
        return "every field of the first row is a number, so it is a rating row (ids), not a header"
    firsts = [first[0]] + [r[0] for r in rows]
    if len(set(firsts)) < len(firsts):
        return "a label repeats in the first column, as users do in a long file (a wide grid has one row per item)"
    return None


def _ints_spelled_canonically(text: Text, has_header: bool, columns: dict[int, np.ndarray], n_rows: int) -> bool:
    """Whether each parsed integer was written exactly as str(int) would write it, checked on the bytes.

    The C parser also reads "007", "+7", " 7", "7.0" or "-0" as integers, which would merge labels that
    differ as text. With no quotes or exponents (see ``may_hold_plain_ints``) every such spelling is longer
    than the canonical one, so comparing each field's byte length with the integer's digit count decides.
    """
    n_fields = len(text.first)
    a = np.frombuffer(text.body, dtype=np.uint8, offset=_data_start(text, has_header))
    ends = np.flatnonzero(a == ord("\n"))
    if len(a) and a[-1] != ord("\n"):
        ends = np.r_[ends, len(a)]
    starts = np.r_[0, ends[:-1] + 1] if len(ends) else np.zeros(0, dtype=np.int64)
    crlf = np.zeros(len(ends), dtype=bool)
    nonempty = ends > starts
    crlf[nonempty] = a[ends[nonempty] - 1] == ord("\r")
    stops = ends - crlf
    keep = stops > starts  # pandas skips blank lines too
    starts, stops = starts[keep], stops[keep]
    delims = np.flatnonzero(a == ord(text.delimiter))
    if len(starts) != n_rows or len(delims) != n_rows * (n_fields - 1):
        return False
    D = delims.reshape(n_rows, n_fields - 1)
    if n_fields > 1 and not (np.all(D[:, 0] >= starts) and np.all(D[:, -1] < stops)):
        return False
    powers = 10 ** np.arange(19, dtype=np.int64)
    for col, values in columns.items():
        field_start = starts if col == 0 else D[:, col - 1] + 1
        field_stop = stops if col == n_fields - 1 else D[:, col]
        digits = np.maximum(np.searchsorted(powers, np.abs(values), side="right"), 1) + (values < 0)
        if not np.array_equal(field_stop - field_start, digits):
            return False
    return True


def _data_start(text: Text, has_header: bool) -> int:
    """Offset of the first data row in ``text.body`` (past the header); no copy of a large body."""
    if not has_header:
        return 0
    end = text.body.find(b"\n")
    return len(text.body) if end < 0 else end + 1


def may_hold_plain_ints(text: Text, has_header: bool) -> bool:
    """Cheap pre-check for the integer fast path: no quoting and no exponent in any data row."""
    start = _data_start(text, has_header)
    return all(text.body.find(c, start) < 0 for c in (b'"', b"e", b"E"))


def resolve_duplicates(
    item_codes: np.ndarray,
    user_codes: np.ndarray,
    values: np.ndarray,
    n_users: int,
    duplicates: str,
    describe: Any,
    name: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sort entries item-major and settle repeated (item, user) pairs as ``duplicates`` says.

    ``describe(rows)`` words the rows of the first few repeated pairs for the error message. Returns the
    entries and how many pairs were repeated.
    """
    key = item_codes.astype(np.int64) * n_users + user_codes
    # An unstable sort is several times faster than a stable one on millions of keys; file order within a
    # repeated pair is recovered from the row numbers in ``order`` where it matters.
    order = np.argsort(key)
    key = key[order]
    same_as_next = key[1:] == key[:-1]
    if not same_as_next.any():
        return key // n_users, key % n_users, values[order], 0
    first = np.flatnonzero(np.r_[True, ~same_as_next])  # start of each distinct pair
    repeated = first[np.diff(np.r_[first, len(key)]) > 1]
    if duplicates == "error":
        examples, first_line = [], None
        for s in repeated[:MAX_LISTED]:
            stop = s + 1
            while stop < len(key) and key[stop] == key[s]:
                stop += 1
            text, line = describe(np.sort(order[s:stop]))
            examples.append(text)
            first_line = line if first_line is None else first_line
        listed = and_more(examples, len(repeated), "; ")
        raise DataFormatError(
            f"{len(repeated)} (user, item) pairs are rated more than once: {listed}. "
            "Pass duplicates='last' to keep the last rating of each or duplicates='mean' to average them",
            source=name,
            line=first_line,
        )
    if duplicates == "mean":
        values = np.add.reduceat(values[order], first) / np.diff(np.r_[first, len(key)])
    else:  # "last": the row that comes last in the file
        values = values[np.maximum.reduceat(order, first)]
    key = key[first]
    return key // n_users, key % n_users, values, len(repeated)


def string_categories(categories: pd.Index) -> bool:
    """Whether the parser kept categories as the strings written (it makes all-numeric ones numbers)."""
    return pd.api.types.is_string_dtype(categories.dtype) and all(isinstance(c, str) for c in categories[:1])


def _factorize(col: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes and sorted unique labels of a label column (integer, string or categorical)."""
    if not isinstance(col.dtype, pd.CategoricalDtype):
        return pd.factorize(col, sort=True)
    categories = col.cat.categories
    order = np.argsort(np.asarray(categories, dtype=object), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[col.cat.codes.to_numpy()], pd.Index(np.asarray(categories, dtype=object)[order], dtype="str")


def long_columns(text: Text, header: bool | None) -> tuple[dict[str, int], bool, str]:
    """Positions of user, item and rating, whether the first row is a header, and why."""
    roles = header_roles(text.first)
    dec = _decimal_guess(text)
    named = sum(r in roles for r in ("user", "item", "rating")) >= 2
    rating_field = text.first[2] if len(text.first) > 2 else ""
    if header is None:
        header = named or not is_number(rating_field, dec)
        how = (
            "it names the columns"
            if named
            else ("its third field is not a rating" if header else "detected: the first row holds a rating")
        )
    else:
        how = "set when reading"
    if header and named:
        missing = [r for r in ("user", "item", "rating") if r not in roles]
        if missing:
            raise DataFormatError(
                f"missing column(s) {', '.join(missing)}: a long CSV needs user, item and rating columns, "
                f"but the header is {','.join(text.first)}",
                source=text.name,
                line=text.line0,
                column=missing[0],
            )
        return {r: roles[r] for r in ("user", "item", "rating")}, True, how
    if header and not named and how != "set when reading":
        raise DataFormatError(
            f"missing column(s) {', '.join(r for r in ('user', 'item', 'rating') if r not in roles)}: a long CSV "
            f"needs user, item and rating columns, but the header is {','.join(text.first)}",
            source=text.name,
            line=text.line0,
            column=next(r for r in ("user", "item", "rating") if r not in roles),
        )
    if len(text.first) not in (3, 4):
        raise DataFormatError(
            f"a long CSV without a header naming its columns has 3 or 4 columns (user, item, rating[, timestamp]); "
            f"this one has {len(text.first)}",
            source=text.name,
            line=text.line0,
        )
    return {"user": 0, "item": 1, "rating": 2}, header, how


def _ratings_from_text(
    raw: pd.Series, delimiter: str, decimal: str | None, name: str, column: str, line_of: Any
) -> tuple[np.ndarray, str, str]:
    """Rating texts as floats, with the decimal mark used and how it was decided."""
    raw = raw.fillna("").astype(str).str.strip()
    commas = raw.str.fullmatch(_DECIMAL_COMMA.pattern).to_numpy(dtype=bool)
    if decimal is None:
        if commas.any() and delimiter != ",":
            points = raw.str.fullmatch(_DECIMAL_POINT.pattern).to_numpy(dtype=bool)
            if points.any():
                c, p = int(np.flatnonzero(commas)[0]), int(np.flatnonzero(points)[0])
                raise DataFormatError(
                    f"the ratings mix decimal commas ({raw.iloc[c]!r}, line {line_of(c)}) and decimal points "
                    f"({raw.iloc[p]!r}, line {line_of(p)}); pass decimal=',' or decimal='.' to say which is meant",
                    source=name,
                    line=line_of(c),
                    column=column,
                    value=raw.iloc[c],
                )
            decimal, how = ",", "detected: ratings such as " + repr(raw.iloc[int(np.flatnonzero(commas)[0])])
        else:
            decimal, how = ".", "detected"
    else:
        how = "set when reading"
    text = raw.str.replace(",", ".", regex=False) if decimal == "," else raw
    numbers = np.array(pd.to_numeric(text, errors="coerce"), dtype=np.float64)
    if decimal == ",":
        numbers[raw.str.contains(".", regex=False).to_numpy(dtype=bool)] = np.nan  # "4.5" is not a comma decimal
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        value = raw.iloc[bad[0]]
        if value == "":
            problem = "the rating is empty (a long file needs a rating on every row)"
        elif value.lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(numbers[bad[0]]):
            problem = f"{value!r} is not a finite number"
        else:
            problem = f"{value!r} is not a number"
            if decimal == "." and _DECIMAL_COMMA.fullmatch(value):
                problem += " (write decimals with a point, not a comma, or pass decimal=',')"
            elif decimal == "," and "." in value:
                problem += " (the decimal mark was set to a comma)"
        more = f" ({len(bad)} bad ratings in all)" if len(bad) > 1 else ""
        raise DataFormatError(problem + more, source=name, line=line_of(bad[0]), column=column, value=value)
    return numbers, decimal, how


def read_long(
    ctx: Context,
    *,
    has_header: bool,
    cols: dict[str, int],
    int_ids: bool,
) -> Ratings:
    """One rating per row; the C parser does the work, with a string re-read only to word an error."""
    text = ctx.text
    assert text is not None
    opts = ctx.options
    name = text.name
    n_fields = len(text.first)
    _check_count(text.body.count(b"\n") + 1 - has_header, name, opts.limits.max_ratings)
    u, i, r = cols["user"], cols["item"], cols["rating"]
    cname = {role_: (text.first[pos] if has_header else role_) for role_, pos in cols.items()}
    declared = declared_scale(opts.rating_scale, text.meta, name)

    def read(dtypes: dict[int, Any]) -> pd.DataFrame:
        # All columns are read (no usecols) so a row with an extra field is an error, not silently cut;
        # the columns CF Lab ignores (timestamps, genres) may mix types across chunks, which is harmless.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(
                io.BytesIO(text.body),
                sep=text.delimiter,
                header=None,
                names=list(range(n_fields)),
                index_col=False,
                skiprows=1 if has_header else 0,
                dtype=dtypes,
                keep_default_na=False,
                na_values={r: [""]},
                engine="c",
                encoding="utf-8",
                low_memory=False,  # one pass, not chunks: 3x faster for categories, and no larger peak here
            )

    def lines(rows: Sequence[int]) -> dict[int, int]:
        return record_lines(text, [int(k) + has_header for k in rows])

    def line_of(k: int) -> int | None:
        return lines([k]).get(int(k) + has_header)

    # Labels that are all plain integers (the usual ids) parse as int64 several times faster than as strings;
    # that is lossless only when every integer is written canonically ("7", never "007", "+7" or "7.0").
    # Other labels parse fastest as categories (factorized inside the parser), unless pandas would turn the
    # categories into numbers ("007" -> 7): then as plain strings. A rating column with a decimal comma
    # fails the float parse and takes the string path.
    attempts: list[Any] = ["category", "str"]
    if int_ids:
        attempts = [np.int64]
    elif may_hold_plain_ints(text, has_header):
        attempts.insert(0, np.int64)
    clean, label_dtype = False, None
    decimal, decimal_how = ".", "detected"
    if opts.decimal == ",":
        attempts = []
    for dtype in attempts:
        try:
            df = read({u: dtype, i: dtype, r: np.float64})
            values = df[r].to_numpy(dtype=np.float64)
            clean = bool(np.isfinite(values).all())
            if clean and dtype is np.int64 and not int_ids:
                ids = {u: df[u].to_numpy(), i: df[i].to_numpy()}
                clean = _ints_spelled_canonically(text, has_header, ids, len(df))
            if clean and dtype == "category":
                clean = all(string_categories(df[c].cat.categories) for c in (u, i))
        except (ValueError, OverflowError, pd.errors.ParserError):
            clean = False
        if clean:
            label_dtype = dtype
            decimal_how = "set when reading" if opts.decimal else "detected"
            break
    ids_as_ints = label_dtype is np.int64
    if not clean:
        try:
            df = read(dict.fromkeys(range(n_fields), "str"))
        except pd.errors.ParserError:
            ragged = ragged_record(text, n_fields)
            if ragged is None:
                raise
            line, count = ragged
            raise DataFormatError(
                f"this row has {count} fields but the {'header' if has_header else 'first row'} has {n_fields}",
                source=name,
                line=line,
            ) from None
        if len(df) == 0:
            raise DataFormatError("no ratings: the file has a header but no rows", source=name)
        values, decimal, decimal_how = _ratings_from_text(
            df[r], text.delimiter, opts.decimal, name, cname["rating"], line_of
        )
        for role_, pos in (("user", u), ("item", i)):
            col = df[pos]
            empty = np.flatnonzero((col.isna() | (col.astype(str) == "")).to_numpy())
            if len(empty):
                raise DataFormatError(
                    f"the {role_} is empty or missing", source=name, line=line_of(empty[0]), column=cname[role_]
                )
            if int_ids:
                ints = np.empty(len(col), dtype=np.int64)
                for k, s in enumerate(col.astype(str).str.strip()):
                    v = exact_int(s) if s[:1] != "+" else None
                    if v is None:
                        why = (
                            "beyond 64 bits (ids this long are kept exact as text by format='long')"
                            if re.fullmatch(r"-?[0-9]+", s)
                            else "not an integer"
                        )
                        raise DataFormatError(
                            f"{col.iloc[k]!r} is {why} {role_} id"
                            if why == "not an integer"
                            else f"{role_} id {s} is {why}",
                            source=name,
                            line=line_of(k),
                            column=cname[role_],
                            value=col.iloc[k],
                        )
                    ints[k] = v
                df[pos] = ints
        ids_as_ints = int_ids
    if len(df) == 0:
        raise DataFormatError("no ratings: the file has a header but no rows", source=name)
    users_col, items_col = df[u], df[i]
    if not ids_as_ints:
        for role_, col in (("user", users_col), ("item", items_col)):
            if isinstance(col.dtype, pd.CategoricalDtype):
                blank = col.cat.categories.get_indexer([""])[0]
                codes = col.cat.codes.to_numpy()
                empty = np.flatnonzero((codes == -1) | (codes == blank) if blank >= 0 else codes == -1)
            else:
                empty = np.flatnonzero((col == "").to_numpy(dtype=bool, na_value=True))
            if len(empty):
                raise DataFormatError(
                    f"the {role_} is empty or missing", source=name, line=line_of(empty[0]), column=cname[role_]
                )
    _check_count(len(values), name, opts.limits.max_ratings)
    ctx.facts.update(decimal=decimal, decimal_how=decimal_how)

    def locate(rows: np.ndarray) -> tuple[int | None, str | None, str]:
        return line_of(int(rows[0])), cname["rating"], ""

    choice = settle_scale(values, declared, opts.outliers, locate, name)
    if choice.keep is not None:
        users_col, items_col, values = users_col[choice.keep], items_col[choice.keep], values[choice.keep]
        row_of = np.flatnonzero(choice.keep)
    else:
        row_of = None
    ctx.facts["scale"] = choice
    item_codes, item_labels = _factorize(items_col)
    user_codes, user_labels = _factorize(users_col)
    if not int_ids:
        item_codes, item_labels = label_order(
            item_codes, item_labels, "item", ids_as_ints, int_labels(text, "item"), name
        )
        user_codes, user_labels = label_order(
            user_codes, user_labels, "user", ids_as_ints, int_labels(text, "user"), name
        )

    def describe(rows: np.ndarray) -> tuple[str, int | None]:
        file_rows = rows if row_of is None else row_of[rows]
        found = lines(file_rows[:4])
        at = [found.get(int(k) + has_header) for k in file_rows[:4]]
        where_ = " and ".join(str(n) for n in at) + (f" (+{len(rows) - 4})" if len(rows) > 4 else "")
        return f"user {users_col.iloc[rows[0]]!r}, item {items_col.iloc[rows[0]]!r} on lines {where_}", at[1]

    item_idx, user_idx, values, settled = resolve_duplicates(
        item_codes, user_codes, values, len(user_labels), opts.duplicates, describe, name
    )
    ctx.facts["duplicates_settled"] = settled
    return Ratings(item_idx, user_idx, values, item_labels, user_labels, choice.scale, scale_given=choice.given)


def _check_count(n: int, name: str, cap: int) -> None:
    if n > cap:
        raise DataFormatError(
            f"about {n:,} ratings; CF Lab loads at most {cap:,} (take a sample of the users first)", source=name
        )


check_count = _check_count


def read(ctx: Context) -> Ratings:
    """A generic long file: columns found from the header (or user, item, rating[, timestamp])."""
    assert ctx.text is not None
    cols, has_header, how = long_columns(ctx.text, ctx.options.header)
    ctx.facts.update(header=has_header, header_how=how, orientation="one rating per row (user, item, rating)")
    return read_long(ctx, has_header=has_header, cols=cols, int_ids=False)
