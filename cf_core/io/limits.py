"""How much a file may make CF Lab allocate: every reader checks what a file *declares* against these.

The defaults suit a laptop and a shared server alike; a caller with more memory passes its own
``Limits`` (``load_ratings(..., limits=Limits(max_ratings=50_000_000))``). The library reads no
environment variables and keeps no global setting: the limits travel with each call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS", "MAX_BYTES", "MAX_RATINGS", "MAX_WIDE_CELLS", "MAX_DENSE_CELLS"]

MAX_RATINGS = 20_000_000  # beyond this a load would exhaust a laptop's memory before it failed clearly
MAX_BYTES = 1 << 30  # 1 GiB: about 40M long-CSV rows, far past MAX_RATINGS
MAX_WIDE_CELLS = 10_000_000  # a wide CSV grid is parsed cell by cell; larger grids belong in the long format
#: A dense matrix (a .mat Y or R, a model array) of more cells than this is refused from its header:
#: 20M float64 cells are 160 MB, and reading Y and R needs about three such copies at the peak.
MAX_DENSE_CELLS = 20_000_000
MAX_MODEL_MEMBER_BYTES = 512 << 20  # one array in a model .npz (MovieLens 10M's training ratings: ~160 MB)


@dataclass(frozen=True)
class Limits:
    """Upper bounds a file must respect; each is checked before the memory it would take is allocated."""

    max_bytes: int = MAX_BYTES
    max_ratings: int = MAX_RATINGS
    max_wide_cells: int = MAX_WIDE_CELLS
    max_dense_cells: int = MAX_DENSE_CELLS
    max_model_member_bytes: int = MAX_MODEL_MEMBER_BYTES


DEFAULT_LIMITS = Limits()
