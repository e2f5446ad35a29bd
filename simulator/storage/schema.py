"""The session database's tables, as the code reads and writes them (migrations/ builds them).

One row per session, one per turn. Times are ISO 8601 text and the state and scores JSON text, on
both engines, so a value reads back exactly as it was written. A session row keeps, beside its
state, the columns a listing needs (kind, time budget, finish time, scores, turn count), so a
listing never reads a turn or parses a state. Every session belongs to one user; turns belong to
their session.
"""

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("user_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("scenario_id", Text, nullable=False),
    Column("lang", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("difficulty", Text),
    Column("time_budget_minutes", Integer),
    Column("finished_at", Text),
    Column("overall", Float),
    Column("section_scores", Text),
    Column("turn_count", Integer, nullable=False),
    Index("sessions_by_user", "user_id", "updated_at"),
)

turns = Table(
    "turns",
    metadata,
    Column(
        "session_id",
        Text,
        ForeignKey("sessions.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    ),
    Column("seq", Integer, primary_key=True, nullable=False),
    Column("role", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("body", Text, nullable=False),
)
