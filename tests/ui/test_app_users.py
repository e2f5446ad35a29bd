"""Each signed-in person sees only their own interviews, through the app (AppTest sets `st.user`
as Streamlit's OIDC sign-in would); the store's own isolation is tested beside the store."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.test_app import _button, _chat, _fresh, _go, _session_id, _start

ALICE = {"is_logged_in": True, "iss": "https://id.example", "sub": "alice", "email": "a@x.org"}
BOB = {"is_logged_in": True, "iss": "https://id.example", "sub": "bob", "email": "b@x.org"}


def _as(user: dict[str, object], data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = _fresh(data_dir, monkeypatch)
    at.user = dict(user)
    at.run()
    assert not at.exception
    return at


def test_another_person_cannot_list_open_resume_or_delete_an_interview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = _as(ALICE, tmp_path, monkeypatch)
    assert "Signed in as a@x.org" in [c.value.replace("\\", "") for c in alice.sidebar.caption]
    session_id = _start(alice)
    _chat(alice, "How much data do we have: how many users?")

    bob = AppTest.from_file(alice._script_path, default_timeout=90)  # same app, same store
    bob.user = dict(BOB)
    bob.run()
    _go(bob, "history")
    assert bob.info[0].value == "No interviews yet."  # not listed
    assert not [b for b in bob.button if b.label in ("Open", "Delete")]  # nothing to delete
    _go(bob, "interview", session=session_id)  # opened or resumed by its URL
    shown = " ".join(e.value for e in bob.error)
    assert session_id in shown and "How much data" not in " ".join(t.value for t in bob.text)

    _go(alice, "history")  # still hers, whole
    assert [b.label for b in alice.button][:2] == ["Open", "Delete"]
    _button(alice, "Open").click().run()
    assert _session_id(alice) == session_id


def test_with_sign_in_configured_nobody_gets_in_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _as({"is_logged_in": False}, tmp_path, monkeypatch)
    assert at.title[0].value == "Sign in to practise"
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.chat_input and not at.selectbox  # no page of the app is drawn
