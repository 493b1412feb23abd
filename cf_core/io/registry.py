"""The formats CF Lab reads, in detection order: one entry each (how to detect, read and title it).

Detection tries the entries top to bottom and takes the first that claims the file; each ``detect``
returns the reason it gives in the read report, or None. Adding a format is one module with a
``detect`` and a ``read`` and one line here.

==============  ==========================================================================  ===============
format          claims a file when                                                          titles file
==============  ==========================================================================  ===============
mat             its name ends in .mat, or it starts with a MATLAB/HDF5/Octave header        movie_ids.txt
movielens       its name is u.data/u1.base/..., or its fields are '::'-separated            u.item, movies.dat
movielens-csv   its header is userId,movieId,rating[,timestamp]                              movies.csv
long            a header names user/item/rating, or rows cannot be a wide grid (long.py)     -
wide            always (the fallback for delimited text)                                    -
==============  ==========================================================================  ===============
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..ratings import Ratings
from . import long, mat, movielens, wide
from .context import Context

__all__ = ["Format", "REGISTRY", "by_name"]


@dataclass(frozen=True)
class Format:
    """One file format: ``detect(text)`` (or ``detect(name, bytes)`` for binary ones) -> reason or None."""

    name: str
    description: str
    detect: Callable[..., str | None]
    read: Callable[[Context], Ratings]
    titles: Callable[[bytes, str], dict[int, str]] | None = None
    binary: bool = False  # detected from name and bytes, before any text decoding


REGISTRY: tuple[Format, ...] = (
    Format("mat", "MATLAB/Octave .mat with Y and R (items x users), optional movie_ids.txt titles",
           mat.detect, mat.read, mat.titles_movie_ids, binary=True),
    Format("movielens", "MovieLens u.data (tab, no header) or ratings.dat ('::'), optional u.item/movies.dat titles",
           movielens.detect_dat, movielens.read_dat, movielens.titles_u_item),
    Format("movielens-csv", "MovieLens ratings.csv (userId,movieId,rating,timestamp), optional movies.csv titles",
           movielens.detect_csv, movielens.read_csv, movielens.titles_movies_csv),
    Format("long", "Long CSV/TSV: one (user, item, rating) row per rating", long.detect, long.read),
    Format("wide", "Wide CSV: items in rows, users in columns, empty cell = not rated", wide.detect, wide.read),
)  # fmt: skip


def by_name(name: str) -> Format:
    for fmt in REGISTRY:
        if fmt.name == name:
            return fmt
    names: list[Any] = [f.name for f in REGISTRY]
    raise ValueError(f"format must be 'auto' or one of {names}, got {name!r}")
