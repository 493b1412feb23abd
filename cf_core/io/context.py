"""What a reader is given (the file, the caller's options) and what it records for the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .limits import Limits
from .text import Text

__all__ = ["Options", "Context"]


@dataclass(frozen=True)
class Options:
    """The caller's choices; None means "detect it"."""

    delimiter: str | None = None
    decimal: str | None = None
    header: bool | None = None
    duplicates: str = "error"
    outliers: str = "error"
    rating_scale: tuple[float, float] | None = None
    limits: Limits = field(default_factory=Limits)


@dataclass
class Context:
    """One read in progress: the reader fills ``facts`` (header, decimal, orientation ...) and ``notes``."""

    name: str
    data: bytes
    text: Text | None
    options: Options
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
