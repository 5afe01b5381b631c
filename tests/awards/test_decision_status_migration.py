"""Revision 5a7e0c1d2b01: decisions get a status, `released` exactly where they had been released.

tests/test_migrations.py checks the schema from empty to head and back; this
checks the data step, on a decisions table as that revision finds it.
"""

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

REVISION = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_5a7e0c1d2b01_*.py"))


def _revision():
    spec = importlib.util.spec_from_file_location("decision_status_revision", REVISION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_released_decisions_become_released_and_the_others_decided_and_back(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'decisions.sqlite'}")
    metadata = sa.MetaData()
    decisions = sa.Table("decisions", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("outcome", sa.String(16), nullable=False),
                         sa.Column("released_at", sa.DateTime(timezone=True)))
    released_at = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    revision = _revision()
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(decisions.insert(), [{"id": 1, "outcome": "award", "released_at": released_at},
                                          {"id": 2, "outcome": "reject", "released_at": None}])
        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.upgrade()
        rows = conn.execute(sa.text("SELECT id, status FROM decisions ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "released"), (2, "decided")]
        status = next(c for c in sa.inspect(conn).get_columns("decisions") if c["name"] == "status")
        assert status["nullable"] is False

        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.downgrade()
        assert "status" not in {c["name"] for c in sa.inspect(conn).get_columns("decisions")}
        assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar() == 2
    engine.dispose()
