"""What the teaching topics share: the experiments' result store, item/user pickers, the fitted check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import CollaborativeFiltering

from .. import data, state

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["MAX_OPTIONS", "check_fitted", "fit_params", "recall", "remember", "positions", "pick"]


#: Pickers list at most this many items or users (the most rated first) on large data.
MAX_OPTIONS = 200


def check_fitted(model: CollaborativeFiltering) -> None:
    if not hasattr(model, "X_"):
        raise ValueError("the model is not trained yet: train it first")


def fit_params(ctx: ViewContext) -> dict[str, Any]:
    """The trained model's constructor arguments, to fit more models exactly like it."""
    return ctx.model.get_params()


def recall(key: tuple) -> Any:
    return st.session_state.setdefault(state.TEACHING_RESULTS, {}).get(key)


def remember(key: tuple, value: Any) -> None:
    results = st.session_state.setdefault(state.TEACHING_RESULTS, {})
    if len(results) > 20:  # keep only recent experiments: each may hold a model
        results.pop(next(iter(results)))
    results[key] = value


def positions(labels: pd.Index, counts: np.ndarray) -> np.ndarray:
    """Positions for a picker: all in data order when few, else the most rated first (capped)."""
    if len(labels) <= MAX_OPTIONS:
        return np.arange(len(labels))
    return data.top_positions(counts, MAX_OPTIONS)


def pick(label: str, labels: pd.Index, counts: np.ndarray, key: str, **kwargs: Any) -> int:
    options = positions(labels, counts)
    return int(
        st.selectbox(label, options, format_func=lambda p: f"{labels[p]} ({counts[p]} ratings)", key=key, **kwargs)
    )
