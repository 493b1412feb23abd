"""How a file was read, as a value: every setting, where it came from, and what was counted."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReadReport"]

_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "vertical bar"}


@dataclass(frozen=True)
class ReadReport:
    """What :func:`cf_core.io.read_ratings` decided about a file, each setting with how it was decided.

    Every setting here is also an option of ``read_ratings``, so a person can change any of them and
    read the file again. ``describe()`` gives the same in plain sentences.
    """

    name: str
    format: str
    format_how: str
    encoding: str | None = None  # None: not a text file (.mat)
    encoding_how: str = ""
    delimiter: str | None = None
    delimiter_how: str = ""
    decimal: str | None = None
    decimal_how: str = ""
    header: bool | None = None
    header_how: str = ""
    orientation: str = ""
    comments_skipped: int = 0
    metadata: tuple[str, ...] = ()
    rating_scale: tuple[float, float] = (0.0, 1.0)
    scale_origin: str = ""
    scale_given: bool = False
    n_ratings: int = 0
    n_items: int = 0
    n_users: int = 0
    outliers_dropped: tuple[str, ...] = ()
    n_outliers_dropped: int = 0
    duplicates_settled: int = 0
    titles_name: str | None = None
    titles_attached: int = 0
    ids_without_title: int = 0
    notes: tuple[str, ...] = ()

    @property
    def delimiter_name(self) -> str:
        return _DELIMITER_NAMES.get(self.delimiter or "", repr(self.delimiter))

    def settings(self) -> list[tuple[str, str, str]]:
        """(setting, value, how it was decided) rows, for a table."""
        rows = [("format", self.format, self.format_how)]
        if self.encoding is not None:
            rows.append(("encoding", self.encoding, self.encoding_how))
        if self.delimiter is not None:
            rows.append(("delimiter", self.delimiter_name, self.delimiter_how))
        if self.decimal is not None:
            rows.append(("decimal mark", "comma" if self.decimal == "," else "point", self.decimal_how))
        if self.header is not None:
            rows.append(("header row", "yes" if self.header else "no", self.header_how))
        if self.orientation:
            rows.append(("orientation", self.orientation, ""))
        lo, hi = self.rating_scale
        rows.append(("rating scale", f"{lo:g} to {hi:g}", self.scale_origin))
        return rows

    def describe(self) -> str:
        """The report as plain sentences (names from the file appear literally, as data)."""
        out = [f"{self.name} was read as {self.format} ({self.format_how})."]
        if self.encoding is not None:
            out.append(f"Text encoding {self.encoding} ({self.encoding_how}).")
        if self.delimiter is not None:
            out.append(f"Fields are separated by a {self.delimiter_name} ({self.delimiter_how}).")
        if self.decimal is not None:
            mark = "comma" if self.decimal == "," else "point"
            out.append(f"Decimal mark: {mark} ({self.decimal_how}).")
        if self.header is not None:
            out.append(
                ("The first row is a header" if self.header else "There is no header row") + f" ({self.header_how})."
            )
        if self.orientation:
            out.append(f"Orientation: {self.orientation}.")
        if self.comments_skipped:
            out.append(f"{self.comments_skipped} leading '#' comment line(s) were skipped.")
        if self.metadata:
            out.append(f"Metadata lines: {', '.join(self.metadata)}.")
        lo, hi = self.rating_scale
        out.append(f"Rating scale {lo:g} to {hi:g}, {self.scale_origin}.")
        if self.n_outliers_dropped:
            out.append(f"{self.n_outliers_dropped} far outlier(s) were dropped: {'; '.join(self.outliers_dropped)}.")
        if self.duplicates_settled:
            out.append(f"{self.duplicates_settled} repeated (user, item) pair(s) were settled.")
        out.append(f"{self.n_ratings:,} ratings of {self.n_items:,} items by {self.n_users:,} users.")
        if self.titles_name is not None:
            out.append(f"Titles from {self.titles_name}: {self.titles_attached:,} items got their title")
            if self.ids_without_title:
                out[-1] += f", {self.ids_without_title:,} kept their raw id (no title in the file)"
            out[-1] += "."
        out.extend(self.notes)
        return " ".join(out)
