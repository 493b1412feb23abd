"""Teaching: the model's math with live numbers, and experiments that show why it behaves as it does.

One module per topic, each holding its computation (plain numbers and tables, tested without Streamlit)
and its ``render(ctx)``; the topics' figures are in :mod:`cf_app.figures.teaching`. Adding a topic is
adding a module here and a line to :data:`TOPICS`, as the results tabs do with
:data:`cf_app.views.VIEWS`. The Teaching tab (:func:`render`) offers the topics in a picker and runs only
the chosen one (some train extra models); button-driven experiments keep their results in session state
(:mod:`.common`) so they survive reruns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from . import biases, cost_live, dot_vs_cosine, grad_check, normalization, prediction_live, rate_yourself, replay
from .biases import MeanVsBiases, mean_vs_biases
from .cost_live import COST_LATEX, GRAD_THETA_LATEX, GRAD_X_LATEX, CurrentMath, cost_latex, current_math, gradient_latex
from .dot_vs_cosine import neighbours, neighbours_note
from .grad_check import AUTO_N_CHECKS, FULL_CHECK_MAX_PARAMS, GRADIENT_CRITERION, gradient_check, suggested_eps
from .normalization import NormalizationEffect, normalization_effect, with_new_user
from .prediction_live import PREDICTION_LATEX, PredictionBreakdown, prediction_breakdown
from .rate_yourself import compare_fold_in_retrain, fold_in_recommendations, retrain_with_user
from .replay import REPLAY_MAX_CELLS, REPLAY_MAX_ITER, Replay, record_replay, replay_limit_reason

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = [
    "Topic",
    "TOPICS",
    "render",
    "labels",
    # the topics' computations, for scripts and tests
    "COST_LATEX",
    "GRAD_X_LATEX",
    "GRAD_THETA_LATEX",
    "PREDICTION_LATEX",
    "cost_latex",
    "gradient_latex",
    "CurrentMath",
    "current_math",
    "PredictionBreakdown",
    "prediction_breakdown",
    "GRADIENT_CRITERION",
    "FULL_CHECK_MAX_PARAMS",
    "AUTO_N_CHECKS",
    "suggested_eps",
    "gradient_check",
    "REPLAY_MAX_CELLS",
    "REPLAY_MAX_ITER",
    "replay_limit_reason",
    "Replay",
    "record_replay",
    "with_new_user",
    "NormalizationEffect",
    "normalization_effect",
    "MeanVsBiases",
    "mean_vs_biases",
    "fold_in_recommendations",
    "retrain_with_user",
    "compare_fold_in_retrain",
    "neighbours",
    "neighbours_note",
]


@dataclass(frozen=True)
class Topic:
    label: str
    render: Callable[[ViewContext], None]


TOPICS: list[Topic] = [
    Topic("The cost, live", cost_live.render),
    Topic("One prediction", prediction_live.render),
    Topic("Gradient check", grad_check.render),
    Topic("Training replay", replay.render),
    Topic("Mean normalization", normalization.render),
    Topic("Item mean vs biases", biases.render),
    Topic("Rate it yourself", rate_yourself.render),
    Topic("Dot product vs cosine", dot_vs_cosine.render),
]


def labels() -> list[str]:
    return [t.label for t in TOPICS]


def render(ctx: ViewContext) -> None:
    """The Teaching tab: a topic picker, then the chosen topic alone."""
    by_label = {t.label: t for t in TOPICS}
    label = st.radio("Topic", list(by_label), horizontal=True, key=f"{ctx.key}_teach_topic")
    by_label[label].render(ctx)
