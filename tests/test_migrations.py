"""Migrations run from empty to head and back, on SQLite and on PostgreSQL.

At head the database must hold exactly the tables of the models, with no
difference Alembic's autogenerate would find; after a downgrade to base only
`alembic_version` (or nothing) may remain. PostgreSQL is tested when
TEST_DATABASE_URL points at one (the second pass of `make test`), in a
database of its own that is dropped and created for the test.
"""

import logging
import os
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from celery import current_app as current_celery_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from cade import create_app
from cade.extensions import db
from config import TestConfig, database_url

# One per xdist worker, so that two processes never drop each other's database.
MIGRATIONS_DATABASE = f"cade_migrations_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def _targets() -> list[str]:
    targets = ["sqlite"]
    url = os.environ.get("TEST_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        targets.append("postgresql")
    return targets


def _fresh_postgres_url() -> str:
    url = make_url(database_url(os.environ["TEST_DATABASE_URL"])).set(database=MIGRATIONS_DATABASE)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{MIGRATIONS_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{MIGRATIONS_DATABASE}"'))
    admin.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture()
def migration_app(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    else:
        url = _fresh_postgres_url()
    # Alembic's env.py calls logging.fileConfig, which disables every logger that
    # already exists; and create_app makes its Celery app the default. Both would
    # leak into the tests that run after this one, so both are put back.
    loggers = {name: logger.disabled for name, logger in logging.root.manager.loggerDict.items()
               if isinstance(logger, logging.Logger)}
    previous_celery = current_celery_app._get_current_object()
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url,
                     STORAGE_PATH=str(tmp_path / "files"), MAILBOX_PATH=str(tmp_path / "mailbox"))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        previous_celery.set_default()
        for name, disabled in loggers.items():
            logging.getLogger(name).disabled = disabled


def _table_names(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@pytest.mark.parametrize("migration_app", _targets(), indirect=True)
def test_migrations_reach_the_models_and_come_back(migration_app):
    assert (Path(migration_app.extensions["migrate"].directory) / "env.py").is_file(), (
        "no Alembic environment in migrations/: generate it with `flask --app wsgi db init`"
    )
    with migration_app.app_context():
        upgrade()

        assert _table_names(db.engine) - {"alembic_version"} == set(db.metadata.tables)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "the models differ from the migrated schema; add a revision"

        downgrade(revision="base")

        assert _table_names(db.engine) <= {"alembic_version"}
