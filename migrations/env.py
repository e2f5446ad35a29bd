"""Alembic's environment for the session database.

The app migrates the database itself when it opens it (simulator/storage/migrate.py), handing
over in `config.attributes["connection"]` the connection whose transaction holds its migration
lock. Run by hand from the project root (`alembic current`, `alembic upgrade head`), it opens the
database the settings name (SIM_DATABASE_URL, else the SQLite file in SIM_DATA_DIR).
"""

from alembic import context
from sqlalchemy import Connection

from simulator.base.settings import load_settings
from simulator.storage.engine import database_at, database_location, storage_errors


def run(connection: Connection) -> None:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    database = database_at(database_location(load_settings()))
    with storage_errors(database.where), database.writer.begin() as connection:
        run(connection)
