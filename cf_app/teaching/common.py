"""What the teaching topics share: the experiments' result store, item/user pickers, the fitted check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import streamlit as st

from .. import pickers, state

if TYPE_CHECKING:
    from ..views import ViewContext

__all__ = [
    "MAX_OPTIONS",
    "MAX_EXPERIMENTS",
    "MAX_EXPERIMENT_BYTES",
    "array_bytes",
    "fit_params",
    "recall",
    "remember",
    "positions",
    "pick",
]


#: Pickers list at most this many items or users (the most rated first) on large data.
MAX_OPTIONS = 200


def fit_params(ctx: ViewContext) -> dict[str, Any]:
    """The trained model's constructor arguments, to fit more models exactly like it."""
    return ctx.model.get_params()


#: A session keeps at most this many experiments, holding at most this many bytes of arrays in all (the
#: newest is always kept). A re-fit on 1M ratings holds its training data, about 24 MB, so a count alone
#: let one session keep half a gigabyte.
MAX_EXPERIMENTS = 20
MAX_EXPERIMENT_BYTES = 96 * 2**20


def array_bytes(value: Any, seen: set[int] | None = None) -> int:
    """Bytes of the numpy arrays (and pandas data) reachable from ``value``, each object counted once."""
    seen = set() if seen is None else seen
    if id(value) in seen or value is None or isinstance(value, (str, bytes, int, float, bool)):
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        return int(value.memory_usage(deep=False).sum()) if isinstance(value, pd.DataFrame) else value.nbytes
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    elif hasattr(value, "__dict__") or hasattr(value, "__slots__"):
        items = list(getattr(value, "__dict__", {}).values())
        items += [getattr(value, n) for n in getattr(type(value), "__slots__", ()) if hasattr(value, n)]
    else:
        return 0
    return sum(array_bytes(v, seen) for v in items)


def recall(key: tuple) -> Any:
    return st.session_state.setdefault(state.TEACHING_RESULTS, {}).get(key)


def remember(key: tuple, value: Any) -> None:
    """Keep an experiment's result for reruns; the oldest go first, by count and by the bytes they hold."""
    results = st.session_state.setdefault(state.TEACHING_RESULTS, {})
    results.pop(key, None)
    results[key] = value  # the newest last
    sizes = {k: array_bytes(v) for k, v in results.items()}
    while len(results) > 1 and (len(results) > MAX_EXPERIMENTS or sum(sizes.values()) > MAX_EXPERIMENT_BYTES):
        oldest = next(iter(results))
        results.pop(oldest)
        sizes.pop(oldest)


def positions(counts: np.ndarray) -> np.ndarray:
    """Positions for a picker: all in data order when few, else the most rated first (capped)."""
    return pickers.options(counts, MAX_OPTIONS, MAX_OPTIONS)


def pick(label: str, labels: pd.Index, counts: np.ndarray, key: str, **kwargs: Any) -> int:
    """The page's item/user picker with the topics' bound on the list."""
    return pickers.pick(label, labels, counts, key, data_order_up_to=MAX_OPTIONS, at_most=MAX_OPTIONS, **kwargs)
