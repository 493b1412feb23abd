"""The upload's "How this file was read" panel: it shows each setting, its controls re-read the file, and
errors name the file once, in the main area as well as in the panel."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from cf_app import state

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def upload(content: bytes, name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key=state.SOURCE_PICKER).set_value("upload").run()
    at.get("file_uploader")[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def panel_text(at: AppTest) -> str:
    return " ".join(t.value for t in at.sidebar.text)


def settings(at: AppTest) -> dict[str, str]:
    frame = at.sidebar.dataframe[0].value
    return dict(zip(frame["setting"], frame["read as"], strict=True))


def grid(at: AppTest):
    return at.data_editor[0].value


def test_panel_shows_how_the_file_was_read():
    at = upload(b"Name;1;2\nToy Story;4,5;3\nHeat;4;\n", "grid.csv")
    assert settings(at) == {
        "format": "wide",
        "encoding": "utf-8",
        "delimiter": "semicolon",
        "decimal mark": "comma",
        "header row": "yes",
        "orientation": "items in rows, users in columns",
        "rating scale": "1 to 5",
    }
    assert "grid.csv was read as wide" in panel_text(at)
    assert list(grid(at).columns) == ["1", "2"] and grid(at).loc["Toy Story", "1"] == "4.5"


def test_changing_a_control_reads_the_file_again():
    at = upload(b"alice,10,5\nbob,20,4\n", "ambiguous.csv")
    assert settings(at)["format"] == "wide" and list(grid(at).columns) == ["10", "5"]
    at.selectbox(key="read_format").set_value("long").run()
    at.selectbox(key="read_header").set_value("no").run()
    assert not at.exception
    assert settings(at)["format"] == "long" and sorted(grid(at).columns) == ["alice", "bob"]


def test_a_cp1252_file_opens_from_the_browser_and_says_so():
    at = upload("item,Zoë\nAmélie – €,5\n".encode("cp1252"), "old.csv")
    assert settings(at)["encoding"] == "cp1252" and list(grid(at).index) == ["Amélie – €"]
    assert "not valid UTF-8" in panel_text(at)


def test_rating_scale_can_be_set_and_outliers_dropped():
    rows = b"".join(b"u%d,i%d,%d\n" % (k % 9, k, 1 + k % 5) for k in range(150))
    at = upload(b"user,item,rating\n" + rows + b"u1,i999,99\n", "survey.csv")
    errors = [e.value for e in at.main.error]
    assert any("Could not read survey.csv, line 152, column 'rating'" in e and "99" in e for e in errors)
    assert "survey.csv: survey.csv" not in " ".join(errors)
    assert "line 152" in panel_text(at)
    at.selectbox(key="read_outliers").set_value("drop them").run()
    assert settings(at)["rating scale"] == "1 to 5" and "dropped" in panel_text(at)
    at.toggle(key="read_scale_set").set_value(True).run()
    at.number_input(key="read_scale_hi").set_value(100.0).run()
    assert settings(at)["rating scale"] == "1 to 100"


def test_file_names_are_shown_literally_in_errors():
    at = upload(b"", "**bold** $x$ [a](http://x).csv")
    error = at.main.error[0].value
    assert "\\*\\*bold\\*\\*" in error and "\\$x\\$" in error and "\\[a\\]" in error
    assert "**bold** $x$ [a](http://x).csv: the file is empty" in panel_text(at)
