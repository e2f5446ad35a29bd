"""The session database on one of two engines: SQLite (a file in SIM_DATA_DIR, the default) or
PostgreSQL (SIM_DATABASE_URL), through SQLAlchemy Core. `engine` opens it, `schema` is its tables,
`migrate` brings it to the current schema with the Alembic scripts in migrations/. What is stored
in it, and for whom, is `simulator.interview.store`'s business.
"""
