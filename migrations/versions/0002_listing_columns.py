"""What a listing shows, in columns beside the state: difficulty, time budget, finish time,
overall grade, section scores and turn count.

Revision 0002, after 0001. A session saved before has no time budget here (NULL: today's default
applies) and takes its finish time from its last update. Append only: never edit a revision that
has shipped, add the next one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

# Fills the new columns of the sessions saved before, from their turns and their JSON state.
SQLITE_BACKFILL = (
    "UPDATE sessions SET turn_count = (SELECT COUNT(*) FROM turns WHERE session_id = sessions.id)",
    "UPDATE sessions SET finished_at = updated_at WHERE status = 'finished'",
    """
    UPDATE sessions SET
        overall = json_extract(state, '$.report.overall'),
        section_scores = (
            SELECT json_group_object(json_extract(value, '$.id'), json_extract(value, '$.score'))
            FROM json_each(sessions.state, '$.report.sections')
            WHERE type = 'object' AND json_type(value, '$.id') = 'text'
        )
    WHERE json_valid(state) AND json_type(state, '$.report') = 'object'
    """,
)


def upgrade() -> None:
    op.add_column("sessions", sa.Column("difficulty", sa.Text))
    op.add_column("sessions", sa.Column("time_budget_minutes", sa.Integer))
    op.add_column("sessions", sa.Column("finished_at", sa.Text))
    op.add_column("sessions", sa.Column("overall", sa.Float))
    op.add_column("sessions", sa.Column("section_scores", sa.Text))
    op.add_column(
        "sessions", sa.Column("turn_count", sa.Integer, nullable=False, server_default="0")
    )
    # Only SQLite files have sessions from before this revision: a PostgreSQL database is
    # created by this version of the app, and so is empty here.
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_BACKFILL:
            op.execute(statement)
