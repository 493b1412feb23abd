"""Tests for cf_app.solver_text: every solver's stop message said in words."""

from __future__ import annotations

import pytest

from cf_app.solver_text import in_words
from cf_core import CollaborativeFiltering, samples


@pytest.mark.parametrize("method", ["L-BFGS-B", "CG", "als"])
@pytest.mark.parametrize(("iters", "meaning"), [(2, "Stopped at the iteration limit"), (300, "Converged")])
def test_every_solver_message_reads_as_words(method, iters, meaning):
    model = CollaborativeFiltering(2, 1.0, iters, method=method, random_state=0).fit(samples.load_sample("lecture"))
    words = in_words(model.message_)
    assert words.startswith(meaning), (model.message_, words)
    assert "EPSMCH" not in words and "max_iter" not in words


def test_an_unknown_message_is_passed_on_and_marked():
    assert in_words("something new") == "The solver reports: something new"
