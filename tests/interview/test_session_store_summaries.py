"""The store's schema 2: the time budget and the typed report on the session, light summaries for
History and `interview --list`, unreadable rows skipped, and a newer schema refused."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simulator.base.errors import StorageError
from simulator.base.sections import SECTION_IDS
from simulator.grading.types import GradeReport, MissedPoint, ReadNext, SectionReport
from simulator.interview.session import InterviewSession, Turn
from simulator.interview.store import DB_NAME, MIGRATIONS, SessionStore

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def report(overall: float = 2.5) -> GradeReport:
    return GradeReport(
        scenario="product_recs",
        lang="en",
        overall=overall,
        sections=[
            SectionReport(
                id=section,
                score=n % 5,
                evidence=[f"quote {n}"],
                missed=[MissedPoint(id=f"{section}.x", text="t", passage="p", passage_text="pt")],
                references=["p"],
                advice=["do more"],
            )
            for n, section in enumerate(SECTION_IDS)
        ],
        read_next=[ReadNext(passage="p", title="Read this")],
        notices=["a notice"],
    )


def session(**kw: object) -> InterviewSession:
    made = InterviewSession(scenario_id="product_recs", lang="en", started_at=WHEN, **kw)  # type: ignore[arg-type]
    made.turns.append(
        Turn(role="interviewer", text="Design it.", section="requirements", kind="opening", at=WHEN)
    )
    return made


def finish(store: SessionStore, saved: InterviewSession, minutes: int = 20) -> None:
    saved.turns.append(
        Turn(role="candidate", text="Let's finish.", section="requirements", kind="finish")
    )
    store.append_turn(saved)
    saved.status, saved.report = "finished", report()
    saved.finished_at = saved.last_activity = WHEN + timedelta(minutes=minutes)
    saved.turns.append(
        Turn(role="interviewer", text="Thanks.", section="requirements", kind="closing")
    )
    store.append_turn(saved)


# ----- the session's own time budget and typed report ---------------------------------------------


def test_difficulty_time_budget_and_typed_report_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    store = SessionStore(path)
    saved = session(difficulty="hard", time_budget_minutes=30)
    store.create(saved)
    finish(store, saved)
    loaded = SessionStore(path, default_minutes=45).load(saved.id)
    assert (loaded.difficulty, loaded.time_budget_minutes) == ("hard", 30)
    assert isinstance(loaded.report, GradeReport)
    assert loaded.report == report()
    assert loaded.finished_at == WHEN + timedelta(minutes=20)
    assert loaded == saved
    assert loaded.contract()["report"] == report().to_contract()  # the JSON contract is unchanged


def test_a_session_saved_before_schema_2_opens_with_todays_default(tmp_path: Path) -> None:
    """A schema-1 database (no budget, scores or finish columns) migrates on open; its sessions
    get the time budget settings give today, their saved grades and their last update as the
    finish time."""
    path = tmp_path / DB_NAME
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in filter(str.strip, MIGRATIONS[0].split(";")):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    old_keys = {"difficulty", "time_budget_minutes", "finished_at", "turns"}
    for sid, status, graded in [("old-active", "active", None), ("old-done", "finished", report())]:
        state = session(id=sid, status=status, report=graded).model_dump(mode="json")
        for key in old_keys:
            state.pop(key)
        updated = (WHEN + timedelta(minutes=40)).isoformat()
        conn.execute(
            "INSERT INTO sessions VALUES (?, 'product_recs', 'en', 'local', ?, ?, ?, ?)",
            (sid, status, WHEN.isoformat(), updated, json.dumps(state)),
        )
        turn = Turn(role="interviewer", text="Design it.", section="requirements", kind="opening")
        conn.execute(
            "INSERT INTO turns VALUES (?, 0, 'interviewer', 'opening', 'requirements', ?, ?)",
            (sid, WHEN.isoformat(), turn.model_dump_json()),
        )
    conn.close()

    store = SessionStore(path, default_minutes=50)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    listing = store.summaries()
    assert listing.skipped == []
    by_id = {s.id: s for s in listing.sessions}
    done, active = by_id["old-done"], by_id["old-active"]
    assert (done.time_budget_minutes, done.difficulty, done.turns) == (50, None, 1)
    assert done.overall == 2.5
    assert done.scores == {s.id: s.score for s in report().sections}
    assert done.finished_at == WHEN + timedelta(minutes=40)
    assert (active.overall, active.scores, active.finished_at) == (None, {}, None)
    loaded = store.load("old-done")
    assert (loaded.time_budget_minutes, loaded.difficulty) == (50, None)
    assert loaded.finished_at == WHEN + timedelta(minutes=40)
    assert loaded.report == report()


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    SessionStore(path).create(session())
    newer = len(MIGRATIONS) + 1
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {newer}")
    with pytest.raises(StorageError) as err:
        SessionStore(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.endswith(
        f"this database was written by a newer version (schema {newer});"
        " upgrade the app or use another SIM_DATA_DIR"
    )
    with sqlite3.connect(path) as conn:  # refused, not touched
        assert conn.execute("PRAGMA user_version").fetchone()[0] == newer


# ----- summaries ----------------------------------------------------------------------------------


def test_summaries_hold_what_history_needs(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / DB_NAME)
    done = session(difficulty="easy", time_budget_minutes=60)
    store.create(done)
    finish(store, done)
    active = session(time_budget_minutes=45)
    store.create(active)
    listing = store.summaries()
    assert listing.skipped == []
    assert [s.id for s in listing.sessions] == [done.id, active.id]  # most recently active first
    first, second = listing.sessions
    assert (first.scenario_id, first.lang, first.status) == ("product_recs", "en", "finished")
    assert (first.started_at, first.finished_at) == (WHEN, WHEN + timedelta(minutes=20))
    assert (first.difficulty, first.time_budget_minutes, first.turns) == ("easy", 60, 3)
    assert first.overall == 2.5
    assert list(first.scores) == list(SECTION_IDS)
    assert first.scores == {s.id: s.score for s in report().sections}
    assert (second.status, second.overall, second.scores, second.finished_at) == (
        "active",
        None,
        {},
        None,
    )
    assert (second.difficulty, second.time_budget_minutes, second.turns) == (None, 45, 1)
    assert store.list() == listing.sessions


def test_summaries_never_read_a_turn(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    writer = SessionStore(path)
    done = session()
    writer.create(done)
    finish(writer, done)

    store = SessionStore(path)
    tables_read: list[str] = []

    def authorizer(action: int, arg1: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_READ and arg1 is not None:
            tables_read.append(arg1)
        return sqlite3.SQLITE_OK

    store._connection().set_authorizer(authorizer)
    assert [s.id for s in store.summaries().sessions] == [done.id]
    assert "sessions" in tables_read and "turns" not in tables_read
    store.load(done.id)
    assert "turns" in tables_read  # the recorder does see a turn being read

    # And with every turn's content destroyed, the listing is still whole.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE turns SET body = 'not json', role = '?', at = 'never'")
    listing = SessionStore(path).summaries()
    assert listing.skipped == [] and listing.sessions[0].overall == 2.5
    with pytest.raises(StorageError):
        SessionStore(path).load(done.id)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("started_at", "the fifth of May", "started_at"),
        ("updated_at", "2024-13-45T99:00:00", "updated_at"),
        ("section_scores", "{broken", "Expecting property name"),
        ("section_scores", '{"nonsense": 3}', "scores.nonsense"),
        ("turn_count", "many", "turns"),
    ],
)
def test_an_unreadable_row_is_skipped_with_a_one_line_notice(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    path = tmp_path / DB_NAME
    store = SessionStore(path)
    good, bad = session(id="good"), session(id="bad")
    store.create(good)
    store.create(bad)
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE sessions SET {column} = ? WHERE id = 'bad'", (value,))
    listing = store.summaries()
    assert [s.id for s in listing.sessions] == ["good"]
    assert len(listing.skipped) == 1
    notice = listing.skipped[0]
    assert "\n" not in notice and "'bad'" in notice and reason in notice
