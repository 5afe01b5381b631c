"""Revision b5c6d7e8f9a0: the grants that exist get their budget copied from their application's lines and their
agreement recorded as version 1.

tests/test_migrations.py checks the schema from empty to head and back; this
checks the data step, on tables as that revision finds them.
"""

import importlib.util
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

REVISION = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_b5c6d7e8f9a0_*.py"))
OPENED = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)


def _revision():
    spec = importlib.util.spec_from_file_location("budget_backfill_revision", REVISION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tables(metadata):
    for name in ("users", "organisations", "programmes"):  # what the new tables' foreign keys name
        sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("calls", metadata, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("tranches", metadata, sa.Column("id", sa.Integer, primary_key=True))
    decisions = sa.Table("decisions", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("application_id", sa.Integer, nullable=False))
    lines = sa.Table("budget_lines", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("application_id", sa.Integer, nullable=False),
                     sa.Column("position", sa.Integer, nullable=False),
                     sa.Column("category", sa.String(32), nullable=False),
                     sa.Column("description", sa.String(300), nullable=False),
                     sa.Column("amount_minor", sa.BigInteger, nullable=False))
    grants = sa.Table("grants", metadata, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("decision_id", sa.Integer, nullable=False),
                      sa.Column("agreement_stored_name", sa.String(64), nullable=False),
                      sa.Column("agreement_size", sa.BigInteger, nullable=False),
                      sa.Column("agreement_sha256", sa.String(64), nullable=False),
                      sa.Column("agreement_language", sa.String(8), nullable=False),
                      sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    return decisions, lines, grants


def test_existing_grants_get_their_budget_and_version_one_and_back(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'grants.sqlite'}")
    metadata = sa.MetaData()
    decisions, lines, grants = _tables(metadata)
    revision = _revision()
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(decisions.insert(), [{"id": 1, "application_id": 10}, {"id": 2, "application_id": 20},
                                          {"id": 3, "application_id": 30}])
        conn.execute(lines.insert(), [
            # Application 10's lines out of order (positions 2, 0, 0): copied in position order, ties by id,
            # numbered from 1. Application 30 has no grant: its line is not copied.
            {"id": 5, "application_id": 10, "position": 2, "category": "travel", "description": "Travel",
             "amount_minor": 1_000_00},
            {"id": 6, "application_id": 10, "position": 0, "category": "equipment", "description": "Routers",
             "amount_minor": 8_000_00},
            {"id": 7, "application_id": 10, "position": 0, "category": "training", "description": "Training",
             "amount_minor": 3_345_00},
            {"id": 8, "application_id": 30, "position": 0, "category": "other", "description": "No grant",
             "amount_minor": 1_00},
        ])
        conn.execute(grants.insert(), [
            {"id": 1, "decision_id": 1, "agreement_stored_name": "a" * 32, "agreement_size": 1234,
             "agreement_sha256": "1" * 64, "agreement_language": "fr", "created_at": OPENED},
            {"id": 2, "decision_id": 2, "agreement_stored_name": "b" * 32, "agreement_size": 99,
             "agreement_sha256": "2" * 64, "agreement_language": "en", "created_at": OPENED},
        ])
        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.upgrade()

        budget = conn.execute(sa.text(
            "SELECT grant_id, budget_line_id, position, category, description, amount_minor "
            "FROM grant_budget_lines ORDER BY grant_id, position")).all()
        assert [tuple(row) for row in budget] == [(1, 6, 1, "equipment", "Routers", 8_000_00),
                                                  (1, 7, 2, "training", "Training", 3_345_00),
                                                  (1, 5, 3, "travel", "Travel", 1_000_00)]
        versions = conn.execute(sa.text(
            "SELECT grant_id, version, amendment_id, stored_name, size, sha256, language "
            "FROM agreement_versions ORDER BY grant_id")).all()
        assert [tuple(row) for row in versions] == [(1, 1, None, "a" * 32, 1234, "1" * 64, "fr"),
                                                    (2, 1, None, "b" * 32, 99, "2" * 64, "en")]
        assert conn.execute(sa.text("SELECT reallocation_notice_percent FROM programmes")).all() == []

        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.downgrade()
        tables = set(sa.inspect(conn).get_table_names())
        assert not tables & {"grant_budget_lines", "agreement_versions", "grant_amendments"}
        assert conn.execute(sa.text("SELECT count(*) FROM grants")).scalar() == 2
    engine.dispose()
