"""Tests for cf_core.io: every input format loads, exports read back identically, bad files fail clearly."""

from __future__ import annotations

import io
import re
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import scipy.io
from hypothesis import assume, given
from hypothesis import strategies as st

import cf_core.io.long as cio_long
from cf_core import CollaborativeFiltering, Ratings
from cf_core.io import (
    DataFormatError,
    Limits,
    detect_format,
    load_model,
    load_ratings,
    read_ratings,
    save_model,
    save_predictions,
    save_ratings,
)
from cf_core.io.scale import settle_scale

BAD = Path(__file__).parent / "bad_files"

LECTURE_ITEMS = ["Love at last", "Romance forever", "Cute puppies of love", "Nonstop car chases", "Swords vs. karate"]
LECTURE_Y = np.array(
    [[5, 5, 0, 0], [5, np.nan, np.nan, 0], [np.nan, 4, 0, np.nan], [0, 0, 5, 4], [0, 0, 5, np.nan]], dtype=float
)


def lecture() -> Ratings:
    return Ratings.from_dense(LECTURE_Y, None, LECTURE_ITEMS, ["Alice", "Bob", "Carol", "Dave"], rating_scale=(0, 5))


def inferred(r: Ratings) -> Ratings:
    """``r`` with the scale a reader infers when none is declared (a usual convention, else min..max)."""
    if r.scale_given:
        return r
    scale = settle_scale(np.asarray(r.values), None, "error", lambda k: (None, None, ""), "x").scale
    return Ratings(r.item_idx, r.user_idx, r.values, r.items, r.users, scale, scale_given=False)


def upload(content: bytes, name: str) -> io.BytesIO:
    """Like Streamlit's UploadedFile: a binary file object with a ``name``."""
    f = io.BytesIO(content)
    f.name = name
    return f


# ---------------------------------------------------------------------------------------------- wide and long
def test_wide_csv_reads_labels_values_and_declared_scale():
    r = load_ratings(upload(b"# rating_scale: 0,5\nitem,Alice,Bob\nLove at last,5,\nSwords,0,4.5\n", "grid.csv"))
    assert r == Ratings.from_dense([[5, np.nan], [0, 4.5]], None, ["Love at last", "Swords"], ["Alice", "Bob"], (0, 5))
    assert r.scale_given


def test_numeric_looking_labels_stay_strings():
    r = load_ratings(upload(b"item,1,NA,007\nnan,1,2,3\n1.0,,,4\n", "numbers.csv"), format="wide")
    assert list(r.users) == ["1", "NA", "007"]
    assert list(r.items) == ["nan", "1.0"]


@pytest.mark.parametrize(
    "content",
    [
        b"user,item,rating\nAlice,Love at last,5\nBob,Swords,3.5\n",
        b"userId\tmovie\tscore\tts\nAlice\tLove at last\t5\t1\nBob\tSwords\t3.5\t2\n",
        b"Item;Rating;User\nLove at last;5;Alice\nSwords;3.5;Bob\n",
        b"Alice|Love at last|5\nBob|Swords|3.5\n",
        b"Alice,Love at last,5,881250949\r\nBob,Swords,3.5,881250950\r\n",
        b"\xef\xbb\xbfuser,item,rating\nAlice,Love at last,5\n\nBob,Swords,3.5\n",
    ],
    ids=["csv", "tsv-synonyms", "semicolon-reordered", "pipe-no-header", "crlf-timestamp", "bom-blank-line"],
)
def test_long_files_with_any_delimiter_header_and_column_order(content):
    r = load_ratings(upload(content, "ratings.txt"))
    expected = Ratings.from_long(
        pd.DataFrame({"user": ["Alice", "Bob"], "item": ["Love at last", "Swords"], "rating": [5.0, 3.5]})
    )
    assert r == inferred(expected) and r.rating_scale == (1.0, 5.0) and not r.scale_given


def test_utf16_and_latin1_text_is_decoded():
    text = "item,Zoë\nAmélie,5\n"
    assert list(load_ratings(upload(text.encode("utf-16"), "excel.csv")).items) == ["Amélie"]
    r = load_ratings(upload(text.encode("latin-1"), "old.csv"), encoding="latin-1")
    assert (list(r.items), list(r.users)) == (["Amélie"], ["Zoë"])


