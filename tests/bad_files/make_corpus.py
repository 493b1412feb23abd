"""Write the corpus of bad input files next to this script (``python tests/bad_files/make_corpus.py``).

Each file holds one mistake people make with rating data; ``tests/test_io.py`` checks that loading it
fails with a message naming the file, the line or column, and the value. The files are committed; this
script documents how the binary ones (.mat, .npz, .xlsx) were made and recreates them identically.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
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
    "wide_outlier.csv": b"item,Alice,Bob,Carol,Dave\n"
    + b"".join(
        b"m%d,%d,%d,%d,%d\n" % (k, 1 + k % 5, 1 + (k + 1) % 5, 1 + (k + 2) % 5, 1 + (k + 3) % 5) for k in range(30)
    )
    + b"m30,5,4,99,3\n",
    "long_outlier.csv": b"user,item,rating\n"
    + b"".join(b"u%d,i%d,%d\n" % (k % 9, k, 1 + k % 5) for k in range(150))
    + b"u1,i999,99\n",
    "ubig.data": b"1\t10\t5\t881250949\n18446744073709551617\t10\t3\t881250950\n",
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


def dense_mat(shape: tuple[int, int], variables: tuple[str, ...] = ("Y",), complete: bool = True) -> bytes:
    """A MATLAB v5 file of all-zero dense double matrices, written in compressed chunks.

    ``complete=False`` writes only each matrix's header (the file declares the shape but holds no data):
    enough to test that a reader refuses it from the header. With ``complete=True`` a 15,000 x 15,000
    pair is a few MB on disk and 3.6 GB once loaded (the benchmark's worst case), and writing it needs
    no such memory.
    """
    rows, cols = shape
    out = io.BytesIO()
    out.write(b"MATLAB 5.0 MAT-file, written by tests/bad_files/make_corpus.py".ljust(116) + b"\0" * 8 + b"\x00\x01IM")
    for var in variables:
        n_bytes = 8 * rows * cols
        body_len = 16 + 16 + 8 + 8 + n_bytes
        header = struct.pack("<II", 14, body_len)  # miMATRIX
        header += struct.pack("<IIII", 6, 8, 6, 0)  # array flags: double class
        header += struct.pack("<IIii", 5, 8, rows, cols)  # dimensions
        header += struct.pack("<HH", 1, len(var)) + var.encode().ljust(4, b"\0")  # small-element name (miINT8)
        header += struct.pack("<II", 9, n_bytes)  # miDOUBLE real part
        packer = zlib.compressobj(9)
        chunks = [packer.compress(header)]
        if complete:
            zeros = bytes(1 << 24)
            left = n_bytes
            while left:
                step = min(left, len(zeros))
                chunks.append(packer.compress(zeros[:step]))
                left -= step
        chunks.append(packer.flush())
        payload = b"".join(chunks)
        out.write(struct.pack("<II", 15, len(payload)) + payload)  # miCOMPRESSED
    return out.getvalue()


def npz(members: dict[str, np.ndarray | bytes]) -> bytes:
    """An .npz archive with fixed timestamps (reproducible); bytes members are written as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for key, value in members.items():
            if isinstance(value, np.ndarray):
                member = io.BytesIO()
                np.lib.format.write_array(member, value, allow_pickle=False)
                value = member.getvalue()
            z.writestr(zipfile.ZipInfo(f"{key}.npy", (2020, 1, 1, 0, 0, 0)), value)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str = "<f8") -> bytes:
    """Only the header of a .npy member: it declares ``shape`` but holds no data."""
    member = io.BytesIO()
    np.lib.format.write_array_header_1_0(member, {"descr": dtype, "fortran_order": False, "shape": shape})
    return member.getvalue()


def model_members(**meta_changes: object) -> dict[str, np.ndarray | bytes]:
    """The members of a small, well-formed model file, with its header changed as given (None deletes)."""
    meta: dict[str, object] = {
        "format": "cf-lab-model",
        "version": 1,
        "class": "CollaborativeFiltering",
        "params": {"num_features": 1},
        "rating_scale": [0, 5],
        "scale_given": True,
        "global_mean": 3.0,
        "n_iter": 1,
        "converged": True,
        "message": "",
        "fit_time": 0.0,
        "labels": {"items": "str", "users": "str"},
    }
    for key, value in meta_changes.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    one = np.ones(1)
    return {
        "meta": np.array(json.dumps(meta)),
        **dict.fromkeys(("item_bias", "user_bias", "offsets", "item_means", "cost_history", "values"), one),
        "X": np.ones((1, 1)),
        "Theta": np.ones((1, 1)),
        "items": np.array(["a"]),
        "users": np.array(["b"]),
        "item_idx": np.zeros(1, dtype=np.int64),
        "user_idx": np.zeros(1, dtype=np.int64),
    }


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
    (HERE / "mat_huge_declared.mat").write_bytes(dense_mat((15_000, 15_000), complete=False))
    (HERE / "model_huge_member.npz").write_bytes(npz({**model_members(), "X": npy_header((200_000_000,))}))
    (HERE / "model_text_global_mean.npz").write_bytes(npz(model_members(global_mean="three")))
    (HERE / "model_no_n_iter.npz").write_bytes(npz(model_members(n_iter=None)))
    (HERE / "model_unknown_member.npz").write_bytes(npz({**model_members(), "payload": np.zeros(3)}))
    (HERE / "model_int_X.npz").write_bytes(npz({**model_members(), "X": np.ones((1, 1), dtype=np.int64)}))


if __name__ == "__main__":
    main()
