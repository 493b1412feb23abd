"""Error and warning messages that name offending places: the first few, then "and N more".

One wording for the library and the app, so every list of problems reads the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["LIST_AT_MOST", "and_more"]

#: How many places a message names, unless it says otherwise.
LIST_AT_MOST = 5


def and_more(items: Sequence[object], total: int | None = None, sep: str = ", ", at_most: int = LIST_AT_MOST) -> str:
    """The first ``at_most`` of ``items`` joined by ``sep``, then how many more of ``total`` (all of ``items``
    by default) there are: "a, b and 3 more"; after "; " the count is an entry of its own: "x; y; and 3 more"."""
    shown = [x if isinstance(x, str) else str(x) for x in items[:at_most]]
    more = (len(items) if total is None else total) - len(shown)
    text = sep.join(shown)
    if more <= 0:
        return text
    joint = " " if sep.strip() == "," else sep
    return f"{text}{joint}and {more} more"