def test_duplicates_can_keep_last_or_average():
    content = (BAD / "long_duplicates.csv").read_bytes()
    last = load_ratings(upload(content, "d.csv"), duplicates="last").to_frame()
    mean = load_ratings(upload(content, "d.csv"), duplicates="mean").to_frame()
    assert (last.loc["Love at last", "Alice"], last.loc["Swords", "Bob"]) == (4.0, 3.0)
    assert (mean.loc["Love at last", "Alice"], mean.loc["Swords", "Bob"]) == (4.5, 2.5)
    assert mean.loc["Swords", "Carol"] == 1.0


def test_explicit_rating_scale_overrides_the_file_and_rejects_outliers():
    content = b"# rating_scale: 0,5\nitem,Alice\nLove at last,5\n"
    assert load_ratings(upload(content, "g.csv"), rating_scale=(1, 10)).rating_scale == (1.0, 10.0)
    with pytest.raises(DataFormatError, match="outside the declared scale 1 to 4") as err:
        load_ratings(upload(content, "g.csv"), rating_scale=(1, 4))
    assert (err.value.line, err.value.column, err.value.value) == (3, "Alice", 5.0)


def test_file_object_is_read_from_the_start_and_text_objects_work():
    f = upload(b"item,Alice\nLove at last,5\n", "g.csv")
    f.read()  # e.g. the app previewed the upload first
    assert load_ratings(f).n_ratings == 1
    assert load_ratings(io.StringIO("item,Alice\nLove at last,5\n")).n_ratings == 1


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"item,Alice,Bob\nx,1,2\n", "a.csv", "wide"),
        (b"item,1,2\nx,1,2\n", "a.csv", "wide"),
        (b"user,item,rating\na,b,1\n", "a.csv", "long"),
        (b"a,b,1\n", "a.csv", "long"),
        (b"userId,movieId,rating,timestamp\n1,2,3.5,4\n", "ratings.csv", "movielens-csv"),
        (b"1\t2\t3\t4\n", "u.data", "movielens"),
        (b"1\t2\t3\t4\n", "ua.base", "movielens"),
        (b"MATLAB 5.0 MAT-file", "anything", "mat"),
    ],
)
def test_detect_format(content, name, expected):
    assert detect_format(upload(content, name)) == expected


# ---------------------------------------------------------------------------------------------- MovieLens, .mat
def test_movielens_u_data_with_u_item_titles(tmp_path):
    (tmp_path / "u.data").write_bytes(b"196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t242\t1\t878887116\n")
    (tmp_path / "u.item").write_bytes(
        "242|Kolya (1996)|24-Jan-1997||http://x|0|0\n302|L.A. Confidential (1997)|01-Jan-1997||x|0\n"
        "1|Café (1995)|01-Jan-1995||x|0\n".encode("latin-1")
    )
    plain = load_ratings(tmp_path / "u.data")
    assert list(plain.items) == [242, 302] and list(plain.users) == [22, 186, 196]
    assert plain.items.dtype.kind == "i"
    titled = load_ratings(tmp_path / "u.data", titles=tmp_path / "u.item")
    assert list(titled.items) == ["Kolya (1996)", "L.A. Confidential (1997)"]
    assert np.array_equal(titled.values, plain.values)


def test_movielens_ratings_csv_with_movies_csv_titles_sharing_a_name(tmp_path):
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,10,4.5,9\n2,20,0.5,9\n1,30,3,9\n")
    (tmp_path / "movies.csv").write_text(
        'movieId,title,genres\n10,"Crow, The (1994)",Action\n20,Hamlet (1990),Drama\n30,Hamlet (1990),Drama\n',
        encoding="utf-8",
    )
    r = load_ratings(tmp_path / "ratings.csv", titles=tmp_path / "movies.csv")
    assert list(r.items) == ["Crow, The (1994)", "Hamlet (1990) [20]", "Hamlet (1990) [30]"]
    assert list(r.users) == [1, 2]


def test_movielens_1m_ratings_dat_with_movies_dat_titles():
    ratings = upload(b"1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n", "ratings.dat")
    movies = upload("1193::Cuckoo's Nest (1975)::Drama\n661::Pêche (1996)::Animation\n".encode("latin-1"), "movies.dat")
    r = load_ratings(ratings, titles=movies)
    assert list(r.items) == ["Pêche (1996)", "Cuckoo's Nest (1975)"] and list(r.users) == [1, 2]
    assert r.to_frame().loc["Pêche (1996)", 1] == 3.0


