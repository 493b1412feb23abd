"""The sidebar: where the data comes from, and the hyperparameters behind the Train button.

The dataset picker only *requests* a dataset (``DatasetRequest``); the page opens it after the grid has
rendered, so edits in the grid on screen are committed first. The hyperparameters sit in a form: moving a
slider costs no rerun, and nothing changes until **Train** is pressed, so a person can set several at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from cf_core import Ratings
from cf_core.io import FORMATS

from . import data, evidence, literal, state
from .training import METHOD_LABELS, NORMALIZATION_LABELS, REGULARIZATION_LABELS, Params

__all__ = ["DatasetRequest", "dataset_picker", "hyperparameters", "load_hyperparameters", "upload_limit_mb", "LAMBDAS"]

BLANK = "blank"
UPLOAD = "upload"
#: Hyperparameter widgets' values by data size. Lecture-size grids keep the course's settings. For
#: MovieLens-size data (see cf_app.evidence.LARGE_DATA_RATINGS) the values were picked by fitting on
#: cf_core.synthetic data of both MovieLens shapes (80/20 split, 100 L-BFGS-B iterations, seed 0):
#: 943 x 1,682 (100k): item mean k=2 lambda=1 validation RMSE 0.853; learned biases k=5 lambda=10 0.695
#:   (k=10: 0.703, k=20: 0.708, lambda=30: 0.860); the heaviest user's top five have 27-74 ratings.
#: 610 x 9,700 (100k, median 4 ratings per item): item mean k=2 lambda=1 0.959, its top five have 3-6
#:   ratings each, all predicted 5.00; learned biases k=5 lambda=10 0.795, top five 18-48 ratings.
SIZE_DEFAULTS = {
    "small": {state.FEATURES_WIDGET: 2, state.LAMBDA_WIDGET: 1.0, state.NORMALIZE_WIDGET: "Item mean (course)"},
    "large": {state.FEATURES_WIDGET: 5, state.LAMBDA_WIDGET: 10.0, state.NORMALIZE_WIDGET: "Learned biases"},
}
#: The lambda control's stops: log-spaced 1-3-10, plus 0 (no regularization, as a contrast to show).
LAMBDAS = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0]
#: The bias lambda's first stop: no separate value, the biases use lambda (the textbook model).
SAME_AS_LAMBDA = "same as lambda"


@dataclass(frozen=True)
class DatasetRequest:
    """A dataset the person asked for in this run: its workspace key, title, and (for new ones) ratings."""

    source: str
    title: str
    ratings: Ratings | None  # None: reopen the session's existing workspace for ``source``
    replace: bool = False  # True: start over even if the session has this source open (a new blank grid)


@st.cache_data(max_entries=8, show_spinner="Loading sample…")
def _sample(key: str) -> Ratings:
    """Samples are built once per server and copied to each session (st.cache_data returns copies)."""
    return data.load_sample_ratings(key)


def upload_limit_mb() -> int:
    """The upload limit set in .streamlit/config.toml (server.maxUploadSize), in MB."""
    return int(st.get_option("server.maxUploadSize"))


def dataset_picker() -> DatasetRequest | None:
    """Dataset selectbox, blank-grid size and uploader; returns what the person asked to open, if anything."""
    try:
        samples = data.sample_sources()
    except ImportError:  # the sample registry is missing: blank grids and uploads still work
        samples = []
    options = [s.key for s in samples] + [BLANK, UPLOAD]
    names = {s.key: s.name for s in samples} | {BLANK: "Blank grid…", UPLOAD: "Upload a file…"}
    titles = {s.key: s.title for s in samples}
    descriptions = {s.key: s.description for s in samples}
    active = state.active()
    default = active.source if active is not None and active.source in options else options[0]
    st.header("Data")
    choice = st.selectbox(
        "Dataset",
        options,
        index=options.index(default),
        format_func=names.get,  # short names: a box in a narrow sidebar cuts a long title off
        key=state.SOURCE_PICKER,
        help="Each dataset keeps its own edited grid for this session; switching back restores it.",
    )
    if choice in descriptions:
        full = "" if titles[choice] == names[choice] else f"**{literal.md(titles[choice])}**  \n"
        st.caption(full + literal.md(descriptions[choice]))
        if active is None or active.source != choice:
            try:
                ratings = None if choice in state.workspaces() else _sample(choice)
            except (ValueError, OSError) as exc:
                st.error(literal.md(f"Could not load the sample {titles[choice]!r}: {exc}"))
                return None
            return DatasetRequest(choice, titles[choice], ratings)
        return None
    if choice == BLANK:
        return _blank_grid()
    return _upload()


def _blank_grid() -> DatasetRequest | None:
    # At most 100 x 50 = state.FULL_GRID_MAX_CELLS: a blank grid is always edited whole.
    c1, c2 = st.columns(2)
    n_items = c1.number_input("Items (rows)", 1, 100, 5, key=state.BLANK_ITEMS)
    n_users = c2.number_input("Users (columns)", 1, 50, 4, key=state.BLANK_USERS)
    c3, c4 = st.columns(2)
    lo = c3.number_input("Lowest rating", value=0.0, step=0.5, key=state.BLANK_LO)
    hi = c4.number_input("Highest rating", value=5.0, step=0.5, key=state.BLANK_HI)
    if st.button("Create blank grid", key=state.BLANK_CREATE):
        if not lo < hi:
            st.error(f"The lowest rating ({lo:g}) must be below the highest ({hi:g}).")
            return None
        ratings = data.blank_ratings(int(n_items), int(n_users), (float(lo), float(hi)))
        title = f"Blank {int(n_items)} x {int(n_users)} grid"
        return DatasetRequest(f"{BLANK}:{int(n_items)}x{int(n_users)}:{lo:g}-{hi:g}", title, ratings, replace=True)
    return None


#: "How this file was read" controls: option label -> value passed to the reader (None = detect).
DELIMITERS = {"detect": None, "comma": ",", "tab": "\t", "semicolon": ";", "vertical bar |": "|"}
DECIMALS = {"detect": None, "point (4.5)": ".", "comma (4,5)": ","}
HEADERS = {"detect": None, "yes": True, "no": False}
ENCODINGS = {"detect": None, "UTF-8": "utf-8", "Windows (cp1252)": "cp1252", "Latin-1": "latin-1", "UTF-16": "utf-16"}
OUTLIERS = {"refuse": "error", "drop them": "drop"}


def _read_choices() -> data.ReadChoices:
    """The controls of "How this file was read"; every one starts at "detect"."""
    c1, c2 = st.columns(2)
    fmt = c1.selectbox("Format", ["auto", *FORMATS], key=state.READ_FORMAT, help="auto: from the name and content.")
    delimiter = c2.selectbox("Delimiter", list(DELIMITERS), key=state.READ_DELIMITER)
    c3, c4 = st.columns(2)
    decimal = c3.selectbox("Decimal mark", list(DECIMALS), key=state.READ_DECIMAL)
    header = c4.selectbox("Header row", list(HEADERS), key=state.READ_HEADER, help="Long files: names in row 1?")
    c5, c6 = st.columns(2)
    encoding = c5.selectbox("Encoding", list(ENCODINGS), key=state.READ_ENCODING, help="detect: UTF-8, else cp1252.")
    outliers = c6.selectbox(
        "Far outliers", list(OUTLIERS), key=state.READ_OUTLIERS, help="Ratings far outside the scale all others fit."
    )
    scale = None
    if st.toggle("Set the rating scale", key=state.READ_SCALE_SET, help="Off: declared in the file or inferred."):
        c7, c8 = st.columns(2)
        lo = c7.number_input("Lowest rating", value=1.0, step=0.5, key=state.READ_SCALE_LO)
        hi = c8.number_input("Highest rating", value=5.0, step=0.5, key=state.READ_SCALE_HI)
        scale = (float(lo), float(hi)) if lo < hi else None
        if scale is None:
            st.warning("The lowest rating must be below the highest; the scale is detected instead.")
    return data.ReadChoices(
        fmt, DELIMITERS[delimiter], DECIMALS[decimal], HEADERS[header], ENCODINGS[encoding], scale, OUTLIERS[outliers]
    )


def _show_read(outcome: object) -> None:
    """The report (a table of settings and plain sentences) or the error, as text, never as markdown."""
    if isinstance(outcome, str):
        st.text(outcome)
        return
    rows = [(name, value) for name, value, _how in outcome.settings()]  # type: ignore[attr-defined]
    st.dataframe(pd.DataFrame(rows, columns=["setting", "read as"]), hide_index=True, width="stretch")
    st.text(outcome.describe())  # type: ignore[attr-defined]


def _upload() -> DatasetRequest | None:
    limit = upload_limit_mb()
    uploaded = st.file_uploader(
        "Ratings file",
        key=state.UPLOAD,
        help=f"Up to {limit} MB. Formats: " + "; ".join(FORMATS.values()) + ".",
    )
    titles = st.file_uploader(
        "Item titles (optional)",
        key=state.UPLOAD_TITLES,
        help=f"Up to {limit} MB. For MovieLens or course data: u.item, movies.dat, movies.csv or movie_ids.txt, "
        "so items are labelled by title instead of id.",
    )
    if uploaded is None:
        st.caption(f"Files up to {limit} MB.")
        return None
    for f in (uploaded, titles):
        if f is not None and f.size > limit * 1024 * 1024:
            st.error(f"{literal.md(f.name)} is {f.size / 2**20:.1f} MB; the limit is {limit} MB.")
            return None
    reports = st.session_state.setdefault(state.READ_REPORTS, {})
    with st.expander("How this file was read", expanded=True):
        choices = _read_choices()
        title_id = f":{titles.file_id}" if titles is not None else ""
        source = f"{UPLOAD}:{uploaded.name}:{uploaded.size}:{uploaded.file_id}{title_id}:{choices.key()}"
        active = state.active()
        request: DatasetRequest | None = None
        if source in state.workspaces():
            if active is None or active.source != source:
                request = DatasetRequest(source, uploaded.name, None)
        elif isinstance(reports.get(source), str):  # this reading failed before: say so again, don't re-read
            state.notify("error", literal.md(reports[source]))
        else:
            try:
                ratings, report = data.read_upload(
                    uploaded.getvalue(),
                    uploaded.name,
                    (titles.getvalue(), titles.name) if titles is not None else None,
                    choices,
                )
                reports[source] = report
                request = DatasetRequest(source, uploaded.name, ratings)
            except Exception as exc:  # the loader's DataFormatError, or anything else: a message, never a traceback
                message = data.read_error_text(exc, uploaded.name)
                reports[source] = message
                state.notify("error", literal.md(message))  # shown in the main area, above the grid, in this run
        _show_read(reports.get(source, "Not read yet."))
    return request


def data_size(ratings: Ratings | None) -> str:
    """ "large" for MovieLens-size data, else "small" (lecture-size grids, and no data yet)."""
    return "large" if ratings is not None and ratings.n_ratings >= evidence.LARGE_DATA_RATINGS else "small"


def _defaults_for_data() -> str:
    """Set k, lambda and normalization to the defaults of the data on screen when its size class changes
    (widgets are written before they are drawn). Only settings still at the previous size's default move:
    what the person chose (a slider they moved, a shared link's k) stays. The first run keeps the URL's."""
    ws = state.active()
    size = data_size(ws.working if ws is not None else None)
    previous = st.session_state.get(state.DEFAULTS_FOR)
    st.session_state[state.DEFAULTS_FOR] = size
    if previous is not None and previous != size:
        for key, value in SIZE_DEFAULTS[size].items():
            if st.session_state.get(key, SIZE_DEFAULTS[previous][key]) == SIZE_DEFAULTS[previous][key]:
                st.session_state[key] = value
    return size


def hyperparameters() -> tuple[Params, bool]:
    """The hyperparameter form; returns its (submitted) values and whether Train was pressed now."""
    st.header("Model")
    if _defaults_for_data() == "large":
        st.caption(
            "Large data starts with learned biases, k=5, lambda=10: item means trust items with a handful of "
            "ratings (the top picks become 5.00s rated by 1-3 people); lecture grids keep the course's k=2."
        )
    with st.form(state.HYPERPARAMETER_FORM, border=False):
        k = st.slider(
            "Number of features k",
            1,
            50,
            2,
            key=state.FEATURES_WIDGET,
            bind="query-params",
            help="Latent features per item and user.",
        )
        lam = st.select_slider(
            "Regularization lambda",
            LAMBDAS,
            value=1.0,
            format_func=lambda v: f"{v:g}",
            key=state.LAMBDA_WIDGET,
            bind="query-params",
            help="Log-spaced stops: each step multiplies lambda by about 3. 0 turns regularization off.",
        )
        bias_lam = st.select_slider(
            "Bias lambda",
            [SAME_AS_LAMBDA, *LAMBDAS],
            value=SAME_AS_LAMBDA,
            format_func=lambda v: v if isinstance(v, str) else f"{v:g}",
            key=state.BIAS_LAMBDA_WIDGET,
            bind="query-params",
            help="With learned biases: how strongly the item and user biases are shrunk, apart from the features "
            "(biases usually want less).",
        )
        regularization = st.radio(
            "Regularization",
            list(REGULARIZATION_LABELS),
            key=state.REGULARIZATION_WIDGET,
            bind="query-params",
            help="Plain: lambda/2 |x|^2 for every row. Weighted: each item's and user's penalty times its number "
            "of ratings (ALS-WR, as Spark's ALS), so use a much smaller lambda.",
        )
        iters = st.slider(
            "Iterations",
            1,
            500,
            100,
            key=state.ITERATIONS_WIDGET,
            bind="query-params",
            help="Solver iterations (ALS: sweeps).",
        )
        method = st.selectbox("Optimizer", list(METHOD_LABELS), key=state.METHOD_WIDGET, bind="query-params")
        norm = st.radio(
            "Normalization",
            list(NORMALIZATION_LABELS),
            key=state.NORMALIZE_WIDGET,
            bind="query-params",
            help="Item mean: subtract each item's mean rating first (the course). None: raw ratings (the seed). "
            "Learned biases: global mean plus a learned bias per item and per user.",
        )
        seed = st.number_input(
            "Random seed",
            0,
            2**31 - 1,
            0,
            1,
            key=state.SEED_WIDGET,
            bind="query-params",
            help="Same seed, same result.",
        )
        share = st.slider(
            "Validation share (%)",
            0,
            50,
            0,
            5,
            format="%d%%",
            key=state.VALIDATION_WIDGET,
            bind="query-params",
            help="Share of the ratings held out to measure generalization (0 = train on all of them).",
        )
        submitted = st.form_submit_button("Train", type="primary", width="stretch")
    params = Params(
        num_features=int(k),
        lambda_=float(lam),
        max_iter=int(iters),
        bias_lambda=None if isinstance(bias_lam, str) else float(bias_lam),
        regularization=REGULARIZATION_LABELS[regularization],
        method=METHOD_LABELS[method],
        normalize=NORMALIZATION_LABELS[norm],
        random_state=int(seed),
        validation_share=int(share) / 100,
    )
    return params, submitted


def load_hyperparameters(k: int, lam: float, bias_lam: float | None = None) -> None:
    """Set the form's k, lambda (and bias lambda) from elsewhere on the page, e.g. a sweep's best cell.

    For use as a button callback: callbacks run before the sidebar is drawn, so its widgets can still be set.
    """
    st.session_state[state.FEATURES_WIDGET] = int(k)
    st.session_state[state.LAMBDA_WIDGET] = float(lam)
    if bias_lam is not None:
        st.session_state[state.BIAS_LAMBDA_WIDGET] = float(bias_lam)
