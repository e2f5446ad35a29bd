"""Every session belongs to a user: `user_id`, and the listing index per user.

Revision 0003, after 0002. The sessions saved before belong to the one local user, who is who
used the app before there were users. Append only: never edit a revision that has shipped, add
the next one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.add_column("sessions", sa.Column("user_id", sa.Text, nullable=False, server_default="local"))
    op.drop_index("sessions_by_update", table_name="sessions")
    op.create_index("sessions_by_user", "sessions", ["user_id", "updated_at"])
