"""Awards: the offer (deadline, acceptance, decline) and the exchange rate fixed at award

A released award is an offer: its acceptance deadline, who accepted it and
when with the signatory's name and position, or who declined it, when and
why. The rate to the reporting currency used at release (currency, rate,
rate day, source) is kept with the decision and never changes. Existing
released decisions keep null columns (no deadline: they are not offers
waiting for an answer).

Revision ID: f1a2b3c4d5e6
Revises: e7f8a9b0c1d2
Create Date: 2026-12-05 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'e7f8a9b0c1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offer_deadline_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('accepted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('signatory_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('signatory_position', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('declined_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('fx_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('fx_rate', sa.Numeric(precision=20, scale=10), nullable=True))
        batch_op.add_column(sa.Column('fx_rate_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('fx_source', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_decisions_accepted_by_id_users'), 'users',
                                    ['accepted_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_decisions_declined_by_id_users'), 'users',
                                    ['declined_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_decisions_status_offer_deadline_at', ['status', 'offer_deadline_at'])


def downgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_status_offer_deadline_at')
        batch_op.drop_constraint(batch_op.f('fk_decisions_declined_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_decisions_accepted_by_id_users'), type_='foreignkey')
        for column in ('fx_source', 'fx_rate_date', 'fx_rate', 'fx_currency', 'decline_reason', 'declined_by_id',
                       'declined_at', 'signatory_position', 'signatory_name', 'accepted_by_id', 'accepted_at',
                       'offer_deadline_at'):
            batch_op.drop_column(column)
