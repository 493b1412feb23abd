"""A session's memory is bounded: the least recently opened datasets are closed, and the page says so."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cf_app import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_sample(at: AppTest, key: str) -> AppTest:
    at.selectbox(key=state.SOURCE_PICKER).set_value(key).run()
    assert not at.exception
    return at


def test_opening_more_datasets_than_the_bound_closes_the_oldest(monkeypatch):
    monkeypatch.setattr(state, "MAX_WORKSPACES", 2)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    open_sample(at, "movies-small")
    assert list(at.session_state[state.WORKSPACES]) == ["lecture", "movies-small"]
    open_sample(at, "lecture")  # going back makes the lecture grid the most recent again
    open_sample(at, "synthetic-100k")
    assert list(at.session_state[state.WORKSPACES]) == ["lecture", "synthetic-100k"]
    [note] = [i.value for i in at.info if i.value.startswith("Closed")]
    assert note.startswith("Closed `Movies, small (30 movies x 20 users)` to keep this session's memory bounded")


def test_the_ratings_bound_keeps_the_dataset_on_screen(monkeypatch):
    monkeypatch.setattr(state, "MAX_SESSION_RATINGS", 50_000)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    open_sample(at, "synthetic-100k")  # alone above the bound: kept, the others closed
    assert list(at.session_state[state.WORKSPACES]) == ["synthetic-100k"]
    assert at.session_state[state.ACTIVE] == "synthetic-100k"
    assert any(i.value.startswith("Closed `Lecture example") for i in at.info)
