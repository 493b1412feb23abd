"""What the teaching topics share: the experiments' result store, item/user pickers, the fitted check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from .. import pickers, state

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = ["MAX_OPTIONS", "fit_params", "recall", "remember", "positions", "pick"]


#: Pickers list at most this many items or users (the most rated first) on large data.
MAX_OPTIONS = 200


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


def positions(counts: np.ndarray) -> np.ndarray:
    """Positions for a picker: all in data order when few, else the most rated first (capped)."""
    return pickers.options(counts, MAX_OPTIONS, MAX_OPTIONS)


def pick(label: str, labels: pd.Index, counts: np.ndarray, key: str, **kwargs: Any) -> int:
    """The page's item/user picker with the topics' bound on the list."""
    return pickers.pick(label, labels, counts, key, data_order_up_to=MAX_OPTIONS, at_most=MAX_OPTIONS, **kwargs)
