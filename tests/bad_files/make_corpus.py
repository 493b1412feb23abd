"""Write the corpus of bad input files next to this script (``python tests/bad_files/make_corpus.py``).

Each file holds one mistake people make with rating data; ``tests/test_io.py`` checks that loading it
fails with a message naming the file, the line or column, and the value. The files are committed; this
script documents how the binary ones (.mat, .npz, .xlsx) were made and recreates them identically.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import scipy.io

HERE = Path(__file__).resolve().parent

TEXT_FILES: dict[str, bytes] = {
    "empty.csv": b"",
    "only_comments.csv": b"# rating_scale: 1,5\n# nothing else\n",
    "not_a_csv.txt": b"Dear class,\nplease rate the movies below.\nThanks!\n",
    "binary.csv": b"\x01\x02\x00\x00garbage\x00\xff" * 8,
    "long_missing_rating_column.csv": b"user,item,timestamp\nAlice,Love at last,881250949\n",
    "long_non_numeric.csv": b"user,item,rating\nAlice,Love at last,5\nBob,Love at last,4\nCarol,Swords,abc\n",
    "long_nan.csv": b"user,item,rating\nAlice,Love at last,5\nBob,Swords,NaN\n",
    "long_inf.tsv": b"user\titem\trating\nAlice\tLove at last\t5\nBob\tSwords\tinf\n",
    "long_out_of_scale.csv": b"# rating_scale: 1,5\nuser,item,rating\nAlice,Love at last,5\nBob,Swords,7\n",
    "long_duplicates.csv": (
        b"user,item,rating\nAlice,Love at last,5\nBob,Swords,2\nAlice,Love at last,4\nBob,Swords,3\nCarol,Swords,1\n"
    ),
    "long_empty_user.csv": b"user,item,rating\nAlice,Love at last,5\n,Swords,2\n",
    "long_ragged.csv": b"user,item,rating\nAlice,Love at last,5\nBob,Swords,2,extra\n",
    "long_missing_field.csv": b"user,item,rating\nAlice,Love at last,5\nBob,Swords\n",
    "long_header_only.csv": b"user,item,rating\n",
    "long_decimal_comma.csv": b"user;item;rating\nAlice;Love at last;4,5\nBob;Swords;3.5\n",
    "wide_non_numeric.csv": b"item,Alice,Bob\nLove at last,5,4\nSwords,0,?\n",
    "wide_nan.csv": b"item,Alice,Bob\nLove at last,5,nan\n",
    "wide_no_ratings.csv": b"item,Alice,Bob\nLove at last,,\nSwords,,\n",
    "wide_short_row.csv": b"item,Alice,Bob,Carol\nLove at last,5,4,0\nSwords,0\n",
    "wide_duplicate_user.csv": b"item,Alice,Bob,Alice\nLove at last,5,4,3\n",
    "wide_duplicate_item.csv": b"item,Alice,Bob\nLove at last,5,4\nSwords,0,1\nLove at last,3,\n",
    "wide_bad_scale_comment.csv": b"# rating_scale: one to five\nitem,Alice\nLove at last,5\n",
    "wide_out_of_scale.csv": b"# rating_scale: 0,5\nitem,Alice,Bob\nLove at last,5,4\nSwords,6,1\n",
    "ubad.data": b"1\t10\t5\t881250949\n2\tten\t3\t881250950\n",
    "octave_text.mat": b"# Created by Octave 8.4.0\n# name: Y\n# type: matrix\n# rows: 1\n# columns: 1\n 5\n",
    "corrupt.mat": b"MATLAB 5.0 MAT-file, Platform: GLNXA64" + b" " * 90 + b"\x00\x01IM" + b"\xff" * 40,
    "model_not_npz.npz": b"this is not a model\n",
}

Y = np.array([[5, 5, 0, 0], [5, 0, 0, 0], [0, 4, 0, 0], [0, 0, 5, 4], [0, 0, 5, 0]], dtype=float)
R = (Y > 0).astype(float)
R[0, 2:] = R[3, :2] = R[4, :2] = 1.0  # the lecture's zero ratings are rated

MAT_FILES: dict[str, dict[str, np.ndarray]] = {
    "mat_no_R.mat": {"Y": Y},
    "mat_params.mat": {"X": np.ones((5, 2)), "Theta": np.ones((4, 2))},
    "mat_mismatch.mat": {"Y": Y, "R": R[:4]},
    "mat_bad_R.mat": {"Y": Y, "R": np.where(np.arange(20).reshape(5, 4) == 6, 2.0, R)},
    "mat_nan.mat": {"Y": np.where(np.arange(20).reshape(5, 4) == 6, np.nan, Y), "R": np.ones((5, 4))},
}


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", (2020, 1, 1, 0, 0, 0)), "<Types/>")
    return buffer.getvalue()


def _object_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array('{"format": "cf-lab-model"}'), X=np.array([{"evil": 1}], dtype=object))
    return buffer.getvalue()


def main() -> None:
    for name, content in TEXT_FILES.items():
        (HERE / name).write_bytes(content)
    for name, variables in MAT_FILES.items():
        buffer = io.BytesIO()
        scipy.io.savemat(buffer, variables)
        # savemat writes a creation time into the header; blank it so the file is reproducible
        data = bytearray(buffer.getvalue())
        data[:116] = b"MATLAB 5.0 MAT-file, written by tests/bad_files/make_corpus.py".ljust(116)
        (HERE / name).write_bytes(bytes(data))
    (HERE / "workbook.xlsx").write_bytes(_zip_bytes())
    (HERE / "model_object_array.npz").write_bytes(_object_npz())


if __name__ == "__main__":
    main()
