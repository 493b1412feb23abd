"""views.memo: what a view derives from a trained result is computed once per result and key, and bounded."""

from __future__ import annotations

import numpy as np

from cf_app import views
from cf_app.training import Params, TrainResult
from cf_core import CollaborativeFiltering


def _ctx(small) -> views.ViewContext:
    model = CollaborativeFiltering(2, 1.0, 10, random_state=0).fit(small)
    result = TrainResult(model, Params(), "fp", None, None, 0.0, ratings=small)
    return views.ViewContext(result, np.arange(small.n_items), np.arange(small.n_users), key="v0")


def test_memo_builds_once_per_result_and_key(small):
    ctx = _ctx(small)
    calls = []
    build = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert views.memo(ctx, ("figure", ctx.slice_key), build) == 1
    assert views.memo(ctx, ("figure", ctx.slice_key), build) == 1  # a tab switch rebuilds nothing
    assert views.memo(ctx, ("figure", b"other slice"), build) == 2
    assert views.memo(_ctx(small), ("figure", ctx.slice_key), build) == 3  # a new training starts empty


def test_memo_keeps_at_most_its_bound(small):
    ctx = _ctx(small)
    for i in range(views.MEMO_MAX_ENTRIES + 5):
        views.memo(ctx, i, lambda i=i: i)
    assert len(ctx.result.derived) == views.MEMO_MAX_ENTRIES
    assert 0 not in ctx.result.derived and views.MEMO_MAX_ENTRIES + 4 in ctx.result.derived
