"""The archive: SQLAlchemy models, engine set-up, migrations and the queries the rest of newswatch uses."""