def test_excel_sep_line_names_the_delimiter():
    r = load_ratings(upload(b"sep=;\nitem;Alice;Bob\nLove at last;4.5;\n", "excel.csv"))
    assert (list(r.users), r.n_ratings) == (["Alice", "Bob"], 1)


def test_titles_file_lacking_some_ids_attaches_the_titles_it_has(tmp_path):
    """Was: refused as a whole. Now the items it names get titles and the report counts the others."""
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,10,4,9\n1,99,3,9\n")
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n10,A,x\n")
    r, report = read_ratings(tmp_path / "ratings.csv", titles=tmp_path / "movies.csv")
    assert list(r.items) == ["A", "99"]
    assert (report.titles_attached, report.ids_without_title) == (1, 1)
    assert "1 kept their raw id" in report.describe()


def test_course_mat_file_with_movie_ids_titles(tmp_path):
    Y = np.nan_to_num(LECTURE_Y)
    R = (~np.isnan(LECTURE_Y)).astype(float)
    scipy.io.savemat(tmp_path / "ex8_movies.mat", {"Y": Y, "R": R})
    lines = [f"{k + 1} {title}" for k, title in enumerate(LECTURE_ITEMS)]
    lines[1] = "2 Amélie (2001)"
    (tmp_path / "movie_ids.txt").write_bytes("\n".join(lines).encode("latin-1"))
    r = load_ratings(tmp_path / "ex8_movies.mat")
    assert r == Ratings.from_dense(Y, R, range(1, 6), range(1, 5))
    titled = load_ratings(
        upload((tmp_path / "ex8_movies.mat").read_bytes(), "ex8_movies.mat"), titles=tmp_path / "movie_ids.txt"
    )
    assert titled.items[1] == "Amélie (2001)" and titled.n_ratings == 15


def test_titles_are_refused_for_formats_that_carry_labels():
    with pytest.raises(ValueError, match="titles go with MovieLens"):
        load_ratings(upload(b"item,Alice\nx,1\n", "g.csv"), titles=io.BytesIO(b"1 x"))


# ---------------------------------------------------------------------------------------------- round trips
LABEL = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=8),
    st.sampled_from(["1", "007", "1.0", "-3", "NA", "nan", "None", "", '"', ",", "a,b", 'say "hi"', " x ", "#1"]),
    st.integers(-(10**6), 10**6).map(str),
).filter(lambda s: s != "")
VALUE = st.one_of(
    st.integers(0, 10).map(lambda x: x / 2),  # half stars
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def ratings_strategy(draw, label=LABEL):
    items = draw(st.lists(label, min_size=1, max_size=5, unique=True))
    users = draw(st.lists(label, min_size=1, max_size=5, unique=True))
    cells = [(i, j) for i in range(len(items)) for j in range(len(users))]
    rated = draw(st.lists(st.sampled_from(cells), min_size=1, max_size=len(cells), unique=True))
    values = np.array([draw(VALUE) for _ in rated])
    scale = None
    if draw(st.booleans()):
        scale = (
            float(values.min()) - draw(st.sampled_from([0, 0.5, 1])),
            float(values.max()) + draw(st.sampled_from([0, 2])),
        )
    i, j = np.array(rated).T
    return Ratings(i, j, values, items, users, scale)


def _no_role_names(r: Ratings) -> bool:
    """Auto-detection reads a header of user/item/rating names as a long file; keep random labels clear of it."""
    return all(cio_long.role(str(x)) is None for x in [*r.items, *r.users])


@given(ratings_strategy())
def test_wide_round_trip_is_identity(r):
    assume(_no_role_names(r))
    back = load_ratings(upload(save_ratings(r, format="wide"), "export.csv"))
    assert back == inferred(r) and back.scale_given == r.scale_given


def _natural(labels) -> list:
    """The documented long-file label order: canonical integers by value, then everything else as text."""
    rated = sorted(set(labels))
    return sorted(rated, key=lambda s: (0, int(s), "") if re.fullmatch(r"0|-?[1-9][0-9]*", s) else (1, 0, s))


@given(ratings_strategy())
def test_long_round_trip_keeps_every_rating_with_labels_in_natural_order(r):
    back = load_ratings(upload(save_ratings(r, format="long"), "export.csv"))
    # a long file holds no label order and no unrated item/user, so those are the only differences allowed
    long = r.to_long()
    items, users = _natural(long["item"]), _natural(long["user"])
    expected = Ratings(
        pd.Index(items).get_indexer(long["item"]),
        pd.Index(users).get_indexer(long["user"]),
        long["rating"].to_numpy(),
        items,
        users,
        r.rating_scale if r.scale_given else None,
    )
    assert back == inferred(expected) and back.scale_given == r.scale_given


@given(ratings_strategy())
def test_categorical_parse_reads_the_same_as_the_string_path(r):
    content = save_ratings(r, format="long")
    fast = load_ratings(upload(content, "labels.csv"))
    with mock.patch.object(cio_long, "string_categories", return_value=False):
        slow = load_ratings(upload(content, "labels.csv"))
    assert fast == slow and fast.items.dtype == slow.items.dtype


INTEGER_SPELLINGS = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["7", "007", "+7", " 7", "7 ", "7.0", "7.", "1e2", "100", "-0", "0", "00", "-7", "1_000"]),
)


