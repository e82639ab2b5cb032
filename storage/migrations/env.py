"""Alembic environment: newswatch passes an open connection in `config.attributes`."""
from alembic import context

from storage.models import Base
from storage.search import outside_search_index

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    connection = create_engine(url).connect()

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  include_name=outside_search_index)
with context.begin_transaction():
    context.run_migrations()
