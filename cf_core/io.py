"""Reading and writing ratings and trained models, in the forms courses and tools use.

Everything a learner brings loads in one call, :func:`load_ratings`, which detects the format and either
returns a complete :class:`~cf_core.ratings.Ratings` or raises :class:`DataFormatError` naming the file,
line or column, and value. Nothing is half-loaded: a file with one bad cell is rejected as a whole.

Formats in (``format=``):

``"wide"``
    CSV, first column item labels, header row user labels, empty cell = not rated.
``"long"``
    CSV/TSV with one rating per row: user, item, rating (and optionally a timestamp, which is ignored).
    Delimiter (``, \\t ; |``, or an Excel ``sep=`` first line) and header are detected; header names
    such as ``userId``/``movie``/``score`` are recognised. Without a header the columns are user, item,
    rating[, timestamp].
``"movielens"``
    MovieLens 100k ``u.data`` (tab-separated user, item, rating, timestamp; no header); titles: ``u.item``.
    Also MovieLens 1M/10M ``ratings.dat`` ("::" separated); titles: ``movies.dat``.
``"movielens-csv"``
    MovieLens ``ratings.csv`` (userId,movieId,rating,timestamp); titles: ``movies.csv``.
``"mat"``
    The course exercise's MATLAB/Octave file holding ``Y`` and ``R`` (items x users); titles:
    ``movie_ids.txt`` ("<id> <title>" per line, latin-1).

How labels are typed (this is what makes export -> import an identity):

* CSV labels are strings, exactly as written: ``"007"``, ``"NA"`` and ``"1"`` stay strings, spaces are kept.
  An empty label is rejected. Wide files keep the label order of the file.
* Long files hold no label order, so labels are sorted "naturally": labels spelled as plain integers
  (``"2"`` before ``"10"``) by value first, then all others as text. A long file also cannot hold an item
  or user without ratings; the wide format keeps both, so it is the lossless one for edited grids.
* A header that names the user/item/rating roles (``user,item,rating``) makes a file long, so a wide grid
  whose users are literally called "user" and "rating" needs ``format="wide"``.
* MovieLens and ``.mat`` ids are integers (``.mat`` rows/columns are numbered from 1, as in MATLAB). With a
  titles file, items are labelled by title instead; a title shared by several ids gets ``" [id]"`` appended.

Metadata: files written by :func:`save_ratings` may start with ``# key: value`` lines, which carry what a
CSV cannot: ``# rating_scale: 0,5`` (only when the scale was declared, so ``scale_given`` survives) and
``# item_labels: int`` / ``# user_labels: int`` (integer labels come back as integers). Every leading
line that starts with ``#`` is such a comment; an explicit ``rating_scale=`` argument overrides the file's.

Files of a long format are the big ones (MovieLens 10M is 250 MB): they go through pandas' C parser with
one vectorized pass per check, and re-read as text only to word an error message.

Models are saved as ``.npz`` (arrays plus a JSON header) and read with ``allow_pickle=False``: a model
file from a stranger can never run code.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import scipy.io
import scipy.sparse

from .ratings import Ratings, natural_order

__all__ = [
    "DataFormatError",
    "FORMATS",
    "MAX_BYTES",
    "MAX_RATINGS",
    "MAX_WIDE_CELLS",
    "detect_format",
    "load_model",
    "load_ratings",
    "save_model",
    "save_predictions",
    "save_ratings",
]

#: format name -> what the app shows when describing it.
FORMATS: dict[str, str] = {
    "wide": "Wide CSV: items in rows, users in columns, empty cell = not rated",
    "long": "Long CSV/TSV: one (user, item, rating) row per rating",
    "movielens": "MovieLens 100k u.data (tab-separated, no header), optional u.item titles",
    "movielens-csv": "MovieLens ratings.csv (userId,movieId,rating,timestamp), optional movies.csv titles",
    "mat": "MATLAB/Octave .mat with Y and R (items x users), optional movie_ids.txt titles",
}

MAX_RATINGS = 20_000_000  # beyond this a load would exhaust a laptop's memory before it failed clearly
MAX_BYTES = 1 << 30  # 1 GiB: about 40M long-CSV rows, far past MAX_RATINGS
MAX_WIDE_CELLS = 10_000_000  # a wide grid is parsed cell by cell; larger grids belong in the long format
_MAX_LISTED = 3  # how many offending places a message names before "and N more"

Source = str | os.PathLike | IO[bytes] | bytes


class DataFormatError(ValueError):
    """A file that cannot be loaded, with where and why; ``str(err)`` is a complete sentence for the user.

    ``source`` is the file name, ``line`` the 1-based line in the file, ``column`` the column (or MATLAB
    variable) name, ``value`` the offending text; each is None where it does not apply.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.column = column
        self.value = value
        where = [source or "", f"line {line}" if line is not None else "", f"column {column!r}" if column else ""]
        prefix = ", ".join(w for w in where if w)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


# ------------------------------------------------------------------------------------------ reading bytes
def _source_name(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) and name else "<uploaded data>"


def _read_bytes(source: Source, what: str = "file") -> tuple[bytes, str]:
    """All bytes of a path, a binary (or text) file object, or bytes; with a name for messages."""
    name = _source_name(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise DataFormatError(f"no such {what}: {str(path)!r}", source=name)
        if path.is_dir():
            raise DataFormatError(f"{str(path)!r} is a folder, not a {what}", source=name)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise DataFormatError(
                f"the file is {size / 2**20:,.0f} MiB; CF Lab reads at most {MAX_BYTES >> 20} MiB", source=name
            )
        data = path.read_bytes()
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)  # an upload may have been read before (e.g. to preview it): always read it whole
        data = source.read(MAX_BYTES + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if len(data) > MAX_BYTES:
            raise DataFormatError(f"the data is larger than {MAX_BYTES >> 20} MiB, the most CF Lab reads", source=name)
    else:
        raise TypeError(f"source must be a path, a binary file object or bytes, got {type(source).__name__}")
    return data, name


_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook or a saved model?), not a CSV; save the sheet as CSV"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document, not a CSV; save the sheet as CSV"),
    (b"%PDF", "a PDF document, not a CSV"),
    (b"\x89PNG", "a PNG image, not a CSV"),
    (b"\xff\xd8\xff", "a JPEG image, not a CSV"),
    (b"\x1f\x8b", "gzip-compressed; unpack it first"),
    (b"\x80", "a Python pickle, not a CSV (CF Lab never loads pickles)"),
    (b"\x93NUMPY", "a NumPy .npy array, not a CSV"),
)


