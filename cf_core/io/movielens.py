"""MovieLens: 100k ``u.data`` (tab-separated, no header; titles ``u.item``), 1M/10M ``ratings.dat``
("::" separated; titles ``movies.dat``) and ``ratings.csv`` (userId,movieId,rating,timestamp; titles
``movies.csv``). Ids are integers and must fit in 64 bits: a longer id is refused, never wrapped.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from ..ratings import Ratings
from .context import Context
from .errors import DataFormatError
from .long import read_long
from .source import to_utf8
from .text import Text, as_text, record_lines

__all__ = ["detect_dat", "detect_csv", "read_dat", "read_csv", "titles_u_item", "titles_movies_csv"]

_U_DATA_NAME = re.compile(r"u[a-z0-9]*\.(data|base|test)", re.IGNORECASE)


def _norm(fields: list[str]) -> list[str]:
    return [re.sub(r"[^a-z0-9]", "", f.lower()) for f in fields]


def detect_dat(text: Text) -> str | None:
    if _U_DATA_NAME.fullmatch(text.name):
        return "the file name is MovieLens 100k's (u.data, u1.base, ...)"
    if text.double_colon:
        return "its fields are separated by '::', as in MovieLens ratings.dat"
    return None


def detect_csv(text: Text) -> str | None:
    if _norm(text.first)[:3] == ["userid", "movieid", "rating"] and len(text.first) <= 4:
        return "its header is MovieLens ratings.csv's (userId,movieId,rating,timestamp)"
    return None


def read_dat(ctx: Context) -> Ratings:
    text = ctx.text
    assert text is not None
    if len(text.first) not in (3, 4):
        raise DataFormatError(
            f"u.data rows have 4 tab-separated fields (user, item, rating, timestamp); found {len(text.first)}",
            source=text.name,
            line=text.line0,
        )
    ctx.facts.update(header=False, header_how="MovieLens .data/.dat files have none", orientation="one rating per row")
    return read_long(ctx, has_header=False, cols={"user": 0, "item": 1, "rating": 2}, int_ids=True)


def read_csv(ctx: Context) -> Ratings:
    text = ctx.text
    assert text is not None
    norm = _norm(text.first)
    needed = {"user": "userid", "item": "movieid", "rating": "rating"}
    missing = [k for k, v in needed.items() if v not in norm]
    if missing:
        raise DataFormatError(
            f"missing column(s) {', '.join(needed[m] for m in missing)}; MovieLens ratings.csv has "
            f"userId,movieId,rating,timestamp but this header is {','.join(text.first)}",
            source=text.name,
            line=text.line0,
        )
    ctx.facts.update(header=True, header_how="MovieLens ratings.csv's header", orientation="one rating per row")
    cols = {k: norm.index(v) for k, v in needed.items()}
    return read_long(ctx, has_header=True, cols=cols, int_ids=True)


def titles_u_item(data: bytes, name: str) -> dict[int, str]:
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


def titles_movies_csv(data: bytes, name: str) -> dict[int, str]:
    """MovieLens movies.csv: movieId,title,genres with a header (UTF-8, else cp1252/latin-1)."""
    text = as_text(to_utf8(data, name, None)[0], name)
    norm = _norm(text.first)
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
    bad = np.flatnonzero(
        ids.isna().to_numpy() | (ids.fillna(0.5) % 1 != 0).to_numpy() | (ids.abs() >= 2**63).to_numpy()
    )
    if len(bad):
        line = record_lines(text, [int(bad[0]) + 1]).get(int(bad[0]) + 1)
        value = df.iloc[bad[0], norm.index("movieid")]
        raise DataFormatError(
            f"{value!r} is not an integer movie id", source=name, line=line, column="movieId", value=value
        )
    return dict(zip(ids.astype(np.int64).tolist(), df.iloc[:, norm.index("title")].tolist(), strict=True))
