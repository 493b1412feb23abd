"""The layout of a delimited text file: leading metadata and comments, the delimiter, records and lines.

Comment rule (so comments never swallow data): only *leading* lines that start with ``#`` can be
comments, and of those

* a ``# key: value`` line (a word, a colon, then a space or the line end) is metadata: CF Lab writes
  ``rating_scale``, ``item_labels`` and ``user_labels``, the samples ``description``; other keys are kept
  in the report and otherwise ignored;
* any other ``#`` line is a comment only when it does not split into as many fields (two or more) as
  the first line after the comments, under any delimiter that splits the lines after it evenly; a line
  that does (a wide grid's ``#,Alice,Bob`` header, a header-less long file's
  ``#u1,i1,5``) is data.

Delimiter rule: of ``, \\t ; |``, the one that splits every sampled line into the same number of fields
(at least two), the one giving the most fields first; ties go in that order. So ``u1;i1;4,5`` (decimal
comma) is semicolon-separated and a tab-separated file whose titles hold commas is tab-separated. An
Excel ``sep=;`` first line, or ``delimiter=``, names it instead.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .errors import DataFormatError

__all__ = ["Text", "as_text", "records", "record_lines", "ragged_record", "is_number", "DELIMITERS"]

DELIMITERS = (",", "\t", ";", "|")
_META_LINE = re.compile(rb"#\s*([A-Za-z][A-Za-z0-9_]*)\s*:(?:\s|$)(.*)")


@dataclass
class Text:
    """A delimited text file after metadata comments are split off."""

    name: str
    body: bytes  # UTF-8, starting at the first line after the leading "#" comments
    line0: int  # file line number of the body's first line
    meta: dict[str, tuple[str, int]]  # key -> (value, line)
    delimiter: str
    first: list[str]  # fields of the first record (the header, when there is one)
    double_colon: bool = False  # MovieLens 1M "ratings.dat" ("::" separated), rewritten to tabs
    comments: int = 0  # leading "#" lines skipped as comments (metadata lines not counted)
    delimiter_how: str = "detected"
    notes: list[str] = field(default_factory=list)


def is_number(text: str, decimal: str = ".") -> bool:
    """Whether ``text`` reads as a number with the decimal mark ``decimal``."""
    text = text.strip()
    if decimal == "," and re.fullmatch(r"[+-]?[0-9]+,[0-9]+", text):
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fields(line: bytes, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line.decode("utf-8", errors="replace")], delimiter=delimiter), []))
    except csv.Error:
        return 0


def _split_comments(data: bytes) -> tuple[list[tuple[int, int, bytes]], dict[str, tuple[str, int]], int]:
    """Leading '#' lines as (start, end, text), the metadata among them, and where the rest starts."""
    lines: list[tuple[int, int, bytes]] = []
    meta: dict[str, tuple[str, int]] = {}
    pos = 0
    while data.startswith(b"#", pos):
        end = data.find(b"\n", pos)
        end = len(data) if end < 0 else end + 1
        text = data[pos:end].rstrip(b"\r\n")
        m = _META_LINE.fullmatch(text)
        if m:
            meta[m.group(1).decode().lower()] = (m.group(2).decode("utf-8").strip(), len(lines) + 1)
        lines.append((pos, end, text if m is None else b""))
        pos = end
    return lines, meta, pos


def _candidates(sample: str) -> list[tuple[str, list[str]]]:
    """Delimiters that split the sample evenly, best first by the rule in the module notes; else the mostly
    regular one (the loader then names the odd rows); with the first record's fields."""
    regular: list[tuple[int, int, str, list[str]]] = []
    mostly: tuple[str, list[str]] | None = None
    for rank, delim in enumerate(DELIMITERS):
        try:
            recs = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        if len(recs) > 2 and not sample.endswith("\n"):
            recs = recs[:-1]  # the sample may end mid-record
        if not recs or len(recs[0]) < 2:
            continue
        agree = sum(len(r) == len(recs[0]) for r in recs)
        if agree == len(recs) or (len(recs) >= 5 and agree >= len(recs) - 1):
            # one ragged row in five or more is tolerated: the loader names it precisely
            regular.append((-len(recs[0]), rank, delim, recs[0]))
        elif 2 * agree > len(recs) and (mostly is None or len(recs[0]) > len(mostly[1])):
            mostly = (delim, recs[0])
    if regular:
        return [(delim, first) for _, _, delim, first in sorted(regular)]
    return [mostly] if mostly else []


def _sniff(sample: str) -> tuple[str, list[str]] | None:
    found = _candidates(sample)
    return found[0] if found else None