def _to_utf8(data: bytes, name: str, encoding: str) -> bytes:
    """The text as UTF-8 bytes (BOM removed), or a clear error for binary or undecodable content."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export is UTF-16
        encoding = "utf-16"
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise DataFormatError(f"this is {what}", source=name)
    if encoding.lower().replace("-", "").replace("_", "") != "utf8":
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as err:
            raise _decode_error(data, name, err) from None
        except LookupError:
            raise ValueError(f"unknown text encoding {encoding!r}") from None
    elif b"\x00" not in data[:8192] and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise _decode_error(data, name, err) from None
    if b"\x00" in data[:8192]:  # checked after decoding: UTF-16 text is full of NUL bytes until then
        raise DataFormatError("this is a binary file, not a CSV or text file", source=name)
    return data


def _decode_error(data: bytes, name: str, err: UnicodeDecodeError) -> DataFormatError:
    line = data.count(b"\n", 0, err.start) + 1
    bad = data[err.start : err.start + 4]
    return DataFormatError(
        f"bytes {bad!r} are not valid {err.encoding.upper()} text; save the file as UTF-8 or pass "
        f"encoding= (for example encoding='latin-1')",
        source=name,
        line=line,
        value=bad,
    )


# ------------------------------------------------------------------------------------------ text layout
@dataclass
class _Text:
    """A delimited text file after metadata comments are split off."""

    name: str
    body: bytes  # UTF-8, starting at the first line after the leading "#" comments
    line0: int  # file line number of the body's first line
    meta: dict[str, tuple[str, int]]  # key -> (value, line)
    delimiter: str
    first: list[str]  # fields of the first record (the header, when there is one)
    double_colon: bool = False  # MovieLens 1M "ratings.dat" ("::" separated), rewritten to tabs


_DELIMITERS = (",", "\t", ";", "|")


def _split_comments(data: bytes) -> tuple[bytes, int, dict[str, tuple[str, int]]]:
    meta: dict[str, tuple[str, int]] = {}
    pos, line = 0, 1
    while data.startswith(b"#", pos):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        text = data[pos + 1 : end].decode("utf-8").strip()
        key, sep, value = text.partition(":")
        if sep:
            meta[key.strip().lower()] = (value.strip(), line)
        pos, line = end, line + 1
    return data[pos:], line, meta


def _sniff(sample: str) -> tuple[str, list[str]] | None:
    """The delimiter (first in preference order whose field counts agree) and the first record's fields."""
    best: tuple[str, list[str]] | None = None
    for delim in _DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        if len(records) > 2 and not sample.endswith("\n"):
            records = records[:-1]  # the sample may end mid-record
        if not records or len(records[0]) < 2:
            continue
        agree = sum(len(r) == len(records[0]) for r in records)
        if agree >= max(1, len(records) - 1):  # tolerate one ragged row: the loader names it precisely
            return delim, records[0]
        if 2 * agree > len(records) and (best is None or len(records[0]) > len(best[1])):
            best = (delim, records[0])  # mostly regular: load it and let the loader name the odd rows
    return best


def _as_text(data: bytes, name: str) -> _Text:
    if not data or data.isspace():
        raise DataFormatError("the file is empty", source=name)
    body, line0, meta = _split_comments(data)
    if not body or body.isspace():
        raise DataFormatError("no ratings: the file holds only '#' comment lines", source=name)
    lead = len(body) - len(body.lstrip(b"\r\n"))
    line0 += body.count(b"\n", 0, lead)
    body = body[lead:]
    forced = re.match(rb"sep=(.)\r?\n", body)  # Excel's "sep=;" first line names the delimiter
    if forced:
        body, line0 = body[forced.end() :], line0 + 1
    double_colon = re.match(rb"[0-9]+::[0-9]+::", body) is not None
    if double_colon:  # MovieLens 1M/10M ratings.dat: integer fields only, so "::" -> tab is safe
        body = body.replace(b"::", b"\t")
    sample = body[:65536].decode("utf-8", errors="replace")
    if forced:
        delim = forced.group(1).decode("utf-8", errors="replace")
        try:
            first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delim), [])
        except csv.Error as err:
            raise DataFormatError(f"not a readable CSV ({err})", source=name, line=line0) from None
        return _Text(name, body, line0, meta, delim, first)
    found = _sniff(sample)
    if found is None:
        first = sample.splitlines()[0] if sample else ""
        raise DataFormatError(
            f"not a CSV: no delimiter (comma, tab, semicolon or |) splits the lines into the same number of "
            f"fields; the first line is {first[:60]!r}",
            source=name,
            line=line0,
            value=first[:60],
        )
    return _Text(name, body, line0, meta, found[0], found[1], double_colon)


def _records(text: _Text) -> Iterator[tuple[int, list[str]]]:
    """(file line where it starts, fields) of every record, blank lines included; csv errors name the line."""
    reader = csv.reader(io.StringIO(text.body.decode("utf-8"), newline=""), delimiter=text.delimiter)
    previous_end = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataFormatError(
                f"not a readable CSV ({err})", source=text.name, line=text.line0 + reader.line_num - 1
            ) from None
        yield previous_end + text.line0, fields
        previous_end = reader.line_num


