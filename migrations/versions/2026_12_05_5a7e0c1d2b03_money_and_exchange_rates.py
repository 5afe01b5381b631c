"""Every amount carries its currency; dated exchange rates

Adds the exchange_rates table that administrators keep (cade/core/rates.py).
The amounts already stored need no change: the organisation's budget has its
currency on its row, and every amount of a call is in the programme's
currency, which is fixed once the programme has a call (cade/core/money.py).

Revision ID: 5a7e0c1d2b03
Revises: 5a7e0c1d2b02
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a7e0c1d2b03'
down_revision = '5a7e0c1d2b02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_currency', sa.String(length=3), nullable=False),
    sa.Column('to_currency', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rates_rate_positive')),
    sa.CheckConstraint('from_currency <> to_currency', name=op.f('ck_exchange_rates_two_currencies')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchange_rates_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('from_currency', 'to_currency', 'rate_date',
                        name=op.f('uq_exchange_rates_from_currency_to_currency_rate_date'))
    )


def downgrade():
    op.drop_table('exchange_rates')
