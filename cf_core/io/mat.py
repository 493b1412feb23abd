"""The course exercise's MATLAB/Octave ``.mat``: ``Y`` (ratings, 0 where unrated) and ``R`` (1 where rated),
items x users; titles from ``movie_ids.txt`` ("<id> <title>" per line, latin-1). Ids are numbered from 1.

Sizes are checked from the variable headers before anything is loaded: a few MB of compressed zeros can
declare a 15,000 x 15,000 dense ``Y``. ``scipy.io.whosmat`` would decompress every variable to list them
(4.3 s and 250 MB for that file), so :func:`declared_shapes` reads each header itself, decompressing
only its first bytes.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

import numpy as np
import scipy.io
import scipy.sparse

from ..ratings import Ratings
from .context import Context
from .errors import DataFormatError
from .long import check_count
from .scale import declared_scale, settle_scale

__all__ = ["detect", "read", "titles_movie_ids"]


def detect(name: str, data: bytes) -> str | None:
    if name.lower().endswith(".mat"):
        return "its name ends in .mat"
    if data.startswith((b"MATLAB", b"\x89HDF")):
        return "it starts with a MATLAB file header"
    if data[:256].lstrip().startswith(b"# Created by Octave"):
        return "it starts with an Octave header"
    return None


_MI_MATRIX, _MI_COMPRESSED = 14, 15


def declared_shapes(data: bytes) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of each variable of a MATLAB v5 file, from the headers alone; [] if not v5.

    Compressed variables are inflated only as far as their header (a few hundred bytes).
    """
    if len(data) < 128 or data[126:128] not in (b"IM", b"MI"):
        return []
    order = "<" if data[126:128] == b"IM" else ">"
    out: list[tuple[str, tuple[int, ...]]] = []
    pos = 128
    while pos + 8 <= len(data):
        mdtype, nbytes = struct.unpack_from(order + "II", data, pos)
        step = 8 + nbytes + (0 if mdtype == _MI_COMPRESSED else -nbytes % 8)
        body = data[pos + 8 : pos + 8 + min(nbytes, 1 << 16)]
        if mdtype == _MI_COMPRESSED:
            body = zlib.decompressobj().decompress(body, 4096)
            if len(body) < 8:
                break
            mdtype, _ = struct.unpack_from(order + "II", body, 0)
            body = body[8:]
        if mdtype == _MI_MATRIX and len(body) >= 24:
            # array flags (8-byte tag + 8 bytes), then the dimensions element, then the name element
            dims_type_bytes = struct.unpack_from(order + "I", body, 16)[0]
            small = dims_type_bytes >> 16
            if small:  # small data element: size in the upper half, data in the next 4 bytes
                n_dims_bytes, dims_at = small, 20
            else:
                n_dims_bytes, dims_at = struct.unpack_from(order + "I", body, 20)[0], 24
            n_dims = n_dims_bytes // 4
            shape = struct.unpack_from(order + "i" * n_dims, body, dims_at) if len(body) >= dims_at + 4 * n_dims else ()
            name_at = dims_at + ((n_dims_bytes + 7) // 8) * 8 if not small else dims_at + 4
            name = ""
            if len(body) >= name_at + 8:
                tag = struct.unpack_from(order + "I", body, name_at)[0]
                if tag >> 16:
                    name = body[name_at + 4 : name_at + 4 + (tag >> 16)].decode("latin-1")
                else:
                    length = struct.unpack_from(order + "I", body, name_at + 4)[0]
                    name = body[name_at + 8 : name_at + 8 + length].decode("latin-1")
            out.append((name, tuple(int(d) for d in shape)))
        pos += step
    return out


def _check_declared(data: bytes, name: str, max_cells: int) -> None:
    """Refuse Y or R whose declared shape is over the dense cap, before loading any data."""
    for var, shape in declared_shapes(data):
        if var in ("Y", "R"):
            cells = int(np.prod(shape, dtype=object)) if shape else 0
            if cells > max_cells:
                dims = " x ".join(f"{d:,}" for d in shape)
                raise DataFormatError(
                    f"{var} is declared as {dims} = {cells:,} cells; CF Lab reads dense matrices of at most "
                    f"{max_cells:,} cells (Limits.max_dense_cells). Save large data as a long CSV",
                    source=name,
                    column=var,
                    value=tuple(shape),
                )


def read(ctx: Context) -> Ratings:
    data, name = ctx.data, ctx.name
    if data.lstrip().startswith(b"# Created by Octave") or data.lstrip().startswith(b"# name:"):
        raise DataFormatError(
            "this is an Octave text file; save it in MATLAB format with: save -v7 ratings.mat Y R", source=name
        )
    if data.startswith(b"\x89HDF") or b"MATLAB 7.3" in data[:128]:
        raise DataFormatError(
            "this is a MATLAB v7.3 (HDF5) file, which cannot be read here; save it with: save -v7 ratings.mat Y R",
            source=name,
        )
    _check_declared(data, name, ctx.options.limits.max_dense_cells)
    try:
        declared = [v for v, _shape in declared_shapes(data)]
        content = scipy.io.loadmat(io.BytesIO(data), variable_names=["Y", "R"] if declared else None)
        variables = sorted(declared or (k for k in content if not k.startswith("__")))
    except Exception as err:
        raise DataFormatError(f"not a readable MATLAB .mat file ({err})", source=name) from None
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
            a = a.toarray()  # within the dense cap, checked from the header above
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
    bad = np.argwhere((R != 0) & (R != 1))
    if len(bad):
        i, j = bad[0]
        value = float(R[i, j])
        raise DataFormatError(
            f"R({i + 1},{j + 1}) = {value:g}; R must hold only 0 (not rated) and 1 (rated)",
            source=name,
            column="R",
            value=value,
        )
    item_idx, user_idx = np.nonzero(R)
    check_count(len(item_idx), name, ctx.options.limits.max_ratings)
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

    def locate(ks: np.ndarray) -> tuple[None, str, str]:
        k = int(ks[0])
        return None, "Y", f"Y({item_idx[k] + 1},{user_idx[k] + 1})"

    declared = declared_scale(ctx.options.rating_scale, {}, name)
    choice = settle_scale(values, declared, ctx.options.outliers, locate, name)
    if choice.keep is not None:
        item_idx, user_idx, values = item_idx[choice.keep], user_idx[choice.keep], values[choice.keep]
    ctx.facts.update(orientation="Y and R are items x users", scale=choice)
    return Ratings.numbered(item_idx, user_idx, values, Y.shape, choice.scale, scale_given=choice.given)


def titles_movie_ids(data: bytes, name: str) -> dict[int, str]:
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
