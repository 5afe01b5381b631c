"""Travel support: events, cost caps, per diem rates, trips, visa letters, claims, post-trip reports

`travel_settings` makes a call a travel call (date margin, post-trip report
days and questionnaire); `travel_events` and `cost_caps` belong to the call;
`per_diem_rates` is the admins' table by country (and city) and period.
`trips` is the travel part of an application (traveller, event, role,
dates, passport country only for a visa letter, optional self-described
gender), with `trip_costs` per category (estimate, approved amount);
`visa_letters` (PDF with a verification code), `travel_claims` with
`claim_lines` and `claim_receipts`, `post_trip_reports` with their answers.

Revision ID: c6d7e8f9a0b1
Revises: b5c6d7e8f9a0
Create Date: 2026-12-05 11:01:21.010594

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6d7e8f9a0b1'
down_revision = 'b5c6d7e8f9a0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('per_diem_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('daily_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('is_example', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=True),
    sa.CheckConstraint('daily_minor > 0', name=op.f('ck_per_diem_rates_daily_positive')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_per_diem_rates_valid_period')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_per_diem_rates'))
    )
    with op.batch_alter_table('per_diem_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_per_diem_rates_country'), ['country'], unique=False)

    op.create_table('cost_caps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('cap_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("category IN ('airfare', 'accommodation', 'per_diem', 'visa', 'local_transport', 'other')", name=op.f('ck_cost_caps_category_known')),
    sa.CheckConstraint('cap_minor >= 0', name=op.f('ck_cost_caps_cap_not_negative')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_cost_caps_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_caps')),
    sa.UniqueConstraint('call_id', 'category', name=op.f('uq_cost_caps_call_id_category'))
    )
    with op.batch_alter_table('cost_caps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_caps_call_id'), ['call_id'], unique=False)

    op.create_table('travel_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('website', sa.String(length=300), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_travel_events_ends_after_start')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_travel_events_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_travel_events'))
    )
    with op.batch_alter_table('travel_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_travel_events_call_id'), ['call_id'], unique=False)

    op.create_table('travel_settings',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('date_margin_days', sa.Integer(), nullable=False),
    sa.Column('post_trip_days', sa.Integer(), nullable=False),
    sa.Column('post_trip_questionnaire_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('date_margin_days >= 0 AND date_margin_days <= 30', name=op.f('ck_travel_settings_margin_range')),
    sa.CheckConstraint('post_trip_days > 0 AND post_trip_days <= 365', name=op.f('ck_travel_settings_post_trip_range')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_travel_settings_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_trip_questionnaire_id'], ['questionnaires.id'], name=op.f('fk_travel_settings_post_trip_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_travel_settings')),
    sa.UniqueConstraint('post_trip_questionnaire_id', name=op.f('uq_travel_settings_post_trip_questionnaire_id'))
    )
    op.create_table('trips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('traveller_user_id', sa.Integer(), nullable=True),
    sa.Column('traveller_name', sa.String(length=200), nullable=True),
    sa.Column('traveller_email', sa.String(length=254), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('origin_city', sa.String(length=120), nullable=True),
    sa.Column('origin_country', sa.String(length=2), nullable=True),
    sa.Column('departs_on', sa.Date(), nullable=True),
    sa.Column('returns_on', sa.Date(), nullable=True),
    sa.Column('wants_visa_letter', sa.Boolean(), nullable=False),
    sa.Column('passport_country', sa.String(length=2), nullable=True),
    sa.Column('gender', sa.String(length=60), nullable=True),
    sa.Column('first_time', sa.Boolean(), nullable=True),
    sa.Column('per_diem_rate_id', sa.Integer(), nullable=True),
    sa.Column('post_trip_due_on', sa.Date(), nullable=True),
    sa.CheckConstraint("role IS NULL OR role IN ('speaker', 'organiser', 'participant')", name=op.f('ck_trips_role_known')),
    sa.CheckConstraint('returns_on IS NULL OR departs_on IS NULL OR returns_on >= departs_on', name=op.f('ck_trips_returns_after_departure')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_trips_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['travel_events.id'], name=op.f('fk_trips_event_id_travel_events'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['per_diem_rate_id'], ['per_diem_rates.id'], name=op.f('fk_trips_per_diem_rate_id_per_diem_rates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['traveller_user_id'], ['users.id'], name=op.f('fk_trips_traveller_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trips')),
    sa.UniqueConstraint('application_id', name=op.f('uq_trips_application_id'))
    )
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trips_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trips_post_trip_due_on'), ['post_trip_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_trips_traveller_email'), ['traveller_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_trips_traveller_user_id'), ['traveller_user_id'], unique=False)

    op.create_table('post_trip_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_post_trip_reports_status_known')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_post_trip_reports_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_post_trip_reports_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_trip_reports')),
    sa.UniqueConstraint('trip_id', name=op.f('uq_post_trip_reports_trip_id'))
    )
    op.create_table('travel_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('payment_reference', sa.String(length=100), nullable=True),
    sa.Column('paid_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_reference IS NOT NULL)", name=op.f('ck_travel_claims_paid_has_payment')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'approved', 'paid')", name=op.f('ck_travel_claims_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_travel_claims_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paid_by_id'], ['users.id'], name=op.f('fk_travel_claims_paid_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_travel_claims_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_travel_claims_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_travel_claims')),
    sa.UniqueConstraint('trip_id', name=op.f('uq_travel_claims_trip_id'))
    )
    with op.batch_alter_table('travel_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_travel_claims_status'), ['status'], unique=False)

    op.create_table('trip_costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('estimate_minor', sa.BigInteger(), nullable=False),
    sa.Column('approved_minor', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.CheckConstraint("category IN ('airfare', 'accommodation', 'per_diem', 'visa', 'local_transport', 'other')", name=op.f('ck_trip_costs_category_known')),
    sa.CheckConstraint('approved_minor IS NULL OR (approved_minor >= 0 AND approved_minor <= estimate_minor)', name=op.f('ck_trip_costs_approved_within_estimate')),
    sa.CheckConstraint('estimate_minor >= 0', name=op.f('ck_trip_costs_estimate_not_negative')),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_trip_costs_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_costs')),
    sa.UniqueConstraint('trip_id', 'category', name=op.f('uq_trip_costs_trip_id_category'))
    )
    with op.batch_alter_table('trip_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_costs_trip_id'), ['trip_id'], unique=False)

    op.create_table('visa_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_visa_letters_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trip_id'], ['trips.id'], name=op.f('fk_visa_letters_trip_id_trips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visa_letters')),
    sa.UniqueConstraint('code', name=op.f('uq_visa_letters_code'))
    )
    with op.batch_alter_table('visa_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visa_letters_trip_id'), ['trip_id'], unique=False)

    op.create_table('claim_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_currency', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=8), nullable=False),
    sa.Column('rate_source', sa.String(length=200), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('reimbursable_minor', sa.BigInteger(), nullable=True),
    sa.Column('adjustment_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("category IN ('airfare', 'accommodation', 'per_diem', 'visa', 'local_transport', 'other')", name=op.f('ck_claim_lines_category_known')),
    sa.CheckConstraint('paid_minor >= 0 AND amount_minor >= 0', name=op.f('ck_claim_lines_amounts_not_negative')),
    sa.CheckConstraint('rate > 0', name=op.f('ck_claim_lines_rate_positive')),
    sa.ForeignKeyConstraint(['claim_id'], ['travel_claims.id'], name=op.f('fk_claim_lines_claim_id_travel_claims'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_lines'))
    )
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_lines_claim_id'), ['claim_id'], unique=False)

    op.create_table('post_trip_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('number', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('date_value', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_post_trip_answers_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['post_trip_reports.id'], name=op.f('fk_post_trip_answers_report_id_post_trip_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_trip_answers')),
    sa.UniqueConstraint('report_id', 'question_id', name=op.f('uq_post_trip_answers_report_id_question_id'))
    )
    with op.batch_alter_table('post_trip_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_trip_answers_report_id'), ['report_id'], unique=False)

    op.create_table('claim_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['claim_lines.id'], name=op.f('fk_claim_receipts_line_id_claim_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_claim_receipts_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_receipts')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_claim_receipts_stored_name'))
    )
    with op.batch_alter_table('claim_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_receipts_line_id'), ['line_id'], unique=False)



def downgrade():
    with op.batch_alter_table('claim_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_receipts_line_id'))

    op.drop_table('claim_receipts')
    with op.batch_alter_table('post_trip_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_trip_answers_report_id'))

    op.drop_table('post_trip_answers')
    with op.batch_alter_table('claim_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_lines_claim_id'))

    op.drop_table('claim_lines')
    with op.batch_alter_table('visa_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visa_letters_trip_id'))

    op.drop_table('visa_letters')
    with op.batch_alter_table('trip_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trip_costs_trip_id'))

    op.drop_table('trip_costs')
    with op.batch_alter_table('travel_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_travel_claims_status'))

    op.drop_table('travel_claims')
    op.drop_table('post_trip_reports')
    with op.batch_alter_table('trips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trips_traveller_user_id'))
        batch_op.drop_index(batch_op.f('ix_trips_traveller_email'))
        batch_op.drop_index(batch_op.f('ix_trips_post_trip_due_on'))
        batch_op.drop_index(batch_op.f('ix_trips_event_id'))

    op.drop_table('trips')
    op.drop_table('travel_settings')
    with op.batch_alter_table('travel_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_travel_events_call_id'))

    op.drop_table('travel_events')
    with op.batch_alter_table('cost_caps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_caps_call_id'))

    op.drop_table('cost_caps')
    with op.batch_alter_table('per_diem_rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_per_diem_rates_country'))

    op.drop_table('per_diem_rates')