def as_text(data: bytes, name: str, delimiter: str | None = None) -> Text:
    """Split a UTF-8 text into metadata, comments and body, and find its delimiter and first record."""
    if not data or data.isspace():
        raise DataFormatError("the file is empty", source=name)
    hashed, meta, pos = _split_comments(data)
    rest = data[pos:]
    lead = len(rest) - len(rest.lstrip(b"\r\n"))
    forced = re.match(rb"sep=(.)\r?\n", rest[lead:])  # Excel's "sep=;" first line names the delimiter
    if delimiter is None and forced:
        delimiter = forced.group(1).decode("utf-8", errors="replace")
    double_colon = re.match(rb"[0-9]+::[0-9]+::", rest[lead:]) is not None
    # Which '#' lines are data: those splitting like the first line after them (see the module notes).
    first_after = rest[lead : (rest.find(b"\n", lead) + 1 or len(rest))]
    if forced:
        first_after = b""
    if delimiter is not None:
        guesses = [delimiter]
    elif first_after.strip():
        guesses = [d for d, _ in _candidates(rest[lead : lead + 65536].decode("utf-8", errors="replace"))]
    else:
        guesses = []
    widths = {d: _fields(first_after.rstrip(b"\r\n"), d) for d in guesses}
    n_comments = len(hashed)
    for k, (_start, _end, text) in enumerate(hashed):
        if text and any(w >= 2 and _fields(text, d) == w for d, w in widths.items()):
            n_comments = k  # this '#' line is a row: the body starts here
            break
    if n_comments < len(hashed):
        pos = hashed[n_comments][0]
        meta = {key: v for key, v in meta.items() if v[1] <= n_comments}
    comments = sum(1 for _s, _e, text in hashed[:n_comments] if text)
    body = data[pos:]
    line0 = n_comments + 1
    if not body or body.isspace():
        raise DataFormatError("no ratings: the file holds only '#' comment lines", source=name)
    lead = len(body) - len(body.lstrip(b"\r\n"))
    line0 += body.count(b"\n", 0, lead)
    body = body[lead:]
    how = "given"
    if forced:
        body, line0 = body[forced.end() :], line0 + 1
        how = "named by the file's sep= line" if delimiter == forced.group(1).decode("utf-8", "replace") else how
    if double_colon:  # MovieLens 1M/10M ratings.dat: integer fields only, so "::" -> tab is safe
        body = body.replace(b"::", b"\t")
        delimiter, how = "\t", "'::' (MovieLens .dat)"
    sample = body[:65536].decode("utf-8", errors="replace")
    if delimiter is not None:
        try:
            first = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        except csv.Error as err:
            raise DataFormatError(f"not a readable CSV ({err})", source=name, line=line0) from None
        return Text(name, body, line0, meta, delimiter, first, double_colon, comments, how)
    found = _sniff(sample)
    if found is None:
        first_line = sample.splitlines()[0] if sample else ""
        raise DataFormatError(
            f"not a CSV: no delimiter (comma, tab, semicolon or |) splits the lines into the same number of "
            f"fields; the first line is {first_line[:60]!r}",
            source=name,
            line=line0,
            value=first_line[:60],
        )
    return Text(name, body, line0, meta, found[0], found[1], double_colon, comments, "detected")


def records(text: Text) -> Iterator[tuple[int, list[str]]]:
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


def record_lines(text: Text, wanted_records: Sequence[int]) -> dict[int, int]:
    """File line numbers (1-based) of 0-based records of the body; blank lines are not records.

    Only used to word error messages, so a full csv scan is acceptable when quoted fields may span lines.
    """
    wanted = sorted({int(r) for r in wanted_records})
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
    for start, fields in records(text):
        if not fields:
            continue
        if record in targets:
            out[record] = start
            if len(out) == len(targets):
                break
        record += 1
    return out


def ragged_record(text: Text, n_fields: int) -> tuple[int, int] | None:
    """(file line, field count) of the first record whose field count differs from ``n_fields``."""
    for start, fields in records(text):
        if fields and len(fields) != n_fields:
            return start, len(fields)
    return None


def sample_records(text: Text, n: int = 50) -> list[list[str]]:
    """The first ``n`` non-empty records (for detection rules that look past the first line)."""
    out: list[list[str]] = []
    try:
        for _line, fields in records(Text(text.name, text.body[:65536], text.line0, {}, text.delimiter, text.first)):
            if fields and any(f != "" for f in fields):
                out.append(fields)
                if len(out) >= n:
                    break
    except DataFormatError:
        pass
    return out
