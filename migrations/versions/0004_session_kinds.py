"""What a session is, in a column a listing reads: `kind`, an interview or a written design.

Revision 0004, after 0003. Every session saved before is an interview: only interviews were saved
then. Append only: never edit a revision that has shipped, add the next one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.add_column(
        "sessions", sa.Column("kind", sa.Text, nullable=False, server_default="interview")
    )
