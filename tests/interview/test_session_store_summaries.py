"""The store's listing columns, on both engines: the time budget and the typed report on the
session, light summaries for History and `interview --list`, unreadable rows skipped."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from simulator.base.errors import StorageError
from simulator.base.sections import SECTION_IDS
from simulator.grading.types import GradeReport, MissedPoint, ReadNext, SectionReport
from simulator.interview.session import InterviewSession, Turn
from simulator.interview.store import SessionStore
from tests.support.postgres import run_sql

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


def test_difficulty_time_budget_and_typed_report_survive_a_reopen(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    saved = session(difficulty="hard", time_budget_minutes=30)
    store.create(saved)
    finish(store, saved)
    loaded = SessionStore(session_db, default_minutes=45).load(saved.id)
    assert (loaded.difficulty, loaded.time_budget_minutes) == ("hard", 30)
    assert isinstance(loaded.report, GradeReport)
    assert loaded.report == report()
    assert loaded.finished_at == WHEN + timedelta(minutes=20)
    assert loaded == saved
    assert loaded.contract()["report"] == report().to_contract()  # the JSON contract is unchanged


# ----- summaries ----------------------------------------------------------------------------------


def test_summaries_hold_what_history_needs(session_db: Path | str) -> None:
    store = SessionStore(session_db)
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


def _record_statements(store: SessionStore) -> list[str]:
    """Every SQL statement the store's engines send from now on."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    for engine in {store.database.reader, store.database.writer}:
        event.listen(engine, "before_cursor_execute", record)
    return sent


def _tables_read(statements: list[str]) -> set[str]:
    return {
        table
        for statement in statements
        for table in re.findall(r"\bfrom\s+\W?(\w+)", statement, flags=re.IGNORECASE)
    }


def test_summaries_never_read_a_turn(session_db: Path | str) -> None:
    writer = SessionStore(session_db)
    done = session()
    writer.create(done)
    finish(writer, done)

    store = SessionStore(session_db)
    sent = _record_statements(store)
    assert [s.id for s in store.summaries().sessions] == [done.id]
    assert _tables_read(sent) == {"sessions"}
    store.load(done.id)
    assert "turns" in _tables_read(sent)  # the recorder does see a turn being read

    # And with every turn's content destroyed, the listing is still whole.
    run_sql(session_db, "UPDATE turns SET body = 'not json', role = '?', at = 'never'")
    listing = SessionStore(session_db).summaries()
    assert listing.skipped == [] and listing.sessions[0].overall == 2.5
    with pytest.raises(StorageError):
        SessionStore(session_db).load(done.id)


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
    session_db: Path | str, column: str, value: str, reason: str
) -> None:
    if column == "turn_count" and isinstance(session_db, str):
        pytest.skip("PostgreSQL's integer column refuses text: this damage cannot happen there")
    store = SessionStore(session_db)
    good, bad = session(id="good"), session(id="bad")
    store.create(good)
    store.create(bad)
    run_sql(session_db, f"UPDATE sessions SET {column} = :value WHERE id = 'bad'", value=value)
    listing = store.summaries()
    assert [s.id for s in listing.sessions] == ["good"]
    assert len(listing.skipped) == 1
    notice = listing.skipped[0]
    assert "\n" not in notice and "'bad'" in notice and reason in notice