@given(ratings_strategy(label=INTEGER_SPELLINGS))
def test_integer_id_fast_path_reads_the_same_as_the_string_path(r):
    """Ids are parsed as int64 for speed only when that cannot merge labels such as "7", "007" and "7.0"."""
    content = save_ratings(r, format="long")
    fast = load_ratings(upload(content, "ids.csv"))
    with mock.patch.object(cio_long, "may_hold_plain_ints", return_value=False):
        slow = load_ratings(upload(content, "ids.csv"))
    assert fast == slow and fast.items.dtype == slow.items.dtype
    assert set(fast.items) == {str(x) for x in r.items[np.unique(r.item_idx)]}


@given(ratings_strategy(label=st.integers(-50, 10**9)))
def test_integer_labels_come_back_as_integers(r):
    for fmt in ("wide", "long"):
        back = load_ratings(upload(save_ratings(r, format=fmt), "export.csv"))
        assert back.items.dtype.kind == "i" and back.users.dtype.kind == "i"
        if fmt == "wide":
            assert back == inferred(r)


def test_save_to_path_and_file_object(tmp_path):
    r = lecture()
    save_ratings(r, tmp_path / "lecture.csv")
    buffer = io.BytesIO()
    save_ratings(r, buffer, format="long")
    assert load_ratings(tmp_path / "lecture.csv") == r
    assert load_ratings(upload(buffer.getvalue(), "long.csv")).n_ratings == r.n_ratings


def test_save_refuses_labels_csv_cannot_hold():
    r = Ratings(np.array([0]), np.array([0]), np.array([1.0]), [""], ["Alice"])
    with pytest.raises(ValueError, match="item label ''"):
        save_ratings(r)


# ---------------------------------------------------------------------------------------------- predictions, models
@pytest.fixture(scope="module")
def fitted() -> CollaborativeFiltering:
    return CollaborativeFiltering(num_features=2, lambda_=0.5, max_iter=30, random_state=0).fit(lecture())


def test_save_predictions_wide_and_long(fitted):
    wide = pd.read_csv(io.BytesIO(save_predictions(fitted)), index_col=0)
    np.testing.assert_array_equal(wide.to_numpy(), fitted.predict_matrix())
    assert list(wide.index) == LECTURE_ITEMS
    long = pd.read_csv(io.BytesIO(save_predictions(fitted, format="long")))
    assert list(long.columns) == ["user", "item", "rating", "prediction"]
    assert len(long) == 20 and long["rating"].notna().sum() == 15
    row = long[(long.user == "Bob") & (long.item == "Cute puppies of love")].iloc[0]
    assert row.rating == 4.0 and row.prediction == fitted.predict(1, 2)


