"""The one error every reader raises, and the helper that words lists of offending places."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..messages import and_more

__all__ = ["DataFormatError", "some"]

MAX_LISTED = 3  # how many offending places a message names before "and N more"


class DataFormatError(ValueError):
    """A file that cannot be loaded, with where and why; ``str(err)`` is a complete sentence for the user.

    ``source`` is the file name, ``line`` the 1-based line in the file, ``column`` the column (or MATLAB
    variable, or model member) name, ``value`` the offending text; each is None where it does not apply.
    ``problem`` is the message without the place, for a UI that already shows the file name.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.column = column
        self.value = value
        super().__init__(f"{self.where}: {problem}" if self.where else problem)

    @property
    def where(self) -> str:
        """'file, line N, column 'c'' (the parts that apply)."""
        parts = [
            self.source or "",
            f"line {self.line}" if self.line is not None else "",
            f"column {self.column!r}" if self.column else "",
        ]
        return ", ".join(p for p in parts if p)


def some(items: Sequence[str], total: int | None = None) -> str:
    """The first :data:`MAX_LISTED` of ``items`` joined, with "and N more" when there are more."""
    return and_more(items, total, at_most=MAX_LISTED)
