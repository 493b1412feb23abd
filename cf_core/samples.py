"""The sample datasets the app offers, in order, each with a name, a title and a one-line description.

File samples live in ``data/`` and carry their description in a leading ``# description:`` line (so the
file explains itself when opened alone); the synthetic ones are generated on demand from a fixed seed,
because 100k-1M ratings are not worth committing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .io import load_ratings
from .ratings import Ratings
from .synthetic import MOVIELENS_SHAPES, synthetic_ratings

__all__ = ["DATA_DIR", "SAMPLES", "Sample", "load_sample"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Sample:
    """One entry of the dataset picker; ``loader()`` builds the Ratings (cache it: the big ones take a second).

    ``name`` is what the picker's box shows, short enough to be read whole in a narrow sidebar (about 30
    characters); ``title`` is the full one the grid and messages carry, with the size where it helps.
    """

    key: str
    name: str
    title: str
    description: str
    loader: Callable[[], Ratings]


def _description(path: Path) -> str:
    """The ``# description:`` line of a data file (a placeholder that says so if the file is missing)."""
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                if not line.startswith("#"):
                    break
                key, _, value = line[1:].partition(":")
                if key.strip().lower() == "description":
                    return value.strip()
    except OSError:
        return f"(missing file {path.name})"
    return path.name


def _file_sample(key: str, name: str, title: str, filename: str) -> Sample:
    path = DATA_DIR / filename
    return Sample(key, name, title, _description(path), lambda: load_ratings(path))


def _synthetic_sample(key: str, title: str, shape: str) -> Sample:
    n_users, n_items, n_ratings = MOVIELENS_SHAPES[shape]
    description = (
        f"Synthetic ratings shaped like MovieLens {shape.upper()}: {n_users:,} users x {n_items:,} items, "
        f"{n_ratings:,} ratings on 1-5 stars with a planted rank-5 taste structure; generated on demand (seed 0)."
    )
    return Sample(
        key, title, title, description, lambda: synthetic_ratings(n_users, n_items, n_ratings, random_state=0)
    )


SAMPLES: tuple[Sample, ...] = (
    _file_sample("lecture", "Lecture example", "Lecture example (5 movies x 4 users)", "lecture.csv"),
    _file_sample("movies-small", "Movies, small", "Movies, small (30 movies x 20 users)", "movies_small.csv"),
    _synthetic_sample("synthetic-100k", "Synthetic, MovieLens 100k shape", "100k"),
    _synthetic_sample("synthetic-1m", "Synthetic, MovieLens 1M shape", "1m"),
)


def load_sample(key: str) -> Ratings:
    """The Ratings of the sample ``key`` (one of ``[s.key for s in SAMPLES]``)."""
    for sample in SAMPLES:
        if sample.key == key:
            return sample.loader()
    raise ValueError(f"unknown sample {key!r}; samples are {', '.join(s.key for s in SAMPLES)}")
