"""Decisions get an explicit status (decided, released)

A decision's life was read from `released_at`; it is now its own column,
moved only through DECISION_MACHINE (cade/awards/models.py). Decisions
already released become `released`, the others `decided`.

Revision ID: 5a7e0c1d2b01
Revises: b6bdc591716b
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a7e0c1d2b01'
down_revision = 'b6bdc591716b'
branch_labels = None
depends_on = None

decisions = sa.table(
    "decisions",
    sa.column("status", sa.String(16)),
    sa.column("released_at", sa.DateTime(timezone=True)),
)


def upgrade():
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
    op.execute(decisions.update().values(
        status=sa.case((decisions.c.released_at.is_not(None), "released"), else_="decided")))
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=16), nullable=False)


def downgrade():
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("status")
