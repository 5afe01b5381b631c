"""Grantee reports and outcome indicators; grant closure and returned money

`report_templates`: a call's report of one kind (interim | final), due some
days after acceptance, with its own questionnaire. `grant_reports`: each
grant's reports (due date, status draft | submitted | changes_requested |
approved, narrative, stated total spend, submission and review), with
`report_answers`, `spend_lines` (budget copied from the application's lines,
actual spend, explanation), `report_attachments` and `indicator_values`.
`indicators`: what a programme's grantees report (code, label, unit, whether
evidence is asked); `indicator_targets`: each grant's target per indicator.
`grants` gains `closed_at` and the money returned (amount, date, reference),
0 for the grants that exist.

Revision ID: a4b5c6d7e8f9
Revises: f3c4d5e6f7a8
Create Date: 2026-12-05 09:41:43.457289

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4b5c6d7e8f9'
down_revision = 'f3c4d5e6f7a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('evidence_required', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_indicators_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_indicators_programme_id_code'))
    )
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicators_programme_id'), ['programme_id'], unique=False)

    op.create_table('report_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_after_days', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('interim', 'final')", name=op.f('ck_report_templates_kind_known')),
    sa.CheckConstraint('due_after_days >= 0', name=op.f('ck_report_templates_days_not_negative')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_report_templates_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_report_templates_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_templates')),
    sa.UniqueConstraint('call_id', 'kind', name=op.f('uq_report_templates_call_id_kind')),
    sa.UniqueConstraint('questionnaire_id', name=op.f('uq_report_templates_questionnaire_id'))
    )
    with op.batch_alter_table('report_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_templates_call_id'), ['call_id'], unique=False)

    op.create_table('grant_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=True),
    sa.Column('narrative', sa.Text(), nullable=False),
    sa.Column('total_spent_minor', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_comments', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('interim', 'final')", name=op.f('ck_grant_reports_kind_known')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'changes_requested', 'approved')", name=op.f('ck_grant_reports_status_known')),
    sa.CheckConstraint('total_spent_minor IS NULL OR total_spent_minor >= 0', name=op.f('ck_grant_reports_total_not_negative')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_reports_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_grant_reports_questionnaire_id_questionnaires'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_grant_reports_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_grant_reports_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_grant_reports_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_reports')),
    sa.UniqueConstraint('grant_id', 'kind', name=op.f('uq_grant_reports_grant_id_kind'))
    )
    with op.batch_alter_table('grant_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_reports_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_reports_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_reports_status'), ['status'], unique=False)

    op.create_table('indicator_targets',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.CheckConstraint('target >= 0', name=op.f('ck_indicator_targets_target_not_negative')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_indicator_targets_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_targets_indicator_id_indicators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grant_id', 'indicator_id', name=op.f('pk_indicator_targets'))
    )
    op.create_table('indicator_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.CheckConstraint('value >= 0', name=op.f('ck_indicator_values_value_not_negative')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_indicator_values_indicator_id_indicators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_indicator_values_report_id_grant_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_values')),
    sa.UniqueConstraint('report_id', 'indicator_id', name=op.f('uq_indicator_values_report_id_indicator_id'))
    )
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_values_indicator_id'), ['indicator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_values_report_id'), ['report_id'], unique=False)

    op.create_table('report_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('number', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('date_value', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_report_answers_question_id_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_report_answers_report_id_grant_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_answers')),
    sa.UniqueConstraint('report_id', 'question_id', name=op.f('uq_report_answers_report_id_question_id'))
    )
    with op.batch_alter_table('report_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_answers_report_id'), ['report_id'], unique=False)

    op.create_table('report_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_report_attachments_report_id_grant_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_report_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_report_attachments_stored_name'))
    )
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_attachments_report_id'), ['report_id'], unique=False)

    op.create_table('spend_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('budget_minor', sa.BigInteger(), nullable=False),
    sa.Column('actual_minor', sa.BigInteger(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.CheckConstraint('actual_minor IS NULL OR actual_minor >= 0', name=op.f('ck_spend_lines_actual_not_negative')),
    sa.CheckConstraint('budget_minor >= 0', name=op.f('ck_spend_lines_budget_not_negative')),
    sa.ForeignKeyConstraint(['budget_line_id'], ['budget_lines.id'], name=op.f('fk_spend_lines_budget_line_id_budget_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['report_id'], ['grant_reports.id'], name=op.f('fk_spend_lines_report_id_grant_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_lines')),
    sa.UniqueConstraint('report_id', 'position', name=op.f('uq_spend_lines_report_id_position'))
    )
    with op.batch_alter_table('spend_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_lines_report_id'), ['report_id'], unique=False)

    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('returned_minor', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_check_constraint(batch_op.f('ck_grants_returned_within_amount'),
                                         'returned_minor >= 0 AND returned_minor <= amount_minor')
        batch_op.add_column(sa.Column('returned_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('returned_reference', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_column('returned_reference')
        batch_op.drop_column('returned_on')
        batch_op.drop_constraint(batch_op.f('ck_grants_returned_within_amount'), type_='check')
        batch_op.drop_column('returned_minor')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('spend_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_lines_report_id'))

    op.drop_table('spend_lines')
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_attachments_report_id'))

    op.drop_table('report_attachments')
    with op.batch_alter_table('report_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_answers_report_id'))

    op.drop_table('report_answers')
    with op.batch_alter_table('indicator_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_values_report_id'))
        batch_op.drop_index(batch_op.f('ix_indicator_values_indicator_id'))

    op.drop_table('indicator_values')
    op.drop_table('indicator_targets')
    with op.batch_alter_table('grant_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_reports_status'))
        batch_op.drop_index(batch_op.f('ix_grant_reports_grant_id'))
        batch_op.drop_index(batch_op.f('ix_grant_reports_due_on'))

    op.drop_table('grant_reports')
    with op.batch_alter_table('report_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_templates_call_id'))

    op.drop_table('report_templates')
    with op.batch_alter_table('indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicators_programme_id'))

    op.drop_table('indicators')
