"""Every session belongs to a user, on both engines: through the store, user A can neither list,
open, resume, download nor delete user B's sessions, and B's session looks to A exactly like one
that does not exist."""

from pathlib import Path

import pytest

from simulator.base.errors import InputError
from simulator.interview.identity import LOCAL_USER
from simulator.interview.session import InterviewSession, Turn
from simulator.interview.store import SessionStore
from tests.support.postgres import run_sql

ALICE, BOB = "oidc:https://id.example:sub:alice", "oidc:https://id.example:sub:bob"


def _session(sid: str) -> InterviewSession:
    made = InterviewSession(id=sid, scenario_id="product_recs", lang="en")
    made.turns.append(
        Turn(role="interviewer", text="Design it.", section="requirements", kind="opening")
    )
    return made


def _answer(session: InterviewSession, text: str) -> None:
    session.turns.append(Turn(role="candidate", text=text, section="data", kind="answer"))


@pytest.fixture
def stores(session_db: Path | str) -> tuple[SessionStore, SessionStore]:
    """Alice's and Bob's views of one database; Bob has a session with an answer in it."""
    alice = SessionStore(session_db, user_id=ALICE)
    bob = alice.for_user(BOB)
    bobs = _session("bobs")
    bob.create(bobs)
    _answer(bobs, "Bob's private answer")
    bob.append_turn(bobs)
    return alice, bob


def _error(call: object, *args: object) -> str:
    assert callable(call)
    with pytest.raises(InputError) as err:
        call(*args)
    return str(err.value)


def _as_if_missing(call: object, session_id: str) -> str:
    """The error `call` gives for an id nobody has, worded for `session_id`."""
    return _error(call, "missing-id").replace("missing-id", session_id)


def test_a_user_lists_only_their_own_sessions(
    stores: tuple[SessionStore, SessionStore], session_db: Path | str
) -> None:
    alice, bob = stores
    alice.create(_session("alices"))
    assert [s.id for s in alice.list()] == ["alices"]
    assert [s.id for s in alice.summaries().sessions] == ["alices"]
    assert [s.id for s in bob.list()] == ["bobs"]
    assert SessionStore(session_db).list() == []  # nor does the local user see either
    owners = run_sql(session_db, "SELECT id, user_id FROM sessions ORDER BY id")
    assert owners == [("alices", ALICE), ("bobs", BOB)]


def test_another_users_session_cannot_be_opened_or_downloaded(
    stores: tuple[SessionStore, SessionStore],
) -> None:
    alice, _ = stores
    # Loading is what opening, resuming and downloading a report all start from.
    assert _error(alice.load, "bobs") == _as_if_missing(alice.load, "bobs")


def test_another_users_session_cannot_be_resumed_or_changed(
    stores: tuple[SessionStore, SessionStore],
) -> None:
    alice, bob = stores
    forged = bob.load("bobs")  # as if Alice had guessed the id and built the session herself
    _answer(forged, "Alice writes into Bob's interview")
    assert _error(alice.append_turn, forged) == "no saved session 'bobs'"
    forged.status = "finished"
    assert _error(alice.save, forged) == "no saved session 'bobs'"
    stranger = _session("missing-id")
    assert _error(alice.save, stranger) == "no saved session 'missing-id'"  # the same words
    untouched = bob.load("bobs")
    assert [t.text for t in untouched.turns] == ["Design it.", "Bob's private answer"]
    assert untouched.status == "active"
    assert bob.list()[0].turns == 2


def test_another_users_session_cannot_be_deleted(
    stores: tuple[SessionStore, SessionStore], session_db: Path | str
) -> None:
    alice, bob = stores
    assert _error(alice.delete, "bobs") == _as_if_missing(alice.delete, "bobs")
    assert [t.text for t in bob.load("bobs").turns][-1] == "Bob's private answer"
    assert run_sql(session_db, "SELECT COUNT(*) FROM turns") == [(2,)]
    bob.delete("bobs")  # the owner can
    assert bob.list() == [] and run_sql(session_db, "SELECT COUNT(*) FROM turns") == [(0,)]


def test_a_store_opened_without_a_user_is_the_local_users(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    assert store.user_id == LOCAL_USER
    store.create(_session("mine"))
    assert [s.id for s in store.for_user(LOCAL_USER).list()] == ["mine"]
    assert store.for_user(ALICE).list() == []


@pytest.mark.parametrize("user_id", ["", "   "])
def test_an_empty_user_id_is_refused(tmp_path: Path, user_id: str) -> None:
    store = SessionStore(tmp_path / "s.db")
    with pytest.raises(InputError, match="user id"):
        store.for_user(user_id)
