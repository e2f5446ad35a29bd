"""A session's kind, on both engines: a graded written design is kept beside the interviews,
listed as one from the row alone, and the sessions saved before revision 0004 are interviews."""

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from simulator.interview.store import DB_NAME, SessionStore
from simulator.services import save_design
from simulator.storage.migrate import head
from tests.interview.test_session_store_summaries import WHEN, finish, report, session
from tests.support.paths import ROOT
from tests.support.postgres import run_sql

DESIGN = "# My design\n\nOffline AUC, online CTR; a two-tower model served behind a cache."


def test_a_written_design_is_kept_and_listed_beside_the_interviews(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    interview = session()
    store.create(interview)
    finish(store, interview)
    graded = report(overall=1.5)
    design = save_design(store, DESIGN, graded, scenario_id=None, model_spec="openai:gpt-4o-mini")

    rows = run_sql(session_db, "SELECT id, kind FROM sessions ORDER BY kind")
    assert rows == [(design.id, "design"), (interview.id, "interview")]
    by_id = {s.id: s for s in store.summaries().sessions}
    listed = by_id[design.id]
    assert (listed.kind, listed.scenario_id, listed.lang, listed.model) == (
        "design", "", "en", "openai:gpt-4o-mini"
    )  # fmt: skip
    assert (listed.status, listed.turns, listed.overall) == ("finished", 1, 1.5)
    assert listed.scores == {s.id: s.score for s in graded.sections}
    assert by_id[interview.id].kind == "interview"

    loaded = SessionStore(session_db).load(design.id)
    assert loaded == design and loaded.kind == "design" and loaded.report == graded
    assert loaded.candidate_text() == DESIGN  # the design is its one graded turn
    store.delete(design.id)
    assert [s.id for s in store.list()] == [interview.id]


def test_a_design_graded_against_a_scenario_keeps_it(session_db: Path | str) -> None:
    store = SessionStore(session_db)
    design = save_design(store, DESIGN, report(), scenario_id="ad_ctr", model_spec="local")
    assert [(s.kind, s.scenario_id) for s in store.list()] == [("design", "ad_ctr")]
    assert store.for_user("someone-else").list() == []  # kept for its owner only
    assert store.load(design.id).scenario_id == "ad_ctr"


def test_sessions_saved_before_revision_0004_are_interviews(
    database_url: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app at revision 0003 saved an interview; opening the database now adds the column."""
    where = database_url or tmp_path / DB_NAME
    monkeypatch.setenv("SIM_DATABASE_URL", database_url or f"sqlite:///{where}")
    command.upgrade(Config(str(ROOT / "alembic.ini")), "0003")  # as that release left it
    old = session(id="old-one")
    run_sql(
        where,
        "INSERT INTO sessions (id, user_id, scenario_id, lang, model, status, started_at,"
        " updated_at, state, turn_count) VALUES ('old-one', 'local', 'product_recs', 'en',"
        " 'local', 'active', :at, :at, :state, 0)",
        at=WHEN.isoformat(),
        state=old.model_dump_json(exclude={"turns", "kind"}),
    )
    store = SessionStore(where)
    assert run_sql(where, "SELECT version_num FROM alembic_version") == [(f"{head():04d}",)]
    assert [(s.id, s.kind) for s in store.list()] == [("old-one", "interview")]
    assert store.load("old-one").kind == "interview"
