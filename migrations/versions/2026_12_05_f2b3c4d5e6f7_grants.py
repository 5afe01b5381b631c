"""Grants: one grant per accepted award, with its agreement PDF

One row per accepted offer (the decision, unique): its organisation and
call, the amount and currency copied from the decision, the status (active,
closed), the agreement PDF's stored name, size, sha256 and language, and
when it was opened.

Revision ID: f2b3c4d5e6f7
Revises: f1a2b3c4d5e6
Create Date: 2026-12-05 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b3c4d5e6f7'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('agreement_stored_name', sa.String(length=64), nullable=False),
    sa.Column('agreement_size', sa.BigInteger(), nullable=False),
    sa.Column('agreement_sha256', sa.String(length=64), nullable=False),
    sa.Column('agreement_language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'closed')", name=op.f('ck_grants_status_known')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_grants_amount_positive')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_grants_call_id_calls'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_grants_decision_id_decisions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_grants_organisation_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_grants_decision_id'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_status'))
        batch_op.drop_index(batch_op.f('ix_grants_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_grants_call_id'))
    op.drop_table('grants')
