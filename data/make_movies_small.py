"""Regenerate ``data/movies_small.csv``: 30 titled movies x 20 users with a planted genre structure.

Run from the repository root: ``python data/make_movies_small.py`` (add ``--check`` to only verify that
the committed file is what this script makes). The output depends only on the tables and the seed below.

The latent tastes, documented so a learner can compare them with what a model recovers:

* Every movie belongs to one of three genres and has a "feature" vector: 1 on its genre, 0 elsewhere.
* Every user has a taste vector over (romance, action, animation) in -2..+2 (see ``TASTES``).
* A rating is ``3 + taste . features`` plus Gaussian noise (sd 0.5), rounded to whole stars, clipped to 1..5.
* Most users rate about half the movies at random; four newcomers (Quinn, Rosa, Sam, Tara) rated only two
  or three, which is where regularization and the item-mean normalization show their worth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from cf_core.io import load_ratings, save_ratings  # noqa: E402
from cf_core.ratings import Ratings  # noqa: E402

SEED = 20260101
OUTPUT = Path(__file__).resolve().parent / "movies_small.csv"
DESCRIPTION = (
    "30 made-up movies x 20 users with three planted tastes (romance, action, animation); "
    "four newcomers rated only 2-3 movies. Regenerate with data/make_movies_small.py."
)
GENRES = ("romance", "action", "animation")

MOVIES: dict[str, tuple[str, ...]] = {
    "romance": (
        "Love at Last",
        "Romance Forever",
        "Paris in the Rain",
        "A Letter to June",
        "The Wedding Planner's Secret",
        "Sunset Boulevard Café",
        "Second Chances",
        "Hearts on Ice",
        "Moonlight Serenade",
        "Notes from Venice",
    ),
    "action": (
        "Nonstop Car Chases",
        "Swords vs. Karate",
        "Midnight Heist",
        "Steel Thunder",
        "Extraction Point",
        "Full Throttle",
        "The Last Mercenary",
        "Rooftop Pursuit",
        "Iron Fist Rising",
        "Code Red: Overdrive",
    ),
    "animation": (
        "Cute Puppies of Love",
        "The Brave Little Robot",
        "Dragon School",
        "Ocean Friends",
        "Sky Whales",
        "The Toy Parade",
        "Penguin Patrol",
        "Captain Carrot",
        "Forest of Lanterns",
        "Moon Bunny",
    ),
}

#: user -> taste for (romance, action, animation), in -2..+2.
TASTES: dict[str, tuple[float, float, float]] = {
    "Alice": (2.0, -1.5, 0.5),
    "Bob": (1.5, -2.0, 1.0),
    "Carol": (-1.5, 2.0, -0.5),
    "Dave": (-2.0, 1.5, 0.0),
    "Eve": (0.5, 0.5, 2.0),
    "Frank": (-1.0, 1.0, 1.5),
    "Grace": (2.0, 0.0, -1.0),
    "Heidi": (1.0, -1.0, 2.0),
    "Ivan": (-0.5, 2.0, 0.5),
    "Judy": (1.5, 1.0, -1.5),
    "Ken": (-2.0, 0.5, 1.5),
    "Liam": (0.0, 1.5, -1.0),
    "Mia": (1.0, -0.5, 1.0),
    "Noah": (-1.0, -1.0, 2.0),
    "Olga": (2.0, 1.0, 0.0),
    "Pablo": (-1.5, 1.5, 1.0),
    "Quinn": (1.5, -1.0, 0.0),
    "Rosa": (-1.0, 2.0, 0.0),
    "Sam": (0.0, 0.0, 2.0),
    "Tara": (2.0, 0.0, 0.5),
}
NEWCOMERS: dict[str, int] = {"Quinn": 2, "Rosa": 3, "Sam": 2, "Tara": 3}  # user -> movies rated
RATED_SHARE = 0.5  # share of the movies a regular user rates
NOISE_SD = 0.5


def build() -> Ratings:
    """The sample as Ratings (1-5 scale declared), from the tables above and ``SEED``."""
    rng = np.random.default_rng(SEED)
    titles = [title for genre in GENRES for title in MOVIES[genre]]
    features = np.array([[1.0 if g == genre else 0.0 for g in GENRES] for genre in GENRES for _ in MOVIES[genre]])
    users = list(TASTES)
    Theta = np.array([TASTES[u] for u in users])
    Y = np.clip(np.rint(3.0 + features @ Theta.T + rng.normal(0.0, NOISE_SD, (len(titles), len(users)))), 1, 5)
    R = np.zeros_like(Y, dtype=bool)
    for j, user in enumerate(users):
        n = NEWCOMERS.get(user, round(RATED_SHARE * len(titles)))
        R[rng.choice(len(titles), n, replace=False), j] = True
    return Ratings.from_dense(np.where(R, Y, np.nan), None, titles, users, rating_scale=(1.0, 5.0))


def render() -> bytes:
    """The file's bytes: a description line, then the wide CSV that ``save_ratings`` writes."""
    return f"# description: {DESCRIPTION}\n".encode() + save_ratings(build(), format="wide")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify that the committed file is up to date")
    args = parser.parse_args(argv)
    content = render()
    if args.check:
        current = OUTPUT.read_bytes() if OUTPUT.exists() else b""
        if current != content:
            print(f"{OUTPUT} is out of date: run python data/make_movies_small.py")
            return 1
        print(f"{OUTPUT} is up to date")
        return 0
    OUTPUT.write_bytes(content)
    print(f"wrote {OUTPUT}: {load_ratings(OUTPUT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
