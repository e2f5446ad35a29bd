"""${message}

Revision ${up_revision}, after ${down_revision | comma,n}. Append only: never edit a revision that
has shipped, add the next one (`alembic revision --rev-id NNNN -m "what it does"`).
"""

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = "${up_revision}"
down_revision = "${down_revision}"


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}
