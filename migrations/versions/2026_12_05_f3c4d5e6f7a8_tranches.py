"""Tranches: a payment schedule per call, and each grant's tranches with their payments

`tranche_templates`: a call's schedule, one row per position (share as a
fraction, condition, days after acceptance). `tranches`: a grant's
instalments (amount and currency, condition, due date, status due |
payable | paid, and the payment: date, reference, when and by whom).

Revision ID: f3c4d5e6f7a8
Revises: f2b3c4d5e6f7
Create Date: 2026-12-05 16:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3c4d5e6f7a8'
down_revision = 'f2b3c4d5e6f7'
branch_labels = None
depends_on = None

CONDITIONS = "condition IN ('on_signature', 'interim_report_approved', 'final_report_approved')"


def upgrade():
    op.create_table('tranche_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('share', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('condition', sa.String(length=32), nullable=False),
    sa.Column('due_after_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('share > 0 AND share <= 1', name=op.f('ck_tranche_templates_share_fraction')),
    sa.CheckConstraint('due_after_days >= 0', name=op.f('ck_tranche_templates_days_not_negative')),
    sa.CheckConstraint(CONDITIONS, name=op.f('ck_tranche_templates_condition_known')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_tranche_templates_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tranche_templates')),
    sa.UniqueConstraint('call_id', 'position', name=op.f('uq_tranche_templates_call_id_position'))
    )
    with op.batch_alter_table('tranche_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tranche_templates_call_id'), ['call_id'], unique=False)

    op.create_table('tranches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('condition', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payment_reference', sa.String(length=100), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_tranches_amount_not_negative')),
    sa.CheckConstraint("status IN ('due', 'payable', 'paid')", name=op.f('ck_tranches_status_known')),
    sa.CheckConstraint(CONDITIONS, name=op.f('ck_tranches_condition_known')),
    sa.CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_reference IS NOT NULL)",
                       name=op.f('ck_tranches_paid_has_payment')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_tranches_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_tranches_paid_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tranches')),
    sa.UniqueConstraint('grant_id', 'position', name=op.f('uq_tranches_grant_id_position'))
    )
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tranches_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tranches_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tranches_status'))
        batch_op.drop_index(batch_op.f('ix_tranches_grant_id'))
    op.drop_table('tranches')
    with op.batch_alter_table('tranche_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tranche_templates_call_id'))
    op.drop_table('tranche_templates')
