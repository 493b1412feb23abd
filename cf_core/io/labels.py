"""How labels from a text file are typed: strings exactly as written, or integers where the file says so.

A ``# item_labels: int`` (or ``user_labels``) line, written by :func:`cf_core.io.save_ratings` for
integer labels, turns them back into integers; the spelling must be exact and fit in 64 bits, so no two
labels can merge. Long files hold no label order: labels are sorted "naturally" (plain integers by value,
then the rest as text).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..ratings import natural_order
from .errors import DataFormatError
from .text import Text

__all__ = ["int_labels", "labels_to_int", "exact_int", "label_order"]


def int_labels(text: Text | None, kind: str) -> bool:
    """Whether a '# item_labels: int' (or user) line marks the labels as integers."""
    if text is None or f"{kind}_labels" not in text.meta:
        return False
    value, line = text.meta[f"{kind}_labels"]
    if value.lower() not in ("int", "str"):
        raise DataFormatError(
            f"'# {kind}_labels: {value}' should be 'int' or 'str'", source=text.name, line=line, value=value
        )
    return value.lower() == "int"


def exact_int(s: str) -> int | None:
    """``s`` as an int64 when it is one, spelled canonically; None otherwise (never a wrapped value)."""
    if re.fullmatch(r"-?[0-9]+", s) is None:
        return None
    v = int(s)
    return v if -(2**63) <= v < 2**63 and str(v) == s else None


def labels_to_int(labels: pd.Index, kind: str, name: str) -> np.ndarray:
    """String labels marked '# ..._labels: int' back to integers (exact spelling required, so no loss)."""
    as_str = np.asarray(labels, dtype=object).astype(str)
    out = np.empty(len(as_str), dtype=np.int64)
    for k, s in enumerate(as_str):
        v = exact_int(s)
        if v is None:
            why = "beyond 64 bits" if re.fullmatch(r"-?[0-9]+", s) else "not an integer"
            raise DataFormatError(
                f"{kind} label {s!r} is {why}, but the file says '# {kind}_labels: int'", source=name, value=s
            )
        out[k] = v
    return out


def label_order(
    codes: np.ndarray, labels: pd.Index, kind: str, parsed_as_ints: bool, marked_int: bool, name: str
) -> tuple[np.ndarray, pd.Index]:
    """Long-file labels in their documented order: integer-looking ones by value first, then the rest as text."""
    if parsed_as_ints:  # every label is a canonical integer, already in numeric order
        return codes, labels if marked_int else pd.Index(np.asarray(labels).astype(str), dtype="str")
    if not marked_int:
        return natural_order(codes, labels)
    ints = labels_to_int(labels, kind, name)
    perm = np.lexsort((np.arange(len(labels)), ints))
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    return rank[codes], pd.Index(ints[perm])
