"""The results views: one module per tab, each with ``render(ctx: ViewContext)``.

Adding a view is adding a module here and a line to :data:`VIEWS`; the page draws the tabs from that list
and runs only the open tab's ``render`` (lazy tabs), so a heavy view costs nothing while hidden. The
Teaching tab is the package :mod:`cf_app.teaching`, whose topics have a registry of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cf_core import CollaborativeFiltering, Ratings

from ..training import TrainResult

__all__ = ["ViewContext", "View", "VIEWS", "labels"]


@dataclass(frozen=True)
class ViewContext:
    """What every view gets: the trained result, its data, and the slice of it that heatmaps show."""

    result: TrainResult
    item_pos: np.ndarray  # items shown in heatmaps (all of them for small data), in display order
    user_pos: np.ndarray  # users shown in heatmaps
    key: str  # prefix for widget keys, unique per workspace

    @property
    def model(self) -> CollaborativeFiltering:
        return self.result.model

    @property
    def ratings(self) -> Ratings:
        """All ratings the result was trained from (training and validation entries)."""
        return self.result.ratings if self.result.ratings is not None else self.result.model.ratings_

    @property
    def sliced(self) -> bool:
        r = self.ratings
        return len(self.item_pos) < r.n_items or len(self.user_pos) < r.n_users


@dataclass(frozen=True)
class View:
    label: str
    render: Callable[[ViewContext], None]


def _views() -> list[View]:
    from .. import teaching
    from . import cost_curve, latent, predictions, recommendations, similarity, tuning_view

    return [
        View("Predictions", predictions.render),
        View("Cost curve", cost_curve.render),
        View("Recommendations", recommendations.render),
        View("Similarity", similarity.render),
        View("Latent features", latent.render),
        View("Tuning", tuning_view.render),
        View("Teaching", teaching.render),
    ]


VIEWS: list[View] = _views()


def labels() -> list[str]:
    return [v.label for v in VIEWS]
