"""Reading and writing ratings and trained models, in the forms courses and tools use.

Everything a learner brings loads in one call, :func:`load_ratings` (or :func:`read_ratings`, which also
returns a :class:`ReadReport` saying how the file was read). It either returns a complete
:class:`~cf_core.ratings.Ratings` or raises :class:`DataFormatError` naming the file, line or column,
and value; nothing is half-loaded. Each setting it detects (format, encoding, delimiter, decimal mark,
header, rating scale) can also be given, and a given setting always wins.

The package, one module per concern:

* ``registry`` - the formats, in detection order, one entry each (the detection rules in one table);
* ``wide``, ``long``, ``movielens``, ``mat`` - one reader per format, with its titles reader;
* ``source`` (bytes in, size-bounded, regular files only; encodings), ``text`` (comments, delimiter,
  records), ``labels`` (string or integer labels, natural order),
  ``scale`` (declared or inferred rating scale, outliers), ``limits``, ``errors``, ``report``;
* ``writing`` (CSV out) and ``model`` (``.npz`` models, never unpickled).

How labels are typed (this is what makes export -> import an identity):

* CSV labels are strings, exactly as written: ``"007"``, ``"NA"``, ``"1"`` and ``"#1"`` stay strings,
  spaces are kept. An empty label is rejected. Wide files keep the label order of the file.
* Long files hold no label order, so labels are sorted "naturally": labels spelled as plain integers
  (``"2"`` before ``"10"``) by value first, then all others as text. Ids too long for 64 bits stay text.
* MovieLens and ``.mat`` ids are integers (``.mat`` rows/columns are numbered from 1, as in MATLAB); an id
  beyond 64 bits is refused, never wrapped. With a titles file, items are labelled by title; ids the
  titles file lacks keep their id (as text), and the report counts them.
"""

from __future__ import annotations

from .errors import DataFormatError
from .limits import DEFAULT_LIMITS, MAX_BYTES, MAX_DENSE_CELLS, MAX_RATINGS, MAX_WIDE_CELLS, Limits
from .model import load_model, save_model
from .reading import detect_format, load_ratings, read_ratings
from .registry import REGISTRY
from .report import ReadReport
from .scale import CONVENTIONS
from .source import AUTO_ENCODINGS
from .writing import save_predictions, save_ratings

__all__ = [
    "AUTO_ENCODINGS",
    "CONVENTIONS",
    "DEFAULT_LIMITS",
    "DataFormatError",
    "FORMATS",
    "Limits",
    "MAX_BYTES",
    "MAX_DENSE_CELLS",
    "MAX_RATINGS",
    "MAX_WIDE_CELLS",
    "ReadReport",
    "detect_format",
    "load_model",
    "load_ratings",
    "read_ratings",
    "save_model",
    "save_predictions",
    "save_ratings",
]

#: format name -> what the app shows when describing it (from the registry, in detection order).
FORMATS: dict[str, str] = {fmt.name: fmt.description for fmt in REGISTRY}
