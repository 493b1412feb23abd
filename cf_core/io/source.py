"""Bytes in: paths, uploads and bytes, bounded in size; then text as UTF-8, with the encoding it was in.

Only regular files are opened: a FIFO would block the reader forever and ``/dev/zero`` would read until
memory runs out, so both are refused from ``stat`` before anything is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO, Any

from .errors import DataFormatError
from .limits import Limits

__all__ = ["Source", "source_name", "read_bytes", "to_utf8", "AUTO_ENCODINGS"]

Source = str | os.PathLike | IO[bytes] | bytes

#: Tried in order when no encoding is given: UTF-8 first (BOMs and UTF-16 are recognised), then the
#: Windows and ISO Western encodings spreadsheets use. latin-1 decodes any bytes, so it is the last resort.
AUTO_ENCODINGS = ("utf-8", "cp1252", "latin-1")


def source_name(source: Any, name: str | None = None) -> str:
    """The file name messages use: ``name`` if given, else the path's or file object's name."""
    if name:
        return name  # as given: an upload's name is shown exactly as the person's browser sent it
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    found = getattr(source, "name", None)
    return Path(found).name if isinstance(found, str) and found else "<uploaded data>"


def read_bytes(source: Source, limits: Limits, what: str = "file", name: str | None = None) -> tuple[bytes, str]:
    """All bytes of a path, a binary (or text) file object, or bytes, at most ``limits.max_bytes``."""
    name = source_name(source, name)
    cap = limits.max_bytes
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > cap:
            raise DataFormatError(f"the data is larger than {cap >> 20} MiB, the most CF Lab reads", source=name)
        return data, name
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise DataFormatError(f"no such {what}: {str(path)!r}", source=name) from None
        if stat.S_ISDIR(info.st_mode):
            raise DataFormatError(f"{str(path)!r} is a folder, not a {what}", source=name)
        if not stat.S_ISREG(info.st_mode):
            kind = "a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device or special file"
            raise DataFormatError(
                f"{str(path)!r} is {kind}, not a regular {what}; CF Lab reads files only", source=name
            )
        if info.st_size > cap:
            raise DataFormatError(
                f"the file is {info.st_size / 2**20:,.0f} MiB; CF Lab reads at most {cap >> 20} MiB", source=name
            )
        with path.open("rb") as f:
            data = f.read(cap + 1)  # the file may have grown since stat
    elif hasattr(source, "read"):
        if getattr(source, "seekable", lambda: False)():
            source.seek(0)  # an upload may have been read before (e.g. to preview it): always read it whole
        data = source.read(cap + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise TypeError(f"source must be a path, a binary file object or bytes, got {type(source).__name__}")
    if len(data) > cap:
        raise DataFormatError(f"the data is larger than {cap >> 20} MiB, the most CF Lab reads", source=name)
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


def _norm(encoding: str) -> str:
    return encoding.lower().replace("-", "").replace("_", "")


def to_utf8(data: bytes, name: str, encoding: str | None) -> tuple[bytes, str, str]:
    """The text as UTF-8 bytes (BOM removed), the encoding it was read in, and how that was decided.

    ``encoding=None`` tries :data:`AUTO_ENCODINGS` in order and says so when UTF-8 did not fit; a named
    encoding is used as given and an undecodable byte is an error naming its line.
    """
    how = "given"
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding, how = data[3:], "utf-8", "byte-order mark"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export is UTF-16
        encoding, how = "utf-16", "byte-order mark"
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise DataFormatError(f"this is {what}", source=name)
    if b"\x00" in data[:8192] and encoding != "utf-16":
        raise DataFormatError("this is a binary file, not a CSV or text file", source=name)
    candidates = (encoding,) if encoding is not None else AUTO_ENCODINGS
    first_error: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            if _norm(candidate) == "utf8":
                if not data.isascii():
                    data.decode("utf-8")
                text = data
            else:
                text = data.decode(candidate).encode("utf-8")
        except UnicodeDecodeError as err:
            first_error = first_error or err
            continue
        except LookupError:
            raise ValueError(f"unknown text encoding {candidate!r}") from None
        if encoding is None:
            how = "detected" if candidate == "utf-8" else "detected: the file is not valid UTF-8"
        if b"\x00" in text[:8192]:
            raise DataFormatError("this is a binary file, not a CSV or text file", source=name)
        return text, candidate, how
    assert first_error is not None
    raise _decode_error(data, name, first_error)


def _decode_error(data: bytes, name: str, err: UnicodeDecodeError) -> DataFormatError:
    line = data.count(b"\n", 0, err.start) + 1
    bad = data[err.start : err.start + 4]
    return DataFormatError(
        f"bytes {bad!r} are not valid {err.encoding.upper()} text; save the file as UTF-8 or choose its "
        f"encoding (encoding='cp1252' or 'latin-1'; leave it unset to detect it)",
        source=name,
        line=line,
        value=bad,
    )
