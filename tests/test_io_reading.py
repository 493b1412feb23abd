"""Tests for how cf_core.io reads files that could be misread (issue 9): every class is read as meant,
or refused naming both readings, and the report says how it was read. Resources stay bounded.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.io
import scipy.sparse
from hypothesis import given
from hypothesis import strategies as st

from cf_core import CollaborativeFiltering, Ratings
from cf_core.io import DataFormatError, Limits, ReadReport, load_model, load_ratings, read_ratings, save_model

sys.path.insert(0, str(Path(__file__).parent / "bad_files"))
import make_corpus  # noqa: E402


def upload(content: bytes, name: str = "ratings.csv") -> io.BytesIO:
    f = io.BytesIO(content)
    f.name = name
    return f


# ---------------------------------------------------------------------------------------------- wide vs long
@pytest.mark.parametrize("corner", ["Name", "#", "", "Movie title", "film name"])
def test_wide_grid_with_numeric_user_labels_is_wide(corner):
    content = f"{corner},1,2\nToy Story,5,3\nHeat,4,\n".encode()
    r, report = read_ratings(upload(content, "g.csv"))
    assert report.format == "wide" and list(r.users) == ["1", "2"] and list(r.items) == ["Toy Story", "Heat"]
    assert r.n_ratings == 3


def test_first_row_read_as_user_labels_is_said_in_the_report():
    _, report = read_ratings(upload(b"Name,1,2\nToy Story,5,3\nHeat,4,2\n"))
    assert "first row was read as user labels" in report.describe()
    assert "format 'long' and no header" in report.describe()


def test_the_other_reading_is_one_option_away():
    r = load_ratings(upload(b"alice,10,5\nbob,20,4\n"), format="long", header=False)
    assert list(r.users) == ["alice", "bob"] and list(r.items) == ["10", "20"]


@pytest.mark.parametrize(
    ("content", "users"),
    [
        (b"#u1,i1,5\nu2,i1,4\nu2,i2,3\n", ["#u1", "u2"]),  # the first user starts with '#'
        (b"1,10,5\n2,10,4\n", ["1", "2"]),  # ids only: every field a number
        (b"alice,10,5\nalice,20,4\n", ["alice"]),  # a user repeats in the first column
        (b"alice,Heat,5\nbob,Toy Story,4\n", ["alice", "bob"]),  # text where a wide grid has ratings
    ],
)
def test_header_less_long_files_stay_long(content, users):
    r, report = read_ratings(upload(content))
    assert report.format == "long" and report.header is False and list(r.users) == users


def test_comment_rule_keeps_data_and_skips_real_comments():
    content = b"# rating_scale: 1,5\n# exported from a survey\n# source: class of 2026\n#,Alice,Bob\nx,5,3\n"
    r, report = read_ratings(upload(content))
    assert list(r.users) == ["Alice", "Bob"] and r.scale_given
    assert report.comments_skipped == 1
    assert "source: class of 2026 (not a CF Lab setting; ignored)" in report.metadata


def test_a_hash_line_splitting_like_the_data_is_data():
    r = load_ratings(upload(b"# a note\n#u1,i1,5\nu2,i2,4\n"))
    assert list(r.users) == ["#u1", "u2"]


# ---------------------------------------------------------------------------------------------- delimiters, decimals
@pytest.mark.parametrize("sep", [b";", b"\t"])
def test_header_less_long_file_with_decimal_commas(sep):
    content = sep.join([b"u1", b"i1", b"4,5"]) + b"\n" + sep.join([b"u2", b"i1", b"3,5"]) + b"\n"
    r, report = read_ratings(upload(content))
    assert (report.delimiter, report.decimal, report.format) == (sep.decode(), ",", "long")
    assert sorted(r.values) == [3.5, 4.5]
    assert "Decimal mark: comma" in report.describe()


def test_wide_semicolon_grid_with_decimal_commas():
    r, report = read_ratings(upload(b"item;Alice;Bob\nx;4,5;\ny;3;2,5\n"))
    assert report.decimal == "," and r.to_frame().loc["y", "Bob"] == 2.5


def test_mixed_decimal_marks_are_refused_naming_both_and_the_option():
    with pytest.raises(DataFormatError, match=r"mix decimal commas \('4,5', line 2\) and decimal points") as err:
        load_ratings(upload(b"item;Alice;Bob\nx;4,5;\ny;3.5;2\n"))
    assert "decimal=','" in str(err.value)
    with pytest.raises(DataFormatError, match="'4,5' is not a number"):
        load_ratings(upload(b"user;item;rating\na;x;4,5\nb;y;3.5\n"), decimal=".")


def test_tab_separated_titles_with_commas():
    content = b"user\titem\trating\nu1\tToy Story, The\t5\nu2\tMatrix, The\t4\n"
    r, report = read_ratings(upload(content, "r.tsv"))
    assert report.delimiter == "\t" and list(r.items) == ["Matrix, The", "Toy Story, The"]


def test_explicit_delimiter_wins():
    r, report = read_ratings(upload(b"item|a,b|c\nx|1|2\n"), delimiter="|")
    assert list(r.users) == ["a,b", "c"] and report.delimiter_how == "set when reading"


# ---------------------------------------------------------------------------------------------- ids
def test_ids_beyond_64_bits_stay_distinct_as_text():
    big = [str(2**64 + 1), str(2**64 + 2), str(-(2**63) - 1)]
    content = "user,item,rating\n" + "".join(f"{u},1,{k + 1}\n" for k, u in enumerate(big))
    r = load_ratings(upload(content.encode()))
    assert sorted(r.users) == sorted(big) and r.n_users == 3


def test_movielens_id_beyond_64_bits_is_refused_not_wrapped():
    with pytest.raises(DataFormatError, match="beyond 64 bits") as err:
        load_ratings(upload(b"18446744073709551617\t1\t5\t0\n1\t1\t4\t0\n", "u.data"))
    assert err.value.line == 1


# ---------------------------------------------------------------------------------------------- rating scale
@pytest.mark.parametrize(
    ("values", "scale"),
    [
        ([3, 4, 5], (1, 5)),
        ([0, 5, 2], (0, 5)),
        ([0.5, 4.5, 3], (0.5, 5)),
        ([1, 7, 9], (1, 10)),
        ([0, 10], (0, 10)),
        ([0.2, 0.9], (0, 1)),
        ([-7.5, 9.1], (-10, 10)),
        ([12, 88, 0], (0, 100)),
        ([150, 800], (150, 800)),
    ],
)
def test_scale_is_inferred_from_conventions(values, scale):
    content = "user,item,rating\n" + "".join(f"u{k},i,{v}\n" for k, v in enumerate(values))
    r, report = read_ratings(upload(content.encode()))
    assert r.rating_scale == scale and not r.scale_given
    assert report.scale_origin.startswith("observed" if scale == (150, 800) else "inferred")


def test_far_outlier_is_named_or_dropped_never_absorbed():
    content = b"user,item,rating\n" + b"".join(b"u%d,i%d,%d\n" % (k, k % 7, 1 + k % 5) for k in range(4999))
    content += b"u9999,i1,99\n"
    with pytest.raises(DataFormatError, match=r"line 5001: 99") as err:
        load_ratings(upload(content))
    assert (err.value.line, err.value.value) == (5001, 99.0)
    r, report = read_ratings(upload(content), outliers="drop")
    assert r.rating_scale == (1, 5) and r.n_ratings == 4999
    assert report.outliers_dropped == ("line 5001: 99",) and "dropped" in report.describe()
    assert load_ratings(upload(content), rating_scale=(1, 100)).n_ratings == 5000


def test_declared_scale_in_the_report():
    _, report = read_ratings(upload(b"# rating_scale: 0,5\nitem,A\nx,3\n"))
    assert report.scale_given and "declared in the file (line 1)" in report.scale_origin
    _, report = read_ratings(upload(b"item,A\nx,3\n"), rating_scale=(0, 10))
    assert report.scale_origin == "set when reading"


# ---------------------------------------------------------------------------------------------- encodings, report
def test_non_utf8_text_is_read_as_cp1252_and_the_report_says_so():
    content = "item,Zoë\nAmélie – €,5\n".encode("cp1252")
    r, report = read_ratings(upload(content))
    assert list(r.items) == ["Amélie – €"] and report.encoding == "cp1252"
    assert "not valid UTF-8" in report.encoding_how
    latin = b"item,A\nx\x81y,5\n"  # 0x81 is undefined in cp1252: latin-1 is the last resort
    assert read_ratings(upload(latin))[1].encoding == "latin-1"
    with pytest.raises(DataFormatError, match="not valid UTF-8") as err:
        load_ratings(upload(content), encoding="utf-8")
    assert err.value.line == 1  # the 'ë' of "Zoë"


def test_report_lists_every_setting_as_a_value():
    r, report = read_ratings(upload(b"user,item,rating\na,x,4\nb,x,5\n", "ratings.csv"))
    assert isinstance(report, ReadReport)
    settings = {name: value for name, value, _how in report.settings()}
    assert settings == {
        "format": "long",
        "encoding": "utf-8",
        "delimiter": "comma",
        "decimal mark": "point",
        "header row": "yes",
        "orientation": "one rating per row (user, item, rating)",
        "rating scale": "1 to 5",
    }
    assert (report.n_ratings, report.n_items, report.n_users) == (2, 1, 2)
    assert report.describe().startswith("ratings.csv was read as long")
    with pytest.raises(AttributeError):
        report.format = "wide"  # type: ignore[misc]


def test_name_option_names_bytes_and_picks_the_format():
    r, report = read_ratings(b"196\t242\t3\t881250949\n", name="u.data")
    assert report.format == "movielens" and report.name == "u.data" and r.items.dtype.kind == "i"
    with pytest.raises(DataFormatError) as err:
        load_ratings(b"", name="photo.csv")
    assert str(err.value) == "photo.csv: the file is empty"


def test_wrong_options_are_value_errors():
    for kwargs in ({"decimal": ";"}, {"delimiter": "ab"}, {"outliers": "keep"}, {"format": "xlsx"}):
        with pytest.raises(ValueError):
            load_ratings(b"item,A\nx,1\n", **kwargs)


# ---------------------------------------------------------------------------------------------- bounded resources
@pytest.fixture
def alarm():
    """Fail instead of hanging if a read blocks (the FIFO case)."""
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the read blocked"))
    signal.alarm(5)
    yield
    signal.alarm(0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_and_devices_are_refused_at_once(tmp_path, alarm):
    fifo = tmp_path / "ratings.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataFormatError, match="pipe"):
        load_ratings(fifo)
    if Path("/dev/zero").exists():
        with pytest.raises(DataFormatError, match="device or special file"):
            load_ratings("/dev/zero")


def test_mat_declaring_a_big_dense_matrix_is_refused_from_its_header():
    content = make_corpus.dense_mat((300, 200), ("Y", "R"))
    with pytest.raises(DataFormatError, match=r"Y is declared as 300 x 200 = 60,000 cells") as err:
        load_ratings(upload(content, "big.mat"), limits=Limits(max_dense_cells=50_000))
    assert err.value.column == "Y"
    with pytest.raises(DataFormatError, match="no ratings: R is all zeros"):
        load_ratings(upload(content, "big.mat"))  # under the default cap it is read (and has no ratings)


def test_course_mat_file_reports_its_inferred_scale(tmp_path):
    Y = np.array([[5, 4], [0, 3]], dtype=float)
    scipy.io.savemat(tmp_path / "ex8.mat", {"Y": Y, "R": np.array([[1, 1], [0, 1]])})
    r, report = read_ratings(tmp_path / "ex8.mat")
    assert report.format == "mat" and report.encoding is None and r.rating_scale == (1, 5)


@pytest.fixture(scope="module")
def fitted() -> CollaborativeFiltering:
    r = Ratings.from_dense([[5, 4, np.nan], [1, np.nan, 2]], None, ["a", "b"], ["x", "y", "z"], (0, 5))
    return CollaborativeFiltering(num_features=2, lambda_=1.0, max_iter=10, random_state=0).fit(r)


def test_model_member_over_the_limit_is_refused_before_loading(fitted):
    content = save_model(fitted)
    with pytest.raises(DataFormatError, match="max_model_member_bytes"):
        load_model(upload(content, "m.npz"), limits=Limits(max_model_member_bytes=8))


def test_older_model_files_without_optional_fields_still_load(fitted):
    arrays = dict(np.load(io.BytesIO(save_model(fitted)), allow_pickle=False))
    meta = __import__("json").loads(str(arrays["meta"][()]))
    for key in ("fit_time", "message"):
        meta.pop(key)
    arrays["meta"] = np.array(__import__("json").dumps(meta))
    arrays.pop("validation_history", None)
    back = load_model(upload(make_corpus.npz(arrays), "old.npz"))
    np.testing.assert_array_equal(back.predict_matrix(), fitted.predict_matrix())
    assert back.message_ == "" and back.fit_time_ == 0.0


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"params": {"num_features": "two"}}, "params"),
        ({"rating_scale": [0]}, "rating_scale"),
        ({"labels": {"items": "float", "users": "str"}}, "labels"),
        ({"converged": "yes"}, "converged"),
        ({"n_iter": 2.5}, "n_iter"),
        ({"global_mean": None}, "global_mean"),
    ],
)
def test_every_model_header_field_is_validated(change, column):
    with pytest.raises(DataFormatError) as err:
        load_model(upload(make_corpus.npz(make_corpus.model_members(**change)), "m.npz"))
    assert err.value.column == column


# ---------------------------------------------------------------------------------------------- properties
TRICKY_LABEL = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["#", "#1", "# x", "#u1", "1.0", "007", "-0", "1e3", "nan", "a,b", '"q"']),
    st.text(alphabet="#0123456789.,-ab ", min_size=1, max_size=6),
).filter(lambda s: s.strip() != "" and "\n" not in s and "\r" not in s)
STAR = st.integers(1, 10).map(lambda v: v / 2)


@st.composite
def grids(draw):
    items = draw(st.lists(TRICKY_LABEL, min_size=1, max_size=4, unique=True))
    users = draw(st.lists(TRICKY_LABEL, min_size=2, max_size=4, unique=True))
    cells = [(i, j) for i in range(len(items)) for j in range(len(users))]
    rated = draw(st.lists(st.sampled_from(cells), min_size=1, max_size=len(cells), unique=True))
    values = [draw(STAR) for _ in rated]
    i, j = np.array(rated).T
    return Ratings(i, j, values, items, users, (0.5, 5))


def _write(rows: list[list[str]], delimiter: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


@given(grids(), st.sampled_from(["#", "Name", "", "movie title"]), st.sampled_from([",", ";", "\t"]))
def test_hand_written_wide_grids_with_tricky_labels_read_back(r, corner, delimiter):
    """Numeric-looking and '#'-starting labels, any corner cell, decimal commas where the delimiter allows."""
    frame = r.to_frame()
    mark = "," if delimiter != "," else "."
    cell = {v: (f"{v:g}".replace(".", mark)) for v in np.unique(r.values)}
    rows = [[corner, *map(str, r.users)]] + [
        [str(item), *("" if np.isnan(v) else cell[v] for v in frame.loc[item])] for item in r.items
    ]
    back = load_ratings(upload(_write(rows, delimiter), "grid.csv"), format="wide", rating_scale=(0.5, 5))
    assert back == r


@given(grids(), st.sampled_from([";", "\t"]))
def test_long_files_with_decimal_commas_and_tricky_labels_read_back(r, delimiter):
    long = r.to_long()
    rows = [["user", "item", "rating"]] + [
        [str(u), str(i), f"{v:g}".replace(".", ",")]
        for u, i, v in zip(long["user"], long["item"], long["rating"], strict=True)
    ]
    back, report = read_ratings(upload(_write(rows, delimiter)), rating_scale=(0.5, 5))
    assert report.delimiter == delimiter and report.decimal in (",", ".")
    got = back.to_long().astype({"user": str, "item": str}).sort_values(["user", "item"]).reset_index(drop=True)
    want = long.astype({"user": str, "item": str}).sort_values(["user", "item"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_declared_shapes_match_scipy_without_loading(shapes, compress, sparse):
    from cf_core.io.mat import declared_shapes

    variables = {
        f"v{k}_{'long_name' * (k % 2)}": (scipy.sparse.csc_matrix(np.ones(s)) if sparse else np.ones(s))
        for k, s in enumerate(shapes)
    }
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, variables, do_compression=compress)
    expected = [(name, tuple(shape)) for name, shape, _ in scipy.io.whosmat(io.BytesIO(buffer.getvalue()))]
    assert declared_shapes(buffer.getvalue()) == expected
