"""Every ``st.session_state`` key the app uses (the *keys* section), and the session's datasets.

The person's data lives in a :class:`Workspace` per dataset: the ratings as loaded (for Reset), the
working ratings with every committed edit, and the frame the grid editor is fed. Streamlit's editor
drops edits when its own output is fed back in as input, so the editor always gets ``Workspace.grid``
unchanged and keyed by ``Workspace.editor_key``; a structural change first commits the editor's
output into ``working`` and then replaces ``grid`` *and* bumps the key together (:meth:`Workspace.show`).
Switching datasets keeps each workspace, so a mis-click in the picker never loses a grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import streamlit as st

from cf_core import Ratings

from . import data

if TYPE_CHECKING:
    from .training import TrainResult

# ------------------------------------------------------------------------------------------------- keys
# Every fixed ``st.session_state`` key and widget key of the app: other modules import these names, so no
# two parts collide and a test can read any of them. Keys that repeat per dataset or per results tab are
# built from a prefix: the grid's from ``Workspace.uid``, the views' from ``ViewContext.key`` ("v<uid>").

# The session's data and the page
WORKSPACES = "workspaces"  # dict[str, Workspace]: one per dataset the person opened
ACTIVE = "active_source"  # key of the workspace on screen
NOTICE = "notice"  # (kind, text) shown once at the top of the next run, e.g. after Stop
RESULTS_TAB = "results_tab"  # the open results tab (lazy tabs: only it is computed)
EDITOR_PREFIX = "grid_editor"  # + workspace id + version: the data_editor's key

# Training (cf_app.training)
TRAINING = "training_in_progress"  # set while a fit runs; still set on the next run = the fit was interrupted
QUEUED = "queued_fit"  # training.PendingFit: a Train press waiting for (or holding) a slot in the server's queue
STOP_TRAINING = "stop_training"  # the Stop button of a running fit
LEAVE_QUEUE = "leave_queue"  # the Stop button of a queued fit

# The sidebar (cf_app.sidebar): the dataset picker, blank grids, uploads and how they are read
SOURCE_PICKER = "source_picker"  # the dataset selectbox
UPLOAD = "upload"  # the file uploader
UPLOAD_TITLES = "upload_titles"  # the optional item-titles uploader
READ_REPORTS = "upload_read_reports"  # workspace source -> ReadReport (or error text) of that read
BLANK_ITEMS, BLANK_USERS, BLANK_LO, BLANK_HI, BLANK_CREATE = (
    "blank_items",
    "blank_users",
    "blank_lo",
    "blank_hi",
    "blank_create",
)
READ_FORMAT, READ_DELIMITER, READ_DECIMAL, READ_HEADER, READ_ENCODING, READ_OUTLIERS = (
    "read_format",
    "read_delimiter",
    "read_decimal",
    "read_header",
    "read_encoding",
    "read_outliers",
)
READ_SCALE_SET, READ_SCALE_LO, READ_SCALE_HI = "read_scale_set", "read_scale_lo", "read_scale_hi"

# The sidebar's hyperparameter form (its widgets are bound to the URL's query parameters under these names)
HYPERPARAMETER_FORM = "hyperparameters"  # its Train button is "FormSubmitter:hyperparameters-Train"
FEATURES_WIDGET = "p_features"
LAMBDA_WIDGET = "p_lambda"
BIAS_LAMBDA_WIDGET = "p_bias_lambda"
REGULARIZATION_WIDGET = "p_regularization"
ITERATIONS_WIDGET = "p_iter"
METHOD_WIDGET = "p_method"
NORMALIZE_WIDGET = "p_normalize"
SEED_WIDGET = "p_seed"
VALIDATION_WIDGET = "p_validation"
DEFAULTS_FOR = "hyperparameter_defaults_for"  # the data size ("small"/"large") the form was last set for

# Where fits run (cf_app.engine)
ENGINE = "engine"  # the Local / Spark radio
ENGINE_MASTER = "engine_master"  # the Spark master URL

# Results tabs' session data
RUN_HISTORY = "tuning_run_history"  # list of tuning.RunRecord, this session's runs
SWEEP = "tuning_sweep"  # the last sweep: {"fingerprint", "results", "seconds", "max_iter", "split", "settings"}
TEACHING_RESULTS = "teaching_results"  # the teaching experiments' results, keyed by (topic, data, settings)

# Memory bounds of one session: at most this many datasets open, holding at most this many ratings in all
# (the one on screen is always kept). A 1M-rating dataset costs about 24 MB as loaded, as much again once
# edited, plus its trained model's copy of the ratings; the least recently opened dataset is closed first.
MAX_WORKSPACES = 4
MAX_SESSION_RATINGS = 3_000_000

# Grids up to this many cells (and columns) are edited whole; larger ones through a slice.
FULL_GRID_MAX_CELLS = 5_000
FULL_GRID_MAX_USERS = 60


@dataclass
class GridView:
    """Which items (rows) and users (columns) the editor shows, by position in the working ratings."""

    item_pos: np.ndarray
    user_pos: np.ndarray
    mode: str = "all"  # "all", "slice" (most rated items x most active users) or "user" (one user's ratings)


@dataclass
class Workspace:
    """One dataset's working state in this browser session."""

    source: str
    title: str
    original: Ratings
    working: Ratings
    view: GridView
    grid: pd.DataFrame
    uid: int
    editor_version: int = 0
    result: TrainResult | None = None
    edit_error: str | None = None  # why the current grid does not make valid ratings, if it does not
    _fingerprint: str | None = field(default=None, repr=False)
    _grid_text: tuple[pd.DataFrame, pd.DataFrame] | None = field(default=None, repr=False)  # (grid, its text)

    @property
    def editor_key(self) -> str:
        return f"{EDITOR_PREFIX}_{self.uid}_{self.editor_version}"

    @property
    def is_large(self) -> bool:
        r = self.working
        return r.n_items * r.n_users > FULL_GRID_MAX_CELLS or r.n_users > FULL_GRID_MAX_USERS

    @property
    def fingerprint(self) -> str:
        """Hash of ``working`` (computed once per change: hashing a 1M-rating set takes tens of ms)."""
        if self._fingerprint is None:
            self._fingerprint = data.fingerprint(self.working)
        return self._fingerprint

    @property
    def grid_text(self) -> pd.DataFrame:
        """``grid`` as the editor's text cells (see :func:`cf_app.grid.as_text`), made once per grid: every
        run of the page feeds it to the editor, and formatting 1,500 cells one by one took ~30-60 ms a run."""
        if self._grid_text is None or self._grid_text[0] is not self.grid:
            from .grid import as_text  # grid imports this module

            self._grid_text = (self.grid, as_text(self.grid))
        return self._grid_text[1]

    def set_working(self, ratings: Ratings) -> None:
        self.working = ratings
        self._fingerprint = None

    def show(self, view: GridView) -> None:
        """Point the editor at ``view`` of ``working``: a new source frame and a new editor key, together."""
        self.view = view
        self.grid = data.slice_frame(self.working, view.item_pos, view.user_pos)
        self.editor_version += 1

    def current(self, edited: pd.DataFrame | None) -> Ratings:
        """Working ratings with the editor's uncommitted cells merged in; ValueError names a bad cell."""
        if edited is None or edited.equals(self.grid):
            return self.working
        return data.merge_slice(self.working, self.view.item_pos, self.view.user_pos, edited)

    def commit(self, ratings: Ratings) -> None:
        """Make ``ratings`` (the grid as edited) the working data, before this editor goes off screen."""
        if ratings is not self.working:
            self.set_working(ratings)
            self.show(self.view)


