"""One entry point for every format: read the bytes, detect (or take) each setting, read, report how."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ratings import Ratings
from .context import Context, Options
from .limits import DEFAULT_LIMITS, Limits
from .registry import REGISTRY, Format, by_name
from .report import ReadReport
from .scale import ScaleChoice
from .source import Source, read_bytes, to_utf8
from .text import DELIMITERS, as_text

__all__ = ["read_ratings", "load_ratings", "detect_format"]

_KNOWN_META = ("rating_scale", "item_labels", "user_labels", "description")


def _check_options(format: str, delimiter: str | None, decimal: str | None, duplicates: str, outliers: str) -> None:
    if format != "auto":
        by_name(format)
    if duplicates not in ("error", "last", "mean"):
        raise ValueError(f"duplicates must be 'error', 'last' or 'mean', got {duplicates!r}")
    if outliers not in ("error", "drop"):
        raise ValueError(f"outliers must be 'error' or 'drop', got {outliers!r}")
    if decimal not in (None, ".", ","):
        raise ValueError(f"decimal must be '.' or ',' (or None to detect it), got {decimal!r}")
    if delimiter is not None and (len(delimiter) != 1 or delimiter in "\r\n\"'"):
        raise ValueError(
            f"delimiter must be one character such as {', '.join(map(repr, DELIMITERS))}, got {delimiter!r}"
        )
    if delimiter is not None and delimiter == decimal:
        raise ValueError("the delimiter and the decimal mark cannot be the same character")


def _choose(format: str, name: str, data: bytes, encoding: str | None, delimiter: str | None):
    """(format entry, why, text or None, encoding, how the encoding was decided)."""
    if format != "auto":
        fmt = by_name(format)
        if fmt.binary:
            return fmt, "set when reading", None, None, ""
    else:
        for fmt in REGISTRY:
            if fmt.binary and (why := fmt.detect(name, data)):
                return fmt, why, None, None, ""
    utf8, used, how = to_utf8(data, name, encoding)
    text = as_text(utf8, name, delimiter)
    if format != "auto":
        return by_name(format), "set when reading", text, used, how
    for fmt in REGISTRY:
        if not fmt.binary and (why := fmt.detect(text)):
            return fmt, why, text, used, how
    raise AssertionError("the last registry entry claims every text file")  # pragma: no cover


def detect_format(source: Source, encoding: str | None = None, *, name: str | None = None) -> str:
    """The format ``load_ratings(source)`` would read, so the app can say what it detected."""
    data, fname = read_bytes(source, DEFAULT_LIMITS, name=name)
    return _choose("auto", fname, data, encoding, None)[0].name


def _apply_titles(ratings: Ratings, titles: dict[int, str]) -> tuple[Ratings, int, int]:
    """Items labelled by title where the titles file has one; the others keep their id (as text).

    A label shared by several ids gets " [id]" appended so labels stay unique.
    """
    ids = np.asarray(ratings.items)
    found = [titles.get(int(i), "").strip() != "" for i in ids]
    labels = pd.Series([titles[int(i)] if ok else str(int(i)) for i, ok in zip(ids, found, strict=True)])
    shared = labels.duplicated(keep=False).to_numpy()
    labels[shared] = [f"{t} [{i}]" for t, i in zip(labels[shared], ids[shared], strict=True)]
    titled = Ratings(
        ratings.item_idx,
        ratings.user_idx,
        ratings.values,
        pd.Index(labels.tolist(), dtype=object),
        ratings.users,
        ratings.rating_scale,
        scale_given=ratings.scale_given,
    )
    n_found = int(sum(found))
    return titled, n_found, len(ids) - n_found


def read_ratings(
    source: Source,
    format: str = "auto",
    titles: Source | None = None,
    rating_scale: tuple[float, float] | None = None,
    *,
    name: str | None = None,
    titles_name: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    header: bool | None = None,
    encoding: str | None = None,
    duplicates: str = "error",
    outliers: str = "error",
    limits: Limits | None = None,
) -> tuple[Ratings, ReadReport]:
    """Ratings from a path, an upload (binary file object) or bytes, and a report of how they were read.

    Every setting is detected unless given: ``format`` (see :data:`FORMATS`), ``delimiter``, ``decimal``
    (``'.'`` or ``','``), ``header`` (long files), ``encoding`` (UTF-8, else cp1252, else latin-1), and
    ``rating_scale`` (a ``(min, max)`` that overrides the file's ``# rating_scale:`` line and the
    inferred convention; ratings outside it are refused). ``outliers`` settles ratings far outside the
    inferred scale: "error" (default, naming line and value) or "drop". ``duplicates`` settles a (user,
    item) pair rated twice in a long file: "error" (default), "last" or "mean". ``name`` is the file
    name for messages and for detection by extension (an upload's name); ``titles`` (MovieLens and .mat)
    labels items by title. ``limits`` bounds what a file may make CF Lab allocate.

    Raises :class:`DataFormatError` (a ValueError) naming the file, line or column and value.
    """
    _check_options(format, delimiter, decimal, duplicates, outliers)
    limits = limits or DEFAULT_LIMITS
    data, fname = read_bytes(source, limits, name=name)
    fmt, why, text, used, enc_how = _choose(format, fname, data, encoding, delimiter)
    if titles is not None and fmt.titles is None:
        raise ValueError(
            "titles go with MovieLens (u.item, movies.csv) and .mat (movie_ids.txt) data; "
            f"this {fmt.name} file carries its item labels itself"
        )
    options = Options(delimiter, decimal, header, duplicates, outliers, rating_scale, limits)
    ctx = Context(fname, data, text, options)
    ratings = fmt.read(ctx)
    titled = n_titled = n_raw = 0
    titles_file = None
    if titles is not None:
        assert fmt.titles is not None
        title_data, titles_file = read_bytes(titles, limits, "titles file", name=titles_name)
        ratings, n_titled, n_raw = _apply_titles(ratings, fmt.titles(title_data, titles_file))
        titled = 1
    return ratings, _report(fmt, why, ctx, used, enc_how, ratings, titles_file if titled else None, n_titled, n_raw)


def _report(
    fmt: Format,
    why: str,
    ctx: Context,
    encoding: str | None,
    encoding_how: str,
    ratings: Ratings,
    titles_file: str | None,
    n_titled: int,
    n_raw: int,
) -> ReadReport:
    text, facts = ctx.text, ctx.facts
    choice: ScaleChoice | None = facts.get("scale")
    given = "set when reading"
    meta = tuple(
        f"{k}: {v}" if k in _KNOWN_META else f"{k}: {v} (not a CF Lab setting; ignored)"
        for k, (v, _line) in (text.meta.items() if text is not None else ())
    )
    notes = list(ctx.notes)
    if fmt.name == "wide" and why.startswith("no other"):
        row = text.first if text is not None else []
        if len(row) in (3, 4) and row[0].strip() and all(_number_like(f) for f in row[1:]):
            notes.append(
                "The first row was read as user labels (its first cell is text, the others numbers, and no label "
                "repeats in the first column); if it is a rating, read the file with format 'long' and no header."
            )
    return ReadReport(
        name=ctx.name,
        format=fmt.name,
        format_how=why,
        encoding=encoding,
        encoding_how=given if encoding_how == "given" else encoding_how,
        delimiter=text.delimiter if text is not None else None,
        delimiter_how=(given if text.delimiter_how == "given" else text.delimiter_how) if text is not None else "",
        decimal=facts.get("decimal"),
        decimal_how=facts.get("decimal_how", ""),
        header=facts.get("header"),
        header_how=facts.get("header_how", ""),
        orientation=facts.get("orientation", ""),
        comments_skipped=text.comments if text is not None else 0,
        metadata=meta,
        rating_scale=ratings.rating_scale,
        scale_origin=choice.origin if choice is not None else "",
        scale_given=ratings.scale_given,
        n_ratings=ratings.n_ratings,
        n_items=ratings.n_items,
        n_users=ratings.n_users,
        outliers_dropped=choice.dropped if choice is not None else (),
        n_outliers_dropped=choice.n_dropped if choice is not None else 0,
        duplicates_settled=facts.get("duplicates_settled", 0),
        titles_name=titles_file,
        titles_attached=n_titled,
        ids_without_title=n_raw,
        notes=tuple(notes),
    )


def _number_like(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def load_ratings(
    source: Source,
    format: str = "auto",
    titles: Source | None = None,
    rating_scale: tuple[float, float] | None = None,
    **options: object,
) -> Ratings:
    """The ratings of :func:`read_ratings` without the report (same arguments)."""
    return read_ratings(source, format, titles, rating_scale, **options)[0]  # type: ignore[arg-type]