@pytest.mark.parametrize("normalize", ["mean", None, "biases"])
def test_model_round_trip_predicts_and_recommends_the_same(tmp_path, normalize):
    model = CollaborativeFiltering(2, 0.5, 20, normalize=normalize, random_state=1).fit(lecture())
    save_model(model, tmp_path / "model.npz")
    back = load_model(tmp_path / "model.npz")
    assert back.get_params() == model.get_params()
    assert back.ratings_ == model.ratings_ and back.ratings_.scale_given
    np.testing.assert_array_equal(back.predict_matrix(), model.predict_matrix())
    np.testing.assert_array_equal(back.recommended_items(2, n=3), model.recommended_items(2, n=3))
    np.testing.assert_array_equal(back.cost_history_, model.cost_history_)


def test_loaded_model_has_every_fitted_attribute(fitted):
    back = load_model(upload(save_model(fitted), "m.npz"))
    params = set(fitted.get_params())

    def learned(m):
        return {k for k in vars(m) if k.endswith("_") and not k.startswith("_") and k not in params}

    assert learned(back) == learned(fitted)


def test_numpy_hyperparameters_are_saved_as_plain_numbers():
    model = CollaborativeFiltering(np.int64(2), np.float64(0.5), np.int32(5), random_state=np.int64(3)).fit(lecture())
    back = load_model(upload(save_model(model), "m.npz"))
    assert back.get_params() == model.get_params()


def test_model_with_integer_labels_from_bytes():
    r = Ratings.from_dense(np.nan_to_num(LECTURE_Y), ~np.isnan(LECTURE_Y), [10, 20, 30, 40, 50], [7, 8, 9, 11])
    model = CollaborativeFiltering(2, 1.0, 10, random_state=0).fit(r)
    back = load_model(upload(save_model(model), "m.npz"))
    assert back.ratings_.items.dtype.kind == "i" and back.ratings_ == r


def test_model_file_with_wrong_shapes_is_rejected(fitted, tmp_path):
    arrays = dict(np.load(io.BytesIO(save_model(fitted)), allow_pickle=False))
    arrays["X"] = arrays["X"][:2]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataFormatError, match=r"X has shape \(2, 2\)") as err:
        load_model(tmp_path / "bad.npz")
    assert err.value.column == "X"


# ---------------------------------------------------------------------------------------------- size guard
def test_absurdly_large_input_is_refused_before_parsing():
    content = b"user,item,rating\n" + b"".join(b"u%d,i,1\n" % k for k in range(10))
    with pytest.raises(DataFormatError, match="at most 3"):
        load_ratings(upload(content, "big.csv"), limits=Limits(max_ratings=3))


def test_oversized_upload_is_refused():
    with pytest.raises(DataFormatError, match="larger than"):
        load_ratings(upload(b"item,Alice\nLove at last,5\n", "g.csv"), limits=Limits(max_bytes=10))