def default_view(ratings: Ratings, mode: str = "auto", n_items: int = 50, n_users: int = 30, user: int = 0) -> GridView:
    """The whole grid when it is small; otherwise the most rated items x most active users, or one user."""
    small = ratings.n_items * ratings.n_users <= FULL_GRID_MAX_CELLS and ratings.n_users <= FULL_GRID_MAX_USERS
    if mode == "all" or (mode == "auto" and small):
        return GridView(np.arange(ratings.n_items), np.arange(ratings.n_users), "all")
    if mode == "user":
        return GridView(np.arange(ratings.n_items), np.array([int(user)]), "user")
    # Most rated / most active first, the same order the results heatmaps use.
    items = data.top_positions(ratings.item_counts(), n_items)
    users = data.top_positions(ratings.user_counts(), n_users)
    return GridView(items, users, "slice")


def init() -> None:
    """Create the session's keys on its first run (each browser session has its own)."""
    st.session_state.setdefault(WORKSPACES, {})
    st.session_state.setdefault(ACTIVE, None)
    st.session_state.setdefault(TRAINING, None)
    st.session_state.setdefault(QUEUED, None)
    st.session_state.setdefault(NOTICE, [])


def workspaces() -> dict[str, Workspace]:
    return st.session_state[WORKSPACES]


def active() -> Workspace | None:
    key = st.session_state.get(ACTIVE)
    return workspaces().get(key) if key is not None else None


def open_workspace(source: str, title: str, ratings: Ratings, *, replace: bool = False) -> Workspace:
    """Make ``source`` the dataset on screen, loading ``ratings`` unless this session already has it open."""
    spaces = workspaces()
    if replace or source not in spaces:
        view = default_view(ratings)
        uid = max((w.uid for w in spaces.values()), default=-1) + 1
        spaces[source] = Workspace(
            source, title, ratings, ratings, view, data.slice_frame(ratings, view.item_pos, view.user_pos), uid
        )
    spaces[source] = spaces.pop(source)  # most recently opened last
    st.session_state[ACTIVE] = source
    _close_old_workspaces(spaces)
    return spaces[source]


def _ratings_held(ws: Workspace) -> int:
    held = ws.original.n_ratings + (ws.working.n_ratings if ws.working is not ws.original else 0)
    if ws.result is not None:
        held += ws.result.train.n_ratings
    return held


def _close_old_workspaces(spaces: dict[str, Workspace]) -> None:
    """Close the least recently opened datasets beyond the session's bounds, saying which."""
    while len(spaces) > 1 and (
        len(spaces) > MAX_WORKSPACES or sum(_ratings_held(w) for w in spaces.values()) > MAX_SESSION_RATINGS
    ):
        oldest = next(iter(spaces))
        closed = spaces.pop(oldest)
        name = closed.title.replace("`", "'")
        notify(
            "info",
            f"Closed `{name}` to keep this session's memory bounded (at most {MAX_WORKSPACES} datasets and "
            f"{MAX_SESSION_RATINGS:,} ratings open at once); its edits and results are gone. Download a grid "
            "before opening more datasets to keep it.",
        )


def notify(kind: str, text: str) -> None:
    """Queue a message for the next run (st.error/warning/info/success by ``kind``)."""
    st.session_state[NOTICE].append((kind, text))


def pop_notices() -> list[tuple[str, str]]:
    notes = list(st.session_state[NOTICE])
    st.session_state[NOTICE] = []
    return notes
