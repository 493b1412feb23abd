"""Trained models as ``.npz`` (plain arrays and a JSON header), read without ever unpickling.

Before any array is loaded, every member's declared size (zip entry and ``.npy`` header: shape, dtype) is
checked against ``Limits.max_model_member_bytes``: a small archive can declare gigabytes. Then every
header field and array is validated (type, dtype, shape, finiteness), so a damaged or hostile file gives a
:class:`DataFormatError` naming the field, never a raw ``KeyError`` or ``ValueError``. Members other
than the ones :func:`save_model` writes are refused: a model file holds nothing CF Lab would not use.
Files of version 1 without ``validation_history``, ``fit_time`` or ``message`` (older writers) still load.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from typing import IO, Any

import numpy as np
import pandas as pd

from ..estimator import check_fitted
from ..ratings import Ratings
from .errors import DataFormatError
from .limits import DEFAULT_LIMITS, Limits
from .source import Source, read_bytes
from .writing import label_strings, write

__all__ = ["save_model", "load_model"]

_MODEL_FORMAT = "cf-lab-model"
_MODEL_VERSION = 1
_FLOAT_ARRAYS = ("X", "Theta", "item_bias", "user_bias", "offsets", "item_means", "cost_history", "values")
_MODEL_ARRAYS = (*_FLOAT_ARRAYS, "items", "users", "item_idx", "user_idx")
_OPTIONAL_ARRAYS = ("validation_history",)


def _label_array(index: pd.Index) -> tuple[np.ndarray, str]:
    if pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
        return np.asarray(index, dtype=np.int64), "int"
    texts, _ = label_strings(index, "label")
    return np.array(texts, dtype=str), "str"


def save_model(model: Any, dest: str | os.PathLike | IO[bytes] | None = None) -> bytes | None:
    """Write a fitted model (parameters, offsets, labels, hyperparameters, training ratings) as ``.npz``.

    Everything is a plain array or JSON, so :func:`load_model` needs no pickle. The training ratings are
    included so a loaded model still knows which items each user has rated (for recommendations).
    """
    check_fitted(model, "before saving it")
    r: Ratings = model.ratings_
    params = {k: v.item() if isinstance(v, np.generic) else v for k, v in model.get_params().items()}
    if not isinstance(params.get("random_state"), (int, type(None))):
        params["random_state"] = None  # a Generator object has no portable form; the fit itself is saved
    unportable = [k for k, v in params.items() if not isinstance(v, (str, int, float, bool, type(None)))]
    if unportable:
        raise ValueError(f"parameter(s) {unportable} cannot be saved: only numbers, strings and None can")
    items, item_kind = _label_array(r.items)
    users, user_kind = _label_array(r.users)
    meta = {
        "format": _MODEL_FORMAT,
        "version": _MODEL_VERSION,
        "class": type(model).__name__,
        "params": params,
        "rating_scale": list(r.rating_scale),
        "scale_given": r.scale_given,
        "global_mean": float(model.global_mean_),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
        "message": str(model.message_),
        "fit_time": float(getattr(model, "fit_time_", 0.0)),
        "labels": {"items": item_kind, "users": user_kind},
    }
    arrays = {
        "X": model.X_,
        "Theta": model.Theta_,
        "item_bias": model.item_bias_,
        "user_bias": model.user_bias_,
        "offsets": model.offsets_,
        "item_means": model.item_means_,
        "cost_history": model.cost_history_,
        "items": items,
        "users": users,
        "item_idx": np.asarray(r.item_idx),
        "user_idx": np.asarray(r.user_idx),
        "values": np.asarray(r.values),
    }
    if hasattr(model, "validation_history_"):
        arrays["validation_history"] = model.validation_history_
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    return write(buffer.getvalue(), dest)


def _check_members(archive: zipfile.ZipFile, name: str, cap: int) -> None:
    """Refuse unknown members and members whose declared size is over ``cap``, reading headers only."""
    known = {"meta", *_MODEL_ARRAYS, *_OPTIONAL_ARRAYS}
    for info in archive.infolist():
        key = info.filename.removesuffix(".npy")
        if key not in known:
            raise DataFormatError(
                f"the archive holds {info.filename!r}, which is not part of a CF Lab model", source=name, column=key
            )
        if info.file_size > cap:
            raise DataFormatError(
                f"{key} declares {info.file_size / 2**20:,.0f} MiB; CF Lab reads model arrays of at most "
                f"{cap / 2**20:,.0f} MiB (Limits.max_model_member_bytes)",
                source=name,
                column=key,
                value=info.file_size,
            )
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, _fortran, dtype = read_header(member)
        if dtype.hasobject:
            raise DataFormatError(
                f"{key} holds Python objects, which would need unpickling; CF Lab never loads pickled data",
                source=name,
                column=key,
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > cap:
            raise DataFormatError(
                f"{key} declares a {' x '.join(map(str, shape))} {dtype} array ({nbytes / 2**20:,.0f} MiB); CF Lab "
                f"reads model arrays of at most {cap / 2**20:,.0f} MiB (Limits.max_model_member_bytes)",
                source=name,
                column=key,
                value=tuple(shape),
            )


def _field(meta: dict, key: str, kind: type | tuple[type, ...], name: str, default: Any = ...) -> Any:
    """``meta[key]`` if it is of ``kind`` (bools are not numbers), else a DataFormatError naming it."""
    if key not in meta:
        if default is not ...:
            return default
        raise DataFormatError(f"the model header lacks {key!r}", source=name, column=key)
    value = meta[key]
    wanted = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, wanted) and not (isinstance(value, bool) and bool not in wanted)
    if ok and isinstance(value, float) and not math.isfinite(value):
        ok = False
    if not ok:
        names = " or ".join(dict.fromkeys("number" if k in (int, float) else k.__name__ for k in wanted))
        raise DataFormatError(
            f"the model header's {key!r} is {value!r}; expected a finite {names}", source=name, column=key, value=value
        )
    return value


def _array(arrays: dict[str, np.ndarray], key: str, kinds: str, shape: tuple[int, ...] | None, name: str) -> np.ndarray:
    a = arrays[key]
    if a.dtype.kind not in kinds or (shape is not None and a.shape != shape) or (shape is None and a.ndim != 1):
        want = {"f": "float", "iu": "integer", "U": "text", "iuU": "integer or text"}.get(kinds, kinds)
        raise DataFormatError(
            f"{key} has shape {a.shape} ({a.dtype}); expected {want} {shape if shape is not None else '1-D'}",
            source=name,
            column=key,
        )
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        raise DataFormatError(f"{key} holds NaN or infinite values", source=name, column=key)
    return a


def load_model(source: Source, *, name: str | None = None, limits: Limits | None = None) -> Any:
    """Read a model written by :func:`save_model` (never unpickling anything) and return it fitted."""
    from ..estimator import CollaborativeFiltering  # io is imported by the estimator's users, not vice versa

    limits = limits or DEFAULT_LIMITS
    data, name = read_bytes(source, limits, "model file", name=name)
    if not data.startswith(b"PK\x03\x04"):
        raise DataFormatError("not a saved CF Lab model: expected an .npz archive from save_model", source=name)
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_members(archive, name, limits.max_model_member_bytes)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                arrays[key] = npz[key]
    except DataFormatError:
        raise
    except Exception as err:  # zipfile.BadZipFile, EOFError, OSError, ValueError ... from a corrupt archive
        raise DataFormatError(f"not a readable .npz archive ({type(err).__name__}: {err})", source=name) from None
    missing = [k for k in ("meta", *_MODEL_ARRAYS) if k not in arrays]
    if missing:
        raise DataFormatError(
            f"not a saved CF Lab model: the archive lacks {', '.join(missing)}", source=name, column=missing[0]
        )
    try:
        meta = json.loads(str(arrays.pop("meta")[()]))
    except (json.JSONDecodeError, IndexError, TypeError, ValueError):
        raise DataFormatError("the model header (meta) is not valid JSON", source=name, column="meta") from None
    if not isinstance(meta, dict) or meta.get("format") != _MODEL_FORMAT:
        raise DataFormatError("not a saved CF Lab model (its header does not say cf-lab-model)", source=name)
    if meta.get("version") != _MODEL_VERSION:
        raise DataFormatError(
            f"model file version {meta.get('version')!r}; this CF Lab reads version {_MODEL_VERSION}", source=name
        )
    params = _field(meta, "params", dict, name)
    scale = _field(meta, "rating_scale", list, name)
    if len(scale) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in scale):
        raise DataFormatError(f"rating_scale is {scale!r}; expected [min, max]", source=name, column="rating_scale")
    scale_given = _field(meta, "scale_given", bool, name)
    global_mean = float(_field(meta, "global_mean", (int, float), name))
    n_iter = _field(meta, "n_iter", int, name)
    converged = _field(meta, "converged", bool, name)
    message = _field(meta, "message", str, name, "")
    fit_time = float(_field(meta, "fit_time", (int, float), name, 0.0))
    labels = _field(meta, "labels", dict, name)
    kinds = {k: labels.get(k) for k in ("items", "users")}
    for k, v in kinds.items():
        if v not in ("int", "str"):
            raise DataFormatError(f"labels.{k} is {v!r}; expected 'int' or 'str'", source=name, column="labels")
    try:
        model = CollaborativeFiltering(**params)
        model._validate_params()
    except (TypeError, ValueError) as err:
        raise DataFormatError(f"the saved hyperparameters are invalid: {err}", source=name, column="params") from None
    for key in ("items", "users"):
        _array(arrays, key, "iu" if kinds[key] == "int" else "U", None, name)
    for key in ("item_idx", "user_idx"):
        _array(arrays, key, "iu", None, name)
    for key in ("values", "cost_history"):
        _array(arrays, key, "f", None, name)
    try:
        items = pd.Index(arrays["items"].astype(np.int64 if kinds["items"] == "int" else object))
        users = pd.Index(arrays["users"].astype(np.int64 if kinds["users"] == "int" else object))
        ratings = Ratings(
            arrays["item_idx"],
            arrays["user_idx"],
            arrays["values"],
            items,
            users,
            tuple(scale) if scale_given else None,
            allow_empty=True,  # a model trained where the ratings live (cf_core.spark) is saved without them
        )
    except ValueError as err:
        raise DataFormatError(f"the saved training ratings are inconsistent: {err}", source=name) from None
    n_items, n_users, k = len(items), len(users), model.num_features
    expected = {
        "X": (n_items, k),
        "Theta": (n_users, k),
        "item_bias": (n_items,),
        "user_bias": (n_users,),
        "offsets": (n_items,),
        "item_means": (n_items,),
    }
    for key, shape in expected.items():
        _array(arrays, key, "f", shape, name)
    model.ratings_ = ratings
    model.X_, model.Theta_ = arrays["X"], arrays["Theta"]
    model.item_bias_, model.user_bias_ = arrays["item_bias"], arrays["user_bias"]
    model.offsets_, model.item_means_ = arrays["offsets"], arrays["item_means"]
    model.global_mean_ = global_mean
    model.cost_history_ = arrays["cost_history"]
    model.n_iter_ = int(n_iter)
    model.converged_ = converged
    model.message_ = message
    model.fit_time_ = fit_time
    if "validation_history" in arrays:
        model.validation_history_ = _array(arrays, "validation_history", "f", None, name)
    return model