def _record_lines(text: _Text, records: Sequence[int]) -> dict[int, int]:
    """File line numbers (1-based) of 0-based records of the body; blank lines are not records.

    Only used to word error messages, so a full csv scan is acceptable when quoted fields may span lines.
    """
    wanted = sorted({int(r) for r in records})
    if not wanted:
        return {}
    body = text.body
    if b'"' not in body:
        arr = np.frombuffer(body, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        starts = np.r_[0, ends + 1]
        stops = np.r_[ends, len(arr)]
        length = stops - starts
        has_cr = np.zeros(len(starts), dtype=bool)
        nonempty = length > 0
        has_cr[nonempty] = arr[stops[nonempty] - 1] == 13
        real = np.flatnonzero((length > 0) & ~((length == 1) & has_cr))
        return {r: int(real[r]) + text.line0 for r in wanted if r < len(real)}
    out: dict[int, int] = {}
    record, targets = 0, set(wanted)
    for start, fields in _records(text):
        if not fields:
            continue
        if record in targets:
            out[record] = start
            if len(out) == len(targets):
                break
        record += 1
    return out


def _ragged_record(text: _Text, n_fields: int) -> tuple[int, int] | None:
    """(file line, field count) of the first record whose field count differs from ``n_fields``."""
    for start, fields in _records(text):
        if fields and len(fields) != n_fields:
            return start, len(fields)
    return None


def _some(items: Sequence[str], total: int | None = None) -> str:
    total = len(items) if total is None else total
    shown = ", ".join(items[:_MAX_LISTED])
    return f"{shown} and {total - _MAX_LISTED} more" if total > _MAX_LISTED else shown


# ------------------------------------------------------------------------------------------ format detection
_ROLE_NAMES: dict[str, set[str]] = {
    "user": {"user", "userid", "users", "username", "uid", "customer", "customerid", "reviewer", "reviewerid", "rater"},
    "item": {
        "item",
        "itemid",
        "items",
        "movie",
        "movieid",
        "movies",
        "film",
        "title",
        "product",
        "productid",
        "book",
        "isbn",
        "song",
        "track",
        "asin",
    },
    "rating": {"rating", "ratings", "score", "stars", "rate", "grade", "preference"},
    "timestamp": {"timestamp", "time", "date", "datetime", "ts", "unixtime"},
}


def _role(field: str) -> str | None:
    key = re.sub(r"[^a-z0-9]", "", field.strip().lower())
    return next((role for role, names in _ROLE_NAMES.items() if key in names), None)


def _header_roles(fields: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for pos, field in enumerate(fields):
        role = _role(field)
        if role and role not in roles:
            roles[role] = pos
    return roles


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text_format(text: _Text) -> str:
    first = text.first
    norm = [re.sub(r"[^a-z0-9]", "", f.strip().lower()) for f in first]
    if norm[:3] == ["userid", "movieid", "rating"] and len(first) <= 4:
        return "movielens-csv"
    roles = _header_roles(first)
    if len(first) <= 6 and sum(r in roles for r in ("user", "item", "rating")) >= 2:
        return "long"
    if (
        len(first) in (3, 4)
        and first[0].strip()
        and _role(first[0]) is None
        and _is_number(first[2])
        and (len(first) == 3 or _is_number(first[3]))
    ):
        return "long"  # no header: user, item, rating[, timestamp]
    return "wide"


_MOVIELENS_NAME = re.compile(r"u[a-z0-9]*\.(data|base|test)", re.IGNORECASE)


def _mat_like(data: bytes, name: str) -> bool:
    return (
        name.lower().endswith(".mat")
        or data.startswith((b"MATLAB", b"\x89HDF"))
        or data[:256].lstrip().startswith(b"# Created by Octave")
    )


def detect_format(source: Source, encoding: str = "utf-8") -> str:
    """The format ``load_ratings(source)`` would read, so the app can say what it detected."""
    data, name = _read_bytes(source)
    return _detect(data, name, encoding)[0]


def _detect(data: bytes, name: str, encoding: str) -> tuple[str, _Text | None]:
    if _mat_like(data, name):
        return "mat", None
    text = _as_text(_to_utf8(data, name, encoding), name)
    if _MOVIELENS_NAME.fullmatch(name) or text.double_colon:
        return "movielens", text
    return _text_format(text), text


# ------------------------------------------------------------------------------------------ loading
def _declared_scale(
    rating_scale: tuple[float, float] | None, text: _Text | None, name: str
) -> tuple[float, float] | None:
    if rating_scale is not None:
        try:
            lo, hi = (float(v) for v in rating_scale)
        except (TypeError, ValueError):
            raise ValueError(f"rating_scale must be two numbers (min, max), got {rating_scale!r}") from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ValueError(f"rating_scale must be two finite numbers with min <= max, got {rating_scale!r}")
        return lo, hi
    if text is None or "rating_scale" not in text.meta:
        return None
    value, line = text.meta["rating_scale"]
    parts = [p for p in re.split(r"[,\s]+", value) if p]
    try:
        lo, hi = (float(p) for p in parts)
        ok = bool(np.isfinite(lo) and np.isfinite(hi) and lo <= hi)
    except ValueError:
        ok = False
    if not ok:
        raise DataFormatError(
            f"'# rating_scale: {value}' should be two numbers min,max such as '# rating_scale: 1,5'",
            source=name,
            line=line,
            value=value,
        )
    return lo, hi


def _int_labels(text: _Text | None, kind: str) -> bool:
    if text is None or f"{kind}_labels" not in text.meta:
        return False
    value, line = text.meta[f"{kind}_labels"]
    if value.lower() not in ("int", "str"):
        raise DataFormatError(
            f"'# {kind}_labels: {value}' should be 'int' or 'str'", source=text.name, line=line, value=value
        )
    return value.lower() == "int"


def _labels_to_int(labels: pd.Index, kind: str, name: str) -> np.ndarray:
    """String labels marked '# ..._labels: int' back to integers (exact spelling required, so no loss)."""
    as_str = np.asarray(labels, dtype=object).astype(str)
    ok = np.array([re.fullmatch(r"-?[0-9]+", s) is not None for s in as_str], dtype=bool)
    ints = pd.to_numeric(pd.Series(as_str), errors="coerce")
    if ok.all():
        ints_arr = ints.to_numpy(dtype=np.int64)
        ok = np.array([str(v) == s for v, s in zip(ints_arr, as_str, strict=True)], dtype=bool)
    if not ok.all():
        bad = as_str[~ok][0]
        raise DataFormatError(
            f"{kind} label {bad!r} is not an integer, but the file says '# {kind}_labels: int'",
            source=name,
            value=bad,
        )
    return ints.to_numpy(dtype=np.int64)


def _check_scale(
    values: np.ndarray, scale: tuple[float, float] | None, where: Any, name: str, column: str | None
) -> None:
    """Reject values outside a declared scale; ``where(k)`` -> (line, column, label text) for entry k."""
    if scale is None:
        return
    lo, hi = scale
    bad = np.flatnonzero((values < lo) | (values > hi))
    if len(bad):
        line, col, _ = where(bad[:_MAX_LISTED])
        more = f" ({len(bad)} ratings are outside it)" if len(bad) > 1 else ""
        raise DataFormatError(
            f"rating {values[bad[0]]:g} is outside the declared scale {lo:g} to {hi:g}{more}",
            source=name,
            line=line,
            column=col if col is not None else column,
            value=float(values[bad[0]]),
        )


def _check_count(n: int, name: str) -> None:
    if n > MAX_RATINGS:
        raise DataFormatError(
            f"about {n:,} ratings; CF Lab loads at most {MAX_RATINGS:,} (take a sample of the users first)",
            source=name,
        )


def _resolve_duplicates(
    item_codes: np.ndarray,
    user_codes: np.ndarray,
    values: np.ndarray,
    n_users: int,
    duplicates: str,
    describe: Any,
    name: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort entries item-major and settle repeated (item, user) pairs as ``duplicates`` says.

    ``describe(rows)`` words the rows of the first few repeated pairs for the error message.
    """
    key = item_codes.astype(np.int64) * n_users + user_codes
    # An unstable sort is several times faster than a stable one on millions of keys; file order within a
    # repeated pair is recovered from the row numbers in ``order`` where it matters.
    order = np.argsort(key)
    key = key[order]
    same_as_next = key[1:] == key[:-1]
    if not same_as_next.any():
        return key // n_users, key % n_users, values[order]
    first = np.flatnonzero(np.r_[True, ~same_as_next])  # start of each distinct pair
    if duplicates == "error":
        repeated = first[np.diff(np.r_[first, len(key)]) > 1]
        examples, first_line = [], None
        for s in repeated[:_MAX_LISTED]:
            stop = s + 1
            while stop < len(key) and key[stop] == key[s]:
                stop += 1
            text, line = describe(np.sort(order[s:stop]))
            examples.append(text)
            first_line = line if first_line is None else first_line
        more = f"; and {len(repeated) - _MAX_LISTED} more" if len(repeated) > _MAX_LISTED else ""
        raise DataFormatError(
            f"{len(repeated)} (user, item) pairs are rated more than once: {'; '.join(examples)}{more}. "
            "Pass duplicates='last' to keep the last rating of each or duplicates='mean' to average them",
            source=name,
            line=first_line,
        )
    if duplicates == "mean":
        values = np.add.reduceat(values[order], first) / np.diff(np.r_[first, len(key)])
    else:  # "last": the row that comes last in the file
        values = values[np.maximum.reduceat(order, first)]
    key = key[first]
    return key // n_users, key % n_users, values


def _data_start(text: _Text, has_header: bool) -> int:
    """Offset of the first data row in ``text.body`` (past the header); no copy of a large body."""
    if not has_header:
        return 0
    end = text.body.find(b"\n")
    return len(text.body) if end < 0 else end + 1


def _may_hold_plain_ints(text: _Text, has_header: bool) -> bool:
    """Cheap pre-check for the integer fast path: no quoting and no exponent in any data row."""
    start = _data_start(text, has_header)
    return all(text.body.find(c, start) < 0 for c in (b'"', b"e", b"E"))


def _ints_spelled_canonically(text: _Text, has_header: bool, columns: dict[int, np.ndarray], n_rows: int) -> bool:
    """Whether each parsed integer was written exactly as str(int) would write it, checked on the bytes.

    The C parser also reads "007", "+7", " 7", "7.0" or "-0" as integers, which would merge labels that
    differ as text. With no quotes or exponents (see ``_may_hold_plain_ints``) every such spelling is longer
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


def _label_order(
    codes: np.ndarray, labels: pd.Index, kind: str, parsed_as_ints: bool, marked_int: bool, name: str
) -> tuple[np.ndarray, pd.Index]:
    """Long-file labels in their documented order: integer-looking ones by value first, then the rest as text.

    ``labels`` come sorted (numerically if parsed as integers, else as text). With a '# ..._labels: int'
    line they become integers; otherwise they stay strings, so "7" and "007" remain distinct labels.
    """
    if parsed_as_ints:  # every label is a canonical integer, already in numeric order
        return codes, labels if marked_int else pd.Index(np.asarray(labels).astype(str), dtype="str")
    if not marked_int:
        return natural_order(codes, labels)
    ints = _labels_to_int(labels, kind, name)
    perm = np.lexsort((np.arange(len(labels)), ints))
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    return rank[codes], pd.Index(ints[perm])


def _string_categories(categories: pd.Index) -> bool:
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


def _column_name(text: _Text, has_header: bool, pos: int, role: str) -> str:
    return text.first[pos] if has_header else role


def _load_long(
    text: _Text,
    *,
    has_header: bool,
    cols: dict[str, int],
    int_ids: bool,
    scale: tuple[float, float] | None,
    duplicates: str,
) -> Ratings:
    """One rating per row; the C parser does the work, with a string re-read only to word an error."""
    name = text.name
    n_fields = len(text.first)
    _check_count(text.body.count(b"\n") + 1 - has_header, name)
    u, i, r = cols["user"], cols["item"], cols["rating"]
    cname = {role: _column_name(text, has_header, pos, role) for role, pos in cols.items()}

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
        return _record_lines(text, [int(k) + has_header for k in rows])

    # Labels that are all plain integers (the usual ids) parse as int64 several times faster than as strings;
    # that is lossless only when every integer is written canonically ("7", never "007", "+7" or "7.0").
    # Other labels parse fastest as categories (factorized inside the parser), unless pandas would turn the
    # categories into numbers ("007" -> 7): then as plain strings.
    attempts: list[Any] = ["category", "str"]
    if int_ids:
        attempts = [np.int64]
    elif _may_hold_plain_ints(text, has_header):
        attempts.insert(0, np.int64)
    clean, label_dtype = False, None
    for dtype in attempts:
        try:
            df = read({u: dtype, i: dtype, r: np.float64})
            values = df[r].to_numpy(dtype=np.float64)
            clean = bool(np.isfinite(values).all())
            if clean and dtype is np.int64 and not int_ids:
                ids = {u: df[u].to_numpy(), i: df[i].to_numpy()}
                clean = _ints_spelled_canonically(text, has_header, ids, len(df))
            if clean and dtype == "category":
                clean = all(_string_categories(df[c].cat.categories) for c in (u, i))
        except (ValueError, OverflowError, pd.errors.ParserError):
            clean = False
        if clean:
            label_dtype = dtype
            break
    ids_as_ints = label_dtype is np.int64
    if not clean:
        try:
            df = read(dict.fromkeys(range(n_fields), "str"))
        except pd.errors.ParserError:
            ragged = _ragged_record(text, n_fields)
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
        raw = df[r].fillna("").astype(str).str.strip()
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(numbers))
        if len(bad):
            text_value = raw.iloc[bad[0]]
            if text_value == "":
                problem = "the rating is empty (a long file needs a rating on every row)"
            elif text_value.lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(numbers[bad[0]]):
                problem = f"{text_value!r} is not a finite number"
            else:
                problem = f"{text_value!r} is not a number"
                if re.fullmatch(r"-?[0-9]+,[0-9]+", text_value):
                    problem += " (write decimals with a point, not a comma)"
            more = f" ({len(bad)} bad ratings in all)" if len(bad) > 1 else ""
            raise DataFormatError(
                problem + more,
                source=name,
                line=lines([bad[0]]).get(bad[0] + has_header),
                column=cname["rating"],
                value=text_value,
            )
        values = numbers
        for role, pos in (("user", u), ("item", i)):
            col = df[pos]
            empty = np.flatnonzero((col.isna() | (col.astype(str) == "")).to_numpy())
            if len(empty):
                raise DataFormatError(
                    f"the {role} is empty or missing",
                    source=name,
                    line=lines([empty[0]]).get(empty[0] + has_header),
                    column=cname[role],
                )
            if int_ids:
                ids = pd.to_numeric(col, errors="coerce")
                whole = ids.notna().to_numpy() & (ids.fillna(0.5) % 1 == 0).to_numpy()
                nonint = np.flatnonzero(~whole)
                if len(nonint):
                    k = nonint[0]
                    raise DataFormatError(
                        f"{col.iloc[k]!r} is not an integer {role} id",
                        source=name,
                        line=lines([k]).get(k + has_header),
                        column=cname[role],
                        value=col.iloc[k],
                    )
                df[pos] = ids.astype(np.int64)
    if len(df) == 0:
        raise DataFormatError("no ratings: the file has a header but no rows", source=name)
    users_col, items_col = df[u], df[i]
    if not ids_as_ints:
        for role, col in (("user", users_col), ("item", items_col)):
            if isinstance(col.dtype, pd.CategoricalDtype):
                blank = col.cat.categories.get_indexer([""])[0]
                codes = col.cat.codes.to_numpy()
                empty = np.flatnonzero((codes == -1) | (codes == blank) if blank >= 0 else codes == -1)
            else:
                empty = np.flatnonzero((col == "").to_numpy(dtype=bool, na_value=True))
            if len(empty):
                raise DataFormatError(
                    f"the {role} is empty or missing",
                    source=name,
                    line=lines([empty[0]]).get(empty[0] + has_header),
                    column=cname[role],
                )
    _check_count(len(values), name)

    def where(rows: np.ndarray) -> tuple[int | None, str, str]:
        return lines([rows[0]]).get(int(rows[0]) + has_header), cname["rating"], ""

    _check_scale(values, scale, where, name, cname["rating"])
    item_codes, item_labels = _factorize(items_col)
    user_codes, user_labels = _factorize(users_col)
    if not int_ids:
        item_codes, item_labels = _label_order(
            item_codes, item_labels, "item", ids_as_ints, _int_labels(text, "item"), name
        )
        user_codes, user_labels = _label_order(
            user_codes, user_labels, "user", ids_as_ints, _int_labels(text, "user"), name
        )

    def describe(rows: np.ndarray) -> tuple[str, int | None]:
        found = lines(rows[:4])
        at = [found.get(int(k) + has_header) for k in rows[:4]]
        where_ = " and ".join(str(n) for n in at) + (f" (+{len(rows) - 4})" if len(rows) > 4 else "")
        return f"user {users_col.iloc[rows[0]]!r}, item {items_col.iloc[rows[0]]!r} on lines {where_}", at[1]

    item_idx, user_idx, values = _resolve_duplicates(
        item_codes, user_codes, values, len(user_labels), duplicates, describe, name
    )
    return Ratings(item_idx, user_idx, values, item_labels, user_labels, scale)


def _load_wide(text: _Text, scale: tuple[float, float] | None) -> Ratings:
    """Items in rows, users in columns; parsed with the csv module, which knows each record's line."""
    name = text.name
    header_fields = len(text.first)
    est_rows = text.body.count(b"\n") + 1
    if est_rows * header_fields > MAX_WIDE_CELLS:
        raise DataFormatError(
            f"a wide grid of about {est_rows:,} x {header_fields:,} cells is too large (at most "
            f"{MAX_WIDE_CELLS:,}); save it in the long format (user,item,rating)",
            source=name,
        )
    records: list[list[str]] = []
    record_lines: list[int] = []
    for start, fields in _records(text):
        if any(f != "" for f in fields):  # ",,,," is a spreadsheet's empty row; " " is a label
            records.append(fields)
            record_lines.append(start)
    if not records:
        raise DataFormatError("no ratings: every row is empty", source=name)
    header, header_line = records[0], record_lines[0]
    users = header[1:]
    while users and users[-1] == "" and all(len(r) <= len(users) or not r[len(users)].strip() for r in records):
        users.pop()  # a trailing empty column (spreadsheet export), with no ratings in it: nothing is lost
    n_users = len(users)
    if n_users == 0:
        raise DataFormatError(
            "the header row names no users (a wide CSV has user labels across the top)", source=name, line=header_line
        )
    for j, label in enumerate(users):
        if label == "":
            raise DataFormatError(f"column {j + 2} has no user label in the header row", source=name, line=header_line)
    dup_users = pd.Index(users)[pd.Index(users).duplicated()].unique().tolist()
    if dup_users:
        raise DataFormatError(
            f"the header names user {dup_users[0]!r} more than once (each user needs its own column)",
            source=name,
            line=header_line,
            value=dup_users[0],
        )
    rows = records[1:]
    lines = record_lines[1:]
    if not rows:
        raise DataFormatError("no ratings: the file has a header row but no item rows", source=name)
    items: list[str] = []
    cells: list[list[str]] = []
    for fields, line in zip(rows, lines, strict=True):
        if len(fields) < n_users + 1:
            raise DataFormatError(
                f"this row has {len(fields)} cells but the header has {n_users + 1} (a cut-off file? "
                "write unrated cells as empty cells between commas)",
                source=name,
                line=line,
            )
        if len(fields) > n_users + 1 and any(f.strip() for f in fields[n_users + 1 :]):
            raise DataFormatError(
                f"this row has {len(fields)} cells but the header has only {n_users + 1}",
                source=name,
                line=line,
                value=fields[n_users + 1],
            )
        if fields[0] == "":
            raise DataFormatError("this row has ratings but no item label in its first cell", source=name, line=line)
        items.append(fields[0])
        cells.append(fields[1 : n_users + 1])
    item_index = pd.Index(items)
    if not item_index.is_unique:
        dup = item_index[item_index.duplicated()][0]
        dup_lines = [str(lines[k]) for k in np.flatnonzero(item_index == dup)]
        raise DataFormatError(
            f"item {dup!r} has more than one row (lines {_some(dup_lines)}); each item needs one row",
            source=name,
            line=int(dup_lines[1]),
            value=dup,
        )
    flat = np.array(cells, dtype=object).reshape(-1)
    # Most cells of a real grid are empty: strip and convert only the others (10x faster on MovieLens shapes).
    rated = np.flatnonzero(flat != "")
    texts = pd.Series(flat[rated], dtype=object).str.strip()
    keep = (texts != "").to_numpy()
    rated, texts = rated[keep], texts[keep]
    numbers = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        value = texts.iloc[bad[0]]
        k = rated[bad[0]]
        if value.lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(numbers[bad[0]]):
            problem = f"{value!r} is not a finite number"
        else:
            problem = f"{value!r} is not a number"
        problem += " (leave a cell empty for 'not rated')"
        if re.fullmatch(r"-?[0-9]+,[0-9]+", value):
            problem += "; write decimals with a point, not a comma"
        if len(bad) > 1:
            problem += f"; {len(bad)} cells are bad in all"
        raise DataFormatError(problem, source=name, line=lines[k // n_users], column=users[k % n_users], value=value)
    if len(rated) == 0:
        raise DataFormatError("no ratings: every cell is empty (an empty cell means not rated)", source=name)
    values = numbers
    item_idx, user_idx = rated // n_users, rated % n_users

    def where(ks: np.ndarray) -> tuple[int, str, str]:
        k = rated[ks[0]]
        return lines[k // n_users], users[k % n_users], items[k // n_users]

    _check_scale(values, scale, where, name, None)
    item_labels: Any = _labels_to_int(item_index, "item", name) if _int_labels(text, "item") else item_index
    user_labels: Any = _labels_to_int(pd.Index(users), "user", name) if _int_labels(text, "user") else users
    for kind, labels in (("item", item_labels), ("user", user_labels)):
        labels = pd.Index(labels)
        if not labels.is_unique:
            raise DataFormatError(
                f"{kind} labels {labels[labels.duplicated()][0]!r} repeat once read as integers", source=name
            )
    return Ratings(item_idx, user_idx, values, item_labels, user_labels, scale)


def _load_mat(data: bytes, name: str, scale: tuple[float, float] | None) -> Ratings:
    """The course's ``ex8_movies.mat``: ``Y`` (ratings, 0 where unrated) and ``R`` (1 where rated)."""
    if data.lstrip().startswith(b"# Created by Octave") or data.lstrip().startswith(b"# name:"):
        raise DataFormatError(
            "this is an Octave text file; save it in MATLAB format with: save -v7 ratings.mat Y R", source=name
        )
    if data.startswith(b"\x89HDF") or b"MATLAB 7.3" in data[:128]:
        raise DataFormatError(
            "this is a MATLAB v7.3 (HDF5) file, which cannot be read here; save it with: save -v7 ratings.mat Y R",
            source=name,
        )
    try:
        content = scipy.io.loadmat(io.BytesIO(data))
    except Exception as err:  # scipy raises many types for corrupt input; all mean "not a readable .mat"
        raise DataFormatError(f"not a readable MATLAB .mat file ({err})", source=name) from None
    variables = sorted(k for k in content if not k.startswith("__"))
    missing = [v for v in ("Y", "R") if v not in content]
    if missing:
        hint = " (X and Theta are model parameters; ratings are in the file with Y and R)" if "X" in variables else ""
        raise DataFormatError(
            f"the .mat file has no variable {' or '.join(missing)}; it holds {', '.join(variables) or 'nothing'}. "
            f"CF Lab needs Y (ratings, items x users) and R (1 where rated){hint}",
            source=name,
            column=missing[0],
        )
    arrays = {}
    for var in ("Y", "R"):
        a = content[var]
        if scipy.sparse.issparse(a):
            if a.shape[0] * a.shape[1] > MAX_WIDE_CELLS * 10:
                raise DataFormatError(f"{var} is {a.shape[0]} x {a.shape[1]}, too large", source=name, column=var)
            a = a.toarray()
        a = np.asarray(a)
        if a.dtype.kind not in "biuf" or a.ndim != 2:
            raise DataFormatError(
                f"{var} must be a 2-D numeric matrix (items x users), got {a.ndim}-D {a.dtype}", source=name, column=var
            )
        arrays[var] = a
    Y, R = arrays["Y"], arrays["R"]
    if Y.shape != R.shape:
        raise DataFormatError(
            f"Y is {Y.shape[0]} x {Y.shape[1]} but R is {R.shape[0]} x {R.shape[1]}; both must be items x users",
            source=name,
            column="R",
        )
    Rf = R.astype(np.float64)
    bad = np.argwhere((Rf != 0) & (Rf != 1))
    if len(bad):
        i, j = bad[0]
        raise DataFormatError(
            f"R({i + 1},{j + 1}) = {Rf[i, j]:g}; R must hold only 0 (not rated) and 1 (rated)",
            source=name,
            column="R",
            value=float(Rf[i, j]),
        )
    item_idx, user_idx = np.nonzero(Rf)
    _check_count(len(item_idx), name)
    if len(item_idx) == 0:
        raise DataFormatError("no ratings: R is all zeros", source=name, column="R")
    values = Y[item_idx, user_idx].astype(np.float64)
    bad_k = np.flatnonzero(~np.isfinite(values))
    if len(bad_k):
        i, j = item_idx[bad_k[0]], user_idx[bad_k[0]]
        raise DataFormatError(
            f"Y({i + 1},{j + 1}) = {values[bad_k[0]]} where R({i + 1},{j + 1}) = 1; a rating must be a finite number",
            source=name,
            column="Y",
            value=float(values[bad_k[0]]),
        )
    if scale is not None:
        lo, hi = scale
        out = np.flatnonzero((values < lo) | (values > hi))
        if len(out):
            i, j = item_idx[out[0]], user_idx[out[0]]
            raise DataFormatError(
                f"Y({i + 1},{j + 1}) = {values[out[0]]:g} is outside the declared scale {lo:g} to {hi:g}",
                source=name,
                column="Y",
                value=float(values[out[0]]),
            )
    n_items, n_users = Y.shape
    return Ratings(item_idx, user_idx, values, np.arange(1, n_items + 1), np.arange(1, n_users + 1), scale)


# ------------------------------------------------------------------------------------------ titles
def _titles_movie_ids(data: bytes, name: str) -> dict[int, str]:
    """The course's movie_ids.txt: "<id> <title>" per line, latin-1."""
    titles: dict[int, str] = {}
    for n, line in enumerate(data.decode("latin-1").splitlines(), start=1):
        if not line.strip():
            continue
        m = re.fullmatch(r"\s*([0-9]+)\s+(.*?)\s*", line)
        if m is None:
            raise DataFormatError(f"expected '<id> <title>', got {line[:60]!r}", source=name, line=n, value=line[:60])
        titles[int(m.group(1))] = m.group(2)
    return titles


def _titles_u_item(data: bytes, name: str) -> dict[int, str]:
    """MovieLens 100k u.item ("id|title|release date|...") or 1M movies.dat ("id::title::genres"), latin-1."""
    titles: dict[int, str] = {}
    text = data.decode("latin-1")
    sep = "::" if "::" in text.split("\n", 1)[0] else "|"
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(sep)
        if len(fields) < 2 or not fields[0].strip().isdigit():
            raise DataFormatError(
                f"expected 'id{sep}title{sep}...', got {line[:60]!r}", source=name, line=n, value=line[:60]
            )
        titles[int(fields[0])] = fields[1]
    return titles


def _titles_movies_csv(data: bytes, name: str) -> dict[int, str]:
    """MovieLens movies.csv: movieId,title,genres with a header, UTF-8."""
    text = _as_text(_to_utf8(data, name, "utf-8"), name)
    norm = [re.sub(r"[^a-z0-9]", "", f.lower()) for f in text.first]
    if "movieid" not in norm or "title" not in norm:
        raise DataFormatError(
            f"expected columns movieId and title, found {text.first}",
            source=name,
            line=text.line0,
            column="movieId" if "movieid" not in norm else "title",
        )
    df = pd.read_csv(
        io.BytesIO(text.body), sep=text.delimiter, dtype=str, keep_default_na=False, engine="c", encoding="utf-8"
    )
    ids = pd.to_numeric(df.iloc[:, norm.index("movieid")], errors="coerce")
    bad = np.flatnonzero(ids.isna().to_numpy() | (ids.fillna(0.5) % 1 != 0).to_numpy())
    if len(bad):
        line = _record_lines(text, [int(bad[0]) + 1]).get(int(bad[0]) + 1)
        value = df.iloc[bad[0], norm.index("movieid")]
        raise DataFormatError(
            f"{value!r} is not an integer movie id", source=name, line=line, column="movieId", value=value
        )
    return dict(zip(ids.astype(np.int64).tolist(), df.iloc[:, norm.index("title")].tolist(), strict=True))


_TITLE_READERS = {"movielens": _titles_u_item, "movielens-csv": _titles_movies_csv, "mat": _titles_movie_ids}


def _apply_titles(ratings: Ratings, titles: dict[int, str], name: str) -> Ratings:
    """Relabel integer item ids by title; a title shared by several ids gets " [id]" so labels stay unique."""
    ids = np.asarray(ratings.items)
    missing = [int(i) for i in ids if int(i) not in titles]
    if missing:
        raise DataFormatError(
            f"{len(missing)} rated item ids have no title in it: {_some([str(m) for m in missing], len(missing))}",
            source=name,
        )
    labels = pd.Series([titles[int(i)] for i in ids])
    shared = labels.duplicated(keep=False).to_numpy()
    labels[shared] = [f"{t} [{i}]" for t, i in zip(labels[shared], ids[shared], strict=True)]
    empty = np.flatnonzero((labels.str.strip() == "").to_numpy())
    if len(empty):
        raise DataFormatError(f"item id {int(ids[empty[0]])} has an empty title", source=name)
    return Ratings(
        ratings.item_idx,
        ratings.user_idx,
        ratings.values,
        pd.Index(labels.tolist(), dtype=object),
        ratings.users,
        ratings.rating_scale if ratings.scale_given else None,
    )


# ------------------------------------------------------------------------------------------ public: load
def load_ratings(
    source: Source,
    format: str = "auto",
    titles: Source | None = None,
    rating_scale: tuple[float, float] | None = None,
    *,
    duplicates: str = "error",
    encoding: str = "utf-8",
) -> Ratings:
    """Load ratings from a path, an upload (binary file object) or bytes, in any format of :data:`FORMATS`.

    ``titles`` (MovieLens and .mat only) relabels items by title. ``rating_scale`` declares (min, max)
    and rejects ratings outside it. ``duplicates`` settles a (user, item) pair rated twice in a long file:
    "error" (default), "last" (keep the later row) or "mean". Raises :class:`DataFormatError` (a
    ValueError) naming the file, line or column and value of the first problem.
    """
    if format != "auto" and format not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {list(FORMATS)}, got {format!r}")
    if duplicates not in ("error", "last", "mean"):
        raise ValueError(f"duplicates must be 'error', 'last' or 'mean', got {duplicates!r}")
    data, name = _read_bytes(source)
    if format == "auto":
        fmt, text = _detect(data, name, encoding)
    elif format == "mat":
        fmt, text = "mat", None
    else:
        fmt, text = format, _as_text(_to_utf8(data, name, encoding), name)
    scale = _declared_scale(rating_scale, text, name)
    if titles is not None and fmt not in _TITLE_READERS:
        raise ValueError(
            "titles go with MovieLens (u.item, movies.csv) and .mat (movie_ids.txt) data; "
            f"this {fmt} file carries its item labels itself"
        )
    if fmt == "mat":
        ratings = _load_mat(data, name, scale)
    elif fmt == "wide":
        assert text is not None
        ratings = _load_wide(text, scale)
    else:
        assert text is not None
        if fmt == "movielens":
            cols, has_header, int_ids = {"user": 0, "item": 1, "rating": 2}, False, True
            if len(text.first) not in (3, 4):
                raise DataFormatError(
                    f"u.data rows have 4 tab-separated fields (user, item, rating, timestamp); found {len(text.first)}",
                    source=name,
                    line=text.line0,
                )
        elif fmt == "movielens-csv":
            norm = [re.sub(r"[^a-z0-9]", "", f.lower()) for f in text.first]
            needed = {"user": "userid", "item": "movieid", "rating": "rating"}
            missing = [k for k, v in needed.items() if v not in norm]
            if missing:
                raise DataFormatError(
                    f"missing column(s) {', '.join(needed[m] for m in missing)}; MovieLens ratings.csv has "
                    f"userId,movieId,rating,timestamp but this header is {','.join(text.first)}",
                    source=name,
                    line=text.line0,
                )
            cols, has_header, int_ids = {k: norm.index(v) for k, v in needed.items()}, True, True
        else:
            cols, has_header = _long_columns(text)
            int_ids = False
        ratings = _load_long(
            text, has_header=has_header, cols=cols, int_ids=int_ids, scale=scale, duplicates=duplicates
        )
    if titles is not None:
        title_data, title_name = _read_bytes(titles, "titles file")
        ratings = _apply_titles(ratings, _TITLE_READERS[fmt](title_data, title_name), title_name)
    return ratings


def _long_columns(text: _Text) -> tuple[dict[str, int], bool]:
    """Positions of user, item and rating, and whether the first row is a header."""
    roles = _header_roles(text.first)
    if sum(r in roles for r in ("user", "item", "rating")) >= 2 or not _is_number(
        text.first[2] if len(text.first) > 2 else ""
    ):
        missing = [r for r in ("user", "item", "rating") if r not in roles]
        if missing:
            raise DataFormatError(
                f"missing column(s) {', '.join(missing)}: a long CSV needs user, item and rating columns, "
                f"but the header is {','.join(text.first)}",
                source=text.name,
                line=text.line0,
                column=missing[0],
            )
        return {r: roles[r] for r in ("user", "item", "rating")}, True
    if len(text.first) not in (3, 4):
        raise DataFormatError(
            f"a long CSV without a header has 3 or 4 columns (user, item, rating[, timestamp]); this one has "
            f"{len(text.first)}",
            source=text.name,
            line=text.line0,
        )
    return {"user": 0, "item": 1, "rating": 2}, False


# ------------------------------------------------------------------------------------------ writing
def _write(content: bytes, dest: str | os.PathLike | IO[bytes] | None) -> bytes | None:
    if dest is None:
        return content
    if isinstance(dest, (str, os.PathLike)):
        Path(dest).write_bytes(content)
    else:
        dest.write(content)
    return None


def _label_strings(index: pd.Index, kind: str) -> tuple[list[str], bool]:
    """Labels as CSV text, and whether they are integers (marked so they come back as integers)."""
    is_int = pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype)
    texts = [str(v) for v in index]
    for t in texts:
        if t == "" or "\x00" in t:
            raise ValueError(f"{kind} label {t!r} cannot be written to CSV: empty or NUL labels read back differently")
    if len(set(texts)) != len(texts):
        seen: set[str] = set()
        dup = next(t for t in texts if t in seen or seen.add(t))
        raise ValueError(f"two {kind} labels are both written as {dup!r}; make the labels distinct as text")
    return texts, is_int


def _newline(*label_lists: list[str]) -> str:
    """LF line ends, or CRLF when a label holds a carriage return: the csv writer quotes only line-end characters."""
    return "\r\n" if any("\r" in t for labels in label_lists for t in labels) else "\n"


def _number_strings(values: np.ndarray) -> np.ndarray:
    """Shortest text that reads back as exactly the same float; whole numbers without '.0'."""
    text = values.astype(str)
    whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 1e15)
    text[whole] = values[whole].astype(np.int64).astype(str)
    return text


def _metadata(ratings: Ratings, item_int: bool, user_int: bool) -> str:
    lines = []
    if ratings.scale_given:
        lo, hi = ratings.rating_scale
        lines.append(f"# rating_scale: {_number_strings(np.array([lo]))[0]},{_number_strings(np.array([hi]))[0]}")
    if item_int:
        lines.append("# item_labels: int")
    if user_int:
        lines.append("# user_labels: int")
    return "".join(line + "\n" for line in lines)


def save_ratings(
    ratings: Ratings, dest: str | os.PathLike | IO[bytes] | None = None, format: str = "wide"
) -> bytes | None:
    """Write ratings as a wide or long UTF-8 CSV that :func:`load_ratings` reads back as an equal Ratings.

    ``dest`` is a path or binary file object; None returns the bytes (for a download button). A declared
    rating scale and integer labels are kept in leading ``#`` lines (see the module notes).
    """
    if format not in ("wide", "long"):
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
    items, item_int = _label_strings(ratings.items, "item")
    users, user_int = _label_strings(ratings.users, "user")
    buffer = io.StringIO(newline="")
    buffer.write(_metadata(ratings, item_int, user_int))
    values = _number_strings(np.asarray(ratings.values))
    if format == "wide":
        if ratings.n_items * ratings.n_users > MAX_WIDE_CELLS:
            raise ValueError(
                f"a {ratings.n_items:,} x {ratings.n_users:,} grid is too large for a wide CSV; use format='long'"
            )
        grid = np.full(ratings.shape, "", dtype=object)
        grid[ratings.item_idx, ratings.user_idx] = values
        writer = csv.writer(buffer, lineterminator=_newline(items, users))
        writer.writerow(["item", *users])
        writer.writerows([label, *row] for label, row in zip(items, grid.tolist(), strict=True))
    else:
        frame = pd.DataFrame(
            {
                "user": np.asarray(users, dtype=object)[ratings.user_idx],
                "item": np.asarray(items, dtype=object)[ratings.item_idx],
                "rating": values,
            }
        )
        frame.to_csv(buffer, index=False, lineterminator=_newline(items, users))
    return _write(buffer.getvalue().encode("utf-8"), dest)


def save_predictions(
    model: Any, dest: str | os.PathLike | IO[bytes] | None = None, format: str = "wide", *, clip: bool = True
) -> bytes | None:
    """Write a fitted model's predicted ratings for every (item, user) as CSV.

    "wide": items x users like the ratings grid. "long": user, item, rating (empty where unrated),
    prediction, one row per pair, so actual and predicted sit side by side.
    """
    if format not in ("wide", "long"):
        raise ValueError(f"format must be 'wide' or 'long', got {format!r}")
    if not hasattr(model, "X_"):
        raise ValueError("the model is not fitted yet: call fit(ratings) before saving predictions")
    r: Ratings = model.ratings_
    if r.n_items * r.n_users > MAX_RATINGS:
        raise ValueError(
            f"{r.n_items:,} x {r.n_users:,} = {r.n_items * r.n_users:,} predictions are too many for one CSV "
            f"(at most {MAX_RATINGS:,}); predict a subset with model.predict_all(items, users)"
        )
    items, _ = _label_strings(r.items, "item")
    users, _ = _label_strings(r.users, "user")
    pred = model.predict_matrix(clip=clip)
    buffer = io.StringIO(newline="")
    if format == "wide":
        writer = csv.writer(buffer, lineterminator=_newline(items, users))
        writer.writerow(["item", *users])
        text = pred.astype(str)
        writer.writerows([label, *row] for label, row in zip(items, text.tolist(), strict=True))
    else:
        actual = np.full(r.shape, "", dtype=object)
        actual[r.item_idx, r.user_idx] = _number_strings(np.asarray(r.values))
        ii, uu = np.meshgrid(np.arange(r.n_items), np.arange(r.n_users), indexing="ij")
        frame = pd.DataFrame(
            {
                "user": np.asarray(users, dtype=object)[uu.ravel()],
                "item": np.asarray(items, dtype=object)[ii.ravel()],
                "rating": actual.ravel(),
                "prediction": pred.ravel(),
            }
        )
        frame.to_csv(buffer, index=False, lineterminator=_newline(items, users))
    return _write(buffer.getvalue().encode("utf-8"), dest)


# ------------------------------------------------------------------------------------------ models
_MODEL_FORMAT = "cf-lab-model"
_MODEL_VERSION = 1
_MODEL_ARRAYS = (
    "X",
    "Theta",
    "item_bias",
    "user_bias",
    "offsets",
    "item_means",
    "cost_history",
    "items",
    "users",
    "item_idx",
    "user_idx",
    "values",
)


def _label_array(index: pd.Index) -> tuple[np.ndarray, str]:
    if pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
        return np.asarray(index, dtype=np.int64), "int"
    texts, _ = _label_strings(index, "label")
    return np.array(texts, dtype=str), "str"


def save_model(model: Any, dest: str | os.PathLike | IO[bytes] | None = None) -> bytes | None:
    """Write a fitted model (parameters, offsets, labels, hyperparameters, training ratings) as ``.npz``.

    Everything is a plain array or JSON, so :func:`load_model` needs no pickle. The training ratings are
    included so a loaded model still knows which items each user has rated (for recommendations).
    """
    if not hasattr(model, "X_"):
        raise ValueError("the model is not fitted yet: call fit(ratings) before saving it")
    r: Ratings = model.ratings_
    params = {k: v.item() if isinstance(v, np.generic) else v for k, v in model.get_params().items()}
    if not isinstance(params.get("random_state"), (int, type(None))):
        params["random_state"] = None  # a Generator object has no portable form; the fit itself is saved
    unportable = [k for k, v in params.items() if not isinstance(v, (str, int, float, bool, type(None)))]
    if unportable:
        raise ValueError(f"parameter(s) {unportable} cannot be saved: only numbers, strings and None can")
    items, item_kind = _label_array(r.items)
    users, user_kind = _label_array(r.users)
    meta = {
        "format": _MODEL_FORMAT,
        "version": _MODEL_VERSION,
        "class": type(model).__name__,
        "params": params,
        "rating_scale": list(r.rating_scale),
        "scale_given": r.scale_given,
        "global_mean": float(model.global_mean_),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "message": str(model.message_),
        "fit_time": float(getattr(model, "fit_time_", 0.0)),
        "labels": {"items": item_kind, "users": user_kind},
    }
    arrays = {
        "X": model.X_,
        "Theta": model.Theta_,
        "item_bias": model.item_bias_,
        "user_bias": model.user_bias_,
        "offsets": model.offsets_,
        "item_means": model.item_means_,
        "cost_history": model.cost_history_,
        "items": items,
        "users": users,
        "item_idx": np.asarray(r.item_idx),
        "user_idx": np.asarray(r.user_idx),
        "values": np.asarray(r.values),
    }
    if hasattr(model, "validation_history_"):
        arrays["validation_history"] = model.validation_history_
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return _write(buffer.getvalue(), dest)


def load_model(source: Source) -> Any:
    """Read a model written by :func:`save_model` (never unpickling anything) and return it fitted."""
    from .estimator import CollaborativeFiltering  # io is imported by the estimator's users, not vice versa

    data, name = _read_bytes(source, "model file")
    if not data.startswith(b"PK\x03\x04"):
        raise DataFormatError("not a saved CF Lab model: expected an .npz archive from save_model", source=name)
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                try:
                    arrays[key] = npz[key]
                except ValueError:  # numpy refuses object arrays without pickle, and so do we
                    raise DataFormatError(
                        f"{key} holds Python objects, which would need unpickling; CF Lab never loads pickled data",
                        source=name,
                        column=key,
                    ) from None
    except DataFormatError:
        raise
    except Exception as err:  # zipfile.BadZipFile, EOFError, OSError ... from a corrupt archive
        raise DataFormatError(f"not a readable .npz archive ({type(err).__name__}: {err})", source=name) from None
    missing = [k for k in ("meta", *_MODEL_ARRAYS) if k not in arrays]
    if missing:
        raise DataFormatError(
            f"not a saved CF Lab model: the archive lacks {', '.join(missing)}", source=name, column=missing[0]
        )
    try:
        meta = json.loads(str(arrays.pop("meta")[()]))
    except (json.JSONDecodeError, IndexError, TypeError):
        raise DataFormatError("the model header (meta) is not valid JSON", source=name, column="meta") from None
    if not isinstance(meta, dict) or meta.get("format") != _MODEL_FORMAT:
        raise DataFormatError("not a saved CF Lab model (its header does not say cf-lab-model)", source=name)
    if meta.get("version") != _MODEL_VERSION:
        raise DataFormatError(
            f"model file version {meta.get('version')!r}; this CF Lab reads version {_MODEL_VERSION}", source=name
        )
    try:
        model = CollaborativeFiltering(**meta["params"])
        model._validate_params()
        items = pd.Index(arrays["items"].astype(np.int64 if meta["labels"]["items"] == "int" else object))
        users = pd.Index(arrays["users"].astype(np.int64 if meta["labels"]["users"] == "int" else object))
        ratings = Ratings(
            arrays["item_idx"],
            arrays["user_idx"],
            arrays["values"],
            items,
            users,
            tuple(meta["rating_scale"]) if meta["scale_given"] else None,
            allow_empty=True,  # a model trained where the ratings live (cf_core.spark) is saved without them
        )
        n_items, n_users, k = len(items), len(users), model.num_features
        expected = {
            "X": (n_items, k),
            "Theta": (n_users, k),
            "item_bias": (n_items,),
            "user_bias": (n_users,),
            "offsets": (n_items,),
            "item_means": (n_items,),
        }
        for key, shape in expected.items():
            if arrays[key].shape != shape or arrays[key].dtype.kind != "f":
                raise DataFormatError(
                    f"{key} has shape {arrays[key].shape} ({arrays[key].dtype}); expected float {shape}",
                    source=name,
                    column=key,
                )
            if not np.isfinite(arrays[key]).all():
                raise DataFormatError(f"{key} holds NaN or infinite values", source=name, column=key)
    except DataFormatError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise DataFormatError(f"the model file is inconsistent: {err}", source=name) from None
    model.ratings_ = ratings
    model.X_, model.Theta_ = arrays["X"], arrays["Theta"]
    model.item_bias_, model.user_bias_ = arrays["item_bias"], arrays["user_bias"]
    model.offsets_, model.item_means_ = arrays["offsets"], arrays["item_means"]
    model.global_mean_ = float(meta["global_mean"])
    model.cost_history_ = arrays["cost_history"]
    model.n_iter_ = int(meta["n_iter"])
    model.converged_ = bool(meta["converged"])
    model.message_ = str(meta["message"])
    model.fit_time_ = float(meta["fit_time"])
    if "validation_history" in arrays:
        model.validation_history_ = arrays["validation_history"]
    return model
