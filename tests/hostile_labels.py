"""A corpus of labels that a renderer could mistake for markup, and ratings labelled with them.

Shared by the unit tests of :mod:`cf_app.literal` and the figures, the AppTest flows and the browser tests:
every item and user name here must be shown as the text it is, and none may break a widget. ``OUTSIDE`` is
the only host the labels point at; a request to it means a label was rendered as markup.
"""

from __future__ import annotations

import numpy as np

from cf_core import Ratings

OUTSIDE = "example.invalid"

#: name -> label. Each is a valid item or user name in a file.
HOSTILE: dict[str, str] = {
    "markdown bold": "**bold**",
    "markdown emphasis": "_under_ *star*",
    "latex": "$x^2$",
    "display latex": "$$\\sum_i y_i$$",
    "colour directive": ":red[red text]",
    "badge directive": ":blue-badge[badge]",
    "emoji shortcode": ":smile:",
    "streamlit logo": ":streamlit:",
    "material icon": ":material/home:",
    "markdown image": f"![x](http://{OUTSIDE}/x.png)",
    "markdown link": f"[click](http://{OUTSIDE}/link)",
    "bare url": f"http://{OUTSIDE}/auto",
    "html bold": "<b>bold</b>",
    "html link": f'<a href="http://{OUTSIDE}/a">anchor</a>',
    "html image": f"<img src=http://{OUTSIDE}/i.png>",
    "script": "<script>alert(1)</script>",
    "entities": "&amp; &lt;b&gt; &#36;",
    "backslashes": "back\\slash \\*not\\*",
    "heading": "# heading",
    "list": "- list item",
    "quote": "> quoted",
    "code": "`code`",
    "table": "| a | b |",
    "typography": "a -> b -- c",
    "plotly template": "%{x} %{text}",
    "reserved _index": "_index",
    "index": "index",
    "grid index name": "item",
    "internal key": "user #1",
    "empty": "",
    "number": "1",
    "float": "1.0",
    "long": "long " * 99 + "end!",
    "hebrew": "שלום עולם",
    "arabic": "مرحبا بالعالم",
    "zero width": "zero\u200bwidth\u200d\ufeff",
    "newline": "line\nbreak",
    "edge spaces": "  padded  ",
}

LABELS: list[str] = list(HOSTILE.values())
#: Two different labels that print the same: the number 1 and the text "1" (already in LABELS).
SAME_TEXT = 1


def hostile_ratings(seed: int = 0) -> Ratings:
    """Items and users all named from the corpus (users also get the number 1), about 70% rated, 1 to 5."""
    items = LABELS
    users = [*LABELS, SAME_TEXT]
    rng = np.random.default_rng(seed)
    Y = rng.integers(1, 6, size=(len(items), len(users))).astype(float)
    Y[rng.random(Y.shape) < 0.3] = np.nan
    Y[:, 0] = np.where(np.isnan(Y[:, 0]), 3.0, Y[:, 0])  # every item rated at least once
    return Ratings.from_dense(Y, items=items, users=users, rating_scale=(1, 5))


def visible(text: str) -> str:
    """``text`` as a browser's innerText shows it: white space runs collapsed (HTML does that to any text)."""
    return " ".join(text.split())
