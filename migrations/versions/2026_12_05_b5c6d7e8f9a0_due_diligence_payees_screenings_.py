"""Due diligence (documents, payee accounts, screenings), grant budgets, amendments and agreement versions

`documents`, `payee_accounts` and `screenings` belong to an organisation
(cade/diligence). Programmes gain the sanctions lists they screen against,
how long a screening stays valid for paying, and the share of a budget line a
grantee may move on notice; calls gain the documents they require and when.
Tranches keep the payee account and the screening a payment went on.
`grant_budget_lines` (the grant's own budget, amended by reallocations),
`grant_amendments` and `agreement_versions` belong to a grant. The grants
that exist get their budget copied from their application and their
agreement recorded as version 1.

Revision ID: b5c6d7e8f9a0
Revises: a4b5c6d7e8f9
Create Date: 2026-12-05 10:11:39.847127

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5c6d7e8f9a0'
down_revision = 'a4b5c6d7e8f9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('registration_certificate', 'statutes', 'audited_accounts', 'bank_letter', 'other')", name=op.f('ck_documents_kind_known')),
    sa.CheckConstraint("status <> 'refused' OR refusal_reason IS NOT NULL", name=op.f('ck_documents_refusal_has_reason')),
    sa.CheckConstraint("status IN ('pending', 'verified', 'refused')", name=op.f('ck_documents_status_known')),
    sa.CheckConstraint('expires_on IS NULL OR expires_on >= issued_on', name=op.f('ck_documents_expires_after_issue')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_documents_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_documents_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_documents_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_documents_stored_name'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_expires_on'), ['expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_status'), ['status'], unique=False)

    op.create_table('screenings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('screened_on', sa.Date(), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('lists', sa.JSON(), nullable=False),
    sa.Column('names', sa.JSON(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("result IN ('clear', 'match')", name=op.f('ck_screenings_result_known')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_screenings_checked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_screenings_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screenings'))
    )
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screenings_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('payee_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('account_holder', sa.String(length=200), nullable=False),
    sa.Column('holder_explanation', sa.Text(), nullable=True),
    sa.Column('bank_name', sa.String(length=200), nullable=False),
    sa.Column('bank_country', sa.String(length=2), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('account_number', sa.String(length=40), nullable=True),
    sa.Column('bic', sa.String(length=11), nullable=True),
    sa.Column('routing_code', sa.String(length=40), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('bank_letter_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'checked', 'verified', 'rejected', 'superseded')", name=op.f('ck_payee_accounts_status_known')),
    sa.CheckConstraint('confirmed_by_id IS NULL OR (confirmed_by_id <> checked_by_id AND (entered_by_id IS NULL OR confirmed_by_id <> entered_by_id))', name=op.f('ck_payee_accounts_four_eyes')),
    sa.CheckConstraint('iban IS NOT NULL OR account_number IS NOT NULL', name=op.f('ck_payee_accounts_has_account')),
    sa.ForeignKeyConstraint(['bank_letter_id'], ['documents.id'], name=op.f('fk_payee_accounts_bank_letter_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_payee_accounts_checked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_payee_accounts_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_payee_accounts_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_payee_accounts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payee_accounts'))
    )
    with op.batch_alter_table('payee_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payee_accounts_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payee_accounts_status'), ['status'], unique=False)

    op.create_table('grant_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('extension', 'reallocation', 'signatory')", name=op.f('ck_grant_amendments_kind_known')),
    sa.CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL", name=op.f('ck_grant_amendments_refusal_has_reason')),
    sa.CheckConstraint("status IN ('requested', 'noted', 'approved', 'refused')", name=op.f('ck_grant_amendments_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_grant_amendments_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_amendments_grant_id_grants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_grant_amendments_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_amendments'))
    )
    with op.batch_alter_table('grant_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_amendments_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grant_amendments_status'), ['status'], unique=False)

    op.create_table('grant_budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_minor >= 0', name=op.f('ck_grant_budget_lines_amount_not_negative')),
    sa.ForeignKeyConstraint(['budget_line_id'], ['budget_lines.id'], name=op.f('fk_grant_budget_lines_budget_line_id_budget_lines'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_budget_lines_grant_id_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_budget_lines')),
    sa.UniqueConstraint('grant_id', 'position', name=op.f('uq_grant_budget_lines_grant_id_position'))
    )
    with op.batch_alter_table('grant_budget_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_budget_lines_grant_id'), ['grant_id'], unique=False)

    op.create_table('agreement_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('amendment_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amendment_id'], ['grant_amendments.id'], name=op.f('fk_agreement_versions_amendment_id_grant_amendments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_agreement_versions_grant_id_grants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_versions')),
    sa.UniqueConstraint('grant_id', 'version', name=op.f('uq_agreement_versions_grant_id_version'))
    )
    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_versions_grant_id'), ['grant_id'], unique=False)

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_documents', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('documents_required_at', sa.String(length=16), nullable=True))

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screening_lists', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('screening_valid_days', sa.Integer(), nullable=False, server_default='180'))
        batch_op.add_column(sa.Column('reallocation_notice_percent', sa.Integer(), nullable=False, server_default='10'))

    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('screening_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_tranches_screening_id_screenings'), 'screenings', ['screening_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_tranches_payee_account_id_payee_accounts'), 'payee_accounts', ['payee_account_id'], ['id'], ondelete='RESTRICT')
    # The grants that exist: their budget from their application's lines, their agreement as version 1.
    op.execute("""
        INSERT INTO grant_budget_lines (grant_id, budget_line_id, position, category, description, amount_minor)
        SELECT g.id, b.id, ROW_NUMBER() OVER (PARTITION BY g.id ORDER BY b.position, b.id), b.category, b.description, b.amount_minor
        FROM grants g JOIN decisions d ON d.id = g.decision_id JOIN budget_lines b ON b.application_id = d.application_id
    """)
    op.execute("""
        INSERT INTO agreement_versions (grant_id, version, stored_name, size, sha256, language, created_at)
        SELECT id, 1, agreement_stored_name, agreement_size, agreement_sha256, agreement_language, created_at FROM grants
    """)


def downgrade():
    with op.batch_alter_table('tranches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tranches_payee_account_id_payee_accounts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tranches_screening_id_screenings'), type_='foreignkey')
        batch_op.drop_column('screening_id')
        batch_op.drop_column('payee_account_id')

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('reallocation_notice_percent')
        batch_op.drop_column('screening_valid_days')
        batch_op.drop_column('screening_lists')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('documents_required_at')
        batch_op.drop_column('required_documents')

    with op.batch_alter_table('agreement_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_versions_grant_id'))

    op.drop_table('agreement_versions')
    with op.batch_alter_table('grant_budget_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_budget_lines_grant_id'))

    op.drop_table('grant_budget_lines')
    with op.batch_alter_table('grant_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_amendments_status'))
        batch_op.drop_index(batch_op.f('ix_grant_amendments_grant_id'))

    op.drop_table('grant_amendments')
    with op.batch_alter_table('payee_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payee_accounts_status'))
        batch_op.drop_index(batch_op.f('ix_payee_accounts_organisation_id'))

    op.drop_table('payee_accounts')
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screenings_organisation_id'))

    op.drop_table('screenings')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_status'))
        batch_op.drop_index(batch_op.f('ix_documents_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_documents_expires_on'))

    op.drop_table('documents')