# ---------------------------------------------------------------------------------------------- the bad-file corpus
# file -> (line, column, value, words the message must contain); None = not applicable to that file
CORPUS: dict[str, tuple[int | None, str | None, object, tuple[str, ...]]] = {
    "empty.csv": (None, None, None, ("empty",)),
    "only_comments.csv": (None, None, None, ("no ratings",)),
    "not_a_csv.txt": (1, None, "Dear class,", ("not a CSV",)),
    "binary.csv": (None, None, None, ("binary",)),
    "workbook.xlsx": (None, None, None, ("zip", "save the sheet as CSV")),
    "long_missing_rating_column.csv": (1, "rating", None, ("missing column", "user,item,timestamp")),
    "long_non_numeric.csv": (4, "rating", "abc", ("'abc' is not a number",)),
    "long_nan.csv": (3, "rating", "NaN", ("not a finite number",)),
    "long_inf.tsv": (3, "rating", "inf", ("not a finite number",)),
    "long_out_of_scale.csv": (4, "rating", 7.0, ("outside the declared scale 1 to 5",)),
    "long_duplicates.csv": (4, None, None, ("2 (user, item) pairs", "'Alice'", "lines 2 and 4", "duplicates='last'")),
    "long_empty_user.csv": (3, "user", None, ("user is empty",)),
    "long_ragged.csv": (3, None, None, ("4 fields", "header has 3")),
    "long_missing_field.csv": (3, "rating", "", ("rating is empty",)),
    "long_header_only.csv": (None, None, None, ("no ratings",)),
    "long_decimal_comma.csv": (2, "rating", "4,5", ("mix decimal commas", "'3.5', line 3", "decimal=','")),
    "wide_non_numeric.csv": (3, "Bob", "?", ("'?' is not a number", "empty")),
    "wide_nan.csv": (2, "Bob", "nan", ("not a finite number",)),
    "wide_no_ratings.csv": (None, None, None, ("no ratings", "every cell is empty")),
    "wide_short_row.csv": (3, None, None, ("2 cells", "header has 4")),
    "wide_duplicate_user.csv": (1, None, "Alice", ("more than once",)),
    "wide_duplicate_item.csv": (4, None, "Love at last", ("lines 2, 4",)),
    "wide_bad_scale_comment.csv": (1, None, "one to five", ("rating_scale",)),
    "wide_out_of_scale.csv": (4, "Alice", 6.0, ("outside the declared scale 0 to 5",)),
    "ubad.data": (2, "item", "ten", ("not an integer item id",)),
    "octave_text.mat": (None, None, None, ("Octave text", "save -v7")),
    "corrupt.mat": (None, None, None, ("not a readable MATLAB .mat file",)),
    "mat_no_R.mat": (None, "R", None, ("no variable R", "holds Y")),
    "mat_params.mat": (None, "Y", None, ("no variable Y or R", "X and Theta are model parameters")),
    "mat_mismatch.mat": (None, "R", None, ("Y is 5 x 4 but R is 4 x 4",)),
    "mat_bad_R.mat": (None, "R", 2.0, ("R(2,3) = 2",)),
    "mat_nan.mat": (None, "Y", None, ("Y(2,3) = nan",)),
    "model_not_npz.npz": (None, None, None, ("not a saved CF Lab model",)),
    "model_object_array.npz": (None, "X", None, ("never loads pickled data",)),
    "model_huge_member.npz": (None, "X", (200_000_000,), ("1,526 MiB", "max_model_member_bytes")),
    "model_text_global_mean.npz": (None, "global_mean", "three", ("expected a finite number",)),
    "model_no_n_iter.npz": (None, "n_iter", None, ("lacks 'n_iter'",)),
    "model_unknown_member.npz": (None, "payload", None, ("not part of a CF Lab model",)),
    "model_int_X.npz": (None, "X", None, ("(int64); expected float",)),
    "mat_huge_declared.mat": (None, "Y", (15_000, 15_000), ("15,000 x 15,000", "max_dense_cells")),
    "wide_outlier.csv": (32, "Carol", 99.0, ("far outside the scale 1 to 5", "line 32: 99", "outliers='drop'")),
    "long_outlier.csv": (152, "rating", 99.0, ("far outside the scale 1 to 5", "line 152: 99", "rating_scale=")),
    "ubig.data": (2, "user", "18446744073709551617", ("beyond 64 bits",)),
}


@pytest.mark.parametrize(
    "content",
    [
        b'user,item,rating\n"two\nlines",x,5\n\nbob,y,abc\n',
        b'item,Alice,Bob\n"two\nlines",5,\n\ny,abc,1\n',
    ],
    ids=["long", "wide"],
)
def test_line_numbers_count_quoted_newlines_and_blank_lines(content):
    with pytest.raises(DataFormatError, match="'abc' is not a number") as err:
        load_ratings(upload(content, "multiline.csv"))
    assert err.value.line == 5


def test_csv_module_errors_become_data_format_errors():
    with pytest.raises(DataFormatError, match="not a readable CSV") as err:
        load_ratings(upload(b"item,Alice\nok,1\n" + b"x" * 200_000 + b",1\n", "huge_label.csv"))
    assert err.value.line == 3


def test_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir() if p.suffix not in (".py", ".md")}
    assert on_disk == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("as_upload", [False, True], ids=["path", "upload"])
def test_bad_file_is_rejected_with_a_message_naming_where(name, as_upload):
    line, column, value, words = CORPUS[name]
    source = upload((BAD / name).read_bytes(), name) if as_upload else BAD / name
    loader = load_model if name.startswith("model_") else load_ratings
    with pytest.raises(DataFormatError) as caught:
        loader(source)
    err = caught.value
    message = str(err)
    assert message.startswith(name) and err.source == name
    for word in words:
        assert word in message
    assert (err.line, err.column) == (line, column)
    if line is not None:
        assert f"line {line}" in message
    if value is not None and not (isinstance(value, float) and np.isnan(value)):
        assert err.value == value
