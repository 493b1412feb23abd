"""Wide CSV: first column item labels, header row user labels, empty cell = not rated.

Detection: the fallback for delimited text that no other format claims (see the registry). Labels are
kept exactly as written, so numeric user labels (``Name,1,2,3``) stay the strings "1", "2", "3".
A ``;``- or tab-separated grid may write decimals with a comma (``4,5``); mixing both marks is refused.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ..ratings import Ratings
from .context import Context
from .errors import DataFormatError, some
from .labels import int_labels, labels_to_int
from .scale import declared_scale, settle_scale
from .text import records

__all__ = ["detect", "read"]

_COMMA = r"[+-]?[0-9]+,[0-9]+"


def detect(text: Any) -> str:
    return "no other format's rule fits, so the first column holds items and the header row users"


def _numbers(texts: pd.Series, delimiter: str, decimal: str | None) -> tuple[np.ndarray, str, str, np.ndarray]:
    """Cell texts as floats, the decimal mark, how it was decided, and which cells use the other mark."""
    commas = texts.str.fullmatch(_COMMA).to_numpy(dtype=bool)
    points = texts.str.contains(".", regex=False).to_numpy(dtype=bool)
    how = "set when reading"
    if decimal is None:
        decimal, how = (
            (",", "detected: cells such as " + repr(texts.iloc[int(np.flatnonzero(commas)[0])]))
            if (commas.any() and delimiter != ",")
            else (".", "detected")
        )
    if decimal == ",":
        numbers = np.array(pd.to_numeric(texts.str.replace(",", ".", regex=False), errors="coerce"), dtype=np.float64)
        numbers[points] = np.nan
        return numbers, decimal, how, points
    return pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64), decimal, how, commas


def read(ctx: Context) -> Ratings:
    """Items in rows, users in columns; parsed with the csv module, which knows each record's line."""
    text = ctx.text
    assert text is not None
    opts = ctx.options
    name = text.name
    if opts.header is False:
        raise ValueError("a wide grid has a header row of user labels; header=False goes with format='long'")
    header_fields = len(text.first)
    est_rows = text.body.count(b"\n") + 1
    cap = opts.limits.max_wide_cells
    if est_rows * header_fields > cap:
        raise DataFormatError(
            f"a wide grid of about {est_rows:,} x {header_fields:,} cells is too large (at most "
            f"{cap:,}); save it in the long format (user,item,rating)",
            source=name,
        )
    declared = declared_scale(opts.rating_scale, text.meta, name)
    recs: list[list[str]] = []
    record_line: list[int] = []
    for start, fields in records(text):
        if any(f != "" for f in fields):  # ",,,," is a spreadsheet's empty row; " " is a label
            recs.append(fields)
            record_line.append(start)
    if not recs:
        raise DataFormatError("no ratings: every row is empty", source=name)
    header, header_line = recs[0], record_line[0]
    users = header[1:]
    while users and users[-1] == "" and all(len(r) <= len(users) or not r[len(users)].strip() for r in recs):
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
    rows, lines = recs[1:], record_line[1:]
    if not rows:
        raise DataFormatError("no ratings: the file has a header row but no item rows", source=name)
    items: list[str] = []
    cells: list[list[str]] = []
    for fields, line in zip(rows, lines, strict=True):
        if len(fields) < n_users + 1:
            raise DataFormatError(
                f"this row has {len(fields)} cells but the header has {n_users + 1} (a cut-off file? "
                "write unrated cells as empty cells between delimiters)",
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
            f"item {dup!r} has more than one row (lines {some(dup_lines)}); each item needs one row",
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
    numbers, decimal, decimal_how, other_mark = _numbers(texts, text.delimiter, opts.decimal)
    if opts.decimal is None and decimal == "," and other_mark.any():
        c, p = int(np.flatnonzero(~other_mark & np.isfinite(numbers))[0]), int(np.flatnonzero(other_mark)[0])
        kc, kp = rated[c], rated[p]
        raise DataFormatError(
            f"the cells mix decimal commas ({texts.iloc[c]!r}, line {lines[kc // n_users]}) and decimal points "
            f"({texts.iloc[p]!r}, line {lines[kp // n_users]}); pass decimal=',' or decimal='.' to say which is meant",
            source=name,
            line=lines[kp // n_users],
            column=users[kp % n_users],
            value=texts.iloc[p],
        )
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        value = texts.iloc[bad[0]]
        k = rated[bad[0]]
        if value.lower().lstrip("+-") in ("nan", "inf", "infinity") or np.isinf(numbers[bad[0]]):
            problem = f"{value!r} is not a finite number"
        else:
            problem = f"{value!r} is not a number"
        problem += " (leave a cell empty for 'not rated')"
        if decimal == "." and re.fullmatch(_COMMA, value):
            problem += "; write decimals with a point, not a comma, or pass decimal=','"
        if len(bad) > 1:
            problem += f"; {len(bad)} cells are bad in all"
        raise DataFormatError(problem, source=name, line=lines[k // n_users], column=users[k % n_users], value=value)
    if len(rated) == 0:
        raise DataFormatError("no ratings: every cell is empty (an empty cell means not rated)", source=name)

    def locate(ks: np.ndarray) -> tuple[int, str, str]:
        k = rated[ks[0]]
        return lines[k // n_users], users[k % n_users], items[k // n_users]

    choice = settle_scale(numbers, declared, opts.outliers, locate, name)
    if choice.keep is not None:
        rated, numbers = rated[choice.keep], numbers[choice.keep]
    item_labels: Any = labels_to_int(item_index, "item", name) if int_labels(text, "item") else item_index
    user_labels: Any = labels_to_int(pd.Index(users), "user", name) if int_labels(text, "user") else users
    for kind, labels in (("item", item_labels), ("user", user_labels)):
        labels = pd.Index(labels)
        if not labels.is_unique:
            raise DataFormatError(
                f"{kind} labels {labels[labels.duplicated()][0]!r} repeat once read as integers", source=name
            )
    ctx.facts.update(
        decimal=decimal,
        decimal_how=decimal_how,
        header=True,
        header_how="a wide grid's first row holds the user labels",
        orientation="items in rows, users in columns",
        scale=choice,
    )
    return Ratings(
        rated // n_users, rated % n_users, numbers, item_labels, user_labels, choice.scale, scale_given=choice.given
    )
