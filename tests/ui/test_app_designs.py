"""A graded written design is kept in History beside the interviews, for its owner only: listed
as a written design with its score, opened read only with its report, deleted after asking."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.paths import TEST_DATA
from tests.ui.test_app import _button, _go, _markdown, _session_id
from tests.ui.test_app_users import ALICE, BOB, _as

DESIGN = (TEST_DATA / "answers/partial_en.md").read_text("utf-8")


def _grade(at: AppTest, scenario: str = "") -> str:
    """Grade DESIGN on the Grade page; the overall score as the report shows it."""
    _go(at, "grade")
    at.text_area[0].set_value(DESIGN).run()
    at.selectbox[0].set_value(scenario).run()
    _button(at, "Grade it").click().run()
    assert not at.exception and not at.error
    assert "Saved to History" in at.success[0].value
    return str(at.metric[0].value)


def test_a_graded_design_is_listed_opened_and_deleted_from_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _as(ALICE, tmp_path, monkeypatch)
    score = _grade(at)
    _go(at, "history")
    text = _markdown(at)
    assert "**No scenario**" in text and score in text and "Written design" in text
    meta = " ".join(c.value for c in at.caption)
    assert "English ·" in meta and "Local (offline)" in meta and "min" not in meta
    assert not at.get("vega_lite_chart")  # the chart is of interviews only

    _button(at, "Open").click().run()
    assert not at.exception
    design_id = _session_id(at)
    assert at.subheader[0].value == "Written design · No scenario"
    assert at.text[0].value == DESIGN.strip()  # as plain text
    assert at.metric[0].value == score and len(at.expander) == 7  # the design, six sections
    assert not at.chat_input  # read only: nothing to send, finish or retry

    _go(at, "history")
    _button(at, "Delete").click().run()
    assert at.warning[0].value == "Delete this written design for good?"
    _button(at, "Yes, delete").click().run()
    assert at.info[0].value == "No interviews yet."
    _go(at, "interview", session=design_id)
    assert design_id in at.error[0].value  # gone from the store too


def test_a_design_is_listed_under_its_scenario_for_its_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = _as(ALICE, tmp_path, monkeypatch)
    _grade(alice, "product_recs")
    _go(alice, "history")
    assert "**Product recommendations for signed-in users**" in _markdown(alice)

    bob = AppTest.from_file(alice._script_path, default_timeout=90)  # same app, same store
    bob.user = dict(BOB)
    bob.run()
    _go(bob, "history")
    assert bob.info[0].value == "No interviews yet."
    assert not [b for b in bob.button if b.label in ("Open", "Delete")]
