"""Revision 8d3c5e1a7f01: released decisions are filled in with the text release sent; the others stay empty.

tests/test_migrations.py checks the schema from empty to head and back; this
checks the data step, on tables as that revision finds them.
"""

import importlib.util
import json
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

REVISION = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_8d3c5e1a7f01_*.py"))


def _revision():
    spec = importlib.util.spec_from_file_location("released_text_revision", REVISION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _at(day: int) -> datetime:
    return datetime(2026, 6, day, 12, tzinfo=timezone.utc)


def test_released_decisions_get_their_feedback_and_the_counted_comments_and_back(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'decisions.sqlite'}")
    metadata = sa.MetaData()
    decisions = sa.Table("decisions", metadata, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("application_id", sa.Integer, nullable=False),
                         sa.Column("status", sa.String(16), nullable=False),
                         sa.Column("feedback", sa.Text, nullable=False))
    reviews = sa.Table("reviews", metadata, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("application_id", sa.Integer), sa.Column("reviewer_id", sa.Integer),
                       sa.Column("status", sa.String(16)), sa.Column("comment_to_applicant", sa.Text),
                       sa.Column("submitted_at", sa.DateTime(timezone=True)))
    declarations = sa.Table("conflict_declarations", metadata, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("application_id", sa.Integer), sa.Column("reviewer_id", sa.Integer),
                            sa.Column("has_conflict", sa.Boolean))
    revision = _revision()
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(decisions.insert(), [
            {"id": 1, "application_id": 10, "status": "released", "feedback": "Well argued."},
            {"id": 2, "application_id": 20, "status": "decided", "feedback": "Not yet sent."},
            {"id": 3, "application_id": 30, "status": "released", "feedback": "No comments here."},
        ])
        conn.execute(reviews.insert(), [
            # Application 10: submitted later but listed by submission time; a blank, a draft and a
            # conflicted reviewer's comment are not what release sent.
            {"id": 1, "application_id": 10, "reviewer_id": 1, "status": "submitted",
             "comment_to_applicant": "  Second.  ", "submitted_at": _at(3)},
            {"id": 2, "application_id": 10, "reviewer_id": 2, "status": "submitted",
             "comment_to_applicant": "First.", "submitted_at": _at(2)},
            {"id": 3, "application_id": 10, "reviewer_id": 3, "status": "submitted",
             "comment_to_applicant": "   ", "submitted_at": _at(4)},
            {"id": 4, "application_id": 10, "reviewer_id": 4, "status": "draft",
             "comment_to_applicant": "Draft.", "submitted_at": None},
            {"id": 5, "application_id": 10, "reviewer_id": 5, "status": "submitted",
             "comment_to_applicant": "Conflicted.", "submitted_at": _at(1)},
            {"id": 6, "application_id": 20, "reviewer_id": 1, "status": "submitted",
             "comment_to_applicant": "Unreleased.", "submitted_at": _at(1)},
        ])
        conn.execute(declarations.insert(), [
            {"application_id": 10, "reviewer_id": 5, "has_conflict": True},
            {"application_id": 10, "reviewer_id": 1, "has_conflict": False},
        ])
        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.upgrade()
        rows = conn.execute(sa.text(
            "SELECT id, released_feedback, released_comments FROM decisions ORDER BY id")).all()
        assert [(id_, feedback, json.loads(comments) if comments else comments) for id_, feedback, comments in rows] \
            == [(1, "Well argued.", ["First.", "Second."]), (2, None, None), (3, "No comments here.", [])]

        with Operations.context(MigrationContext.configure(conn, opts={"render_as_batch": True})):
            revision.downgrade()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("decisions")}
        assert not columns & {"released_feedback", "released_comments"}
        assert conn.execute(sa.text("SELECT count(*) FROM decisions")).scalar() == 3
    engine.dispose()
