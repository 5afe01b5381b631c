"""Training: capacity assessments (baseline and follow-ups) and their scores per dimension

An organisation's self-assessment: kind baseline (at most one per
organisation, a partial unique index) or follow_up (at most one per
organisation and course it follows up), draft or submitted, with who
submitted it and when, and the date a scheduled follow-up is due. Each has
one row per capacity dimension: a score 1–5 (empty in a draft) and a short
justification.

Revision ID: d5e6f7a8b9c0
Revises: c4d8e9f0a1b2
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5e6f7a8b9c0'
down_revision = 'c4d8e9f0a1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('capacity_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("kind IN ('baseline', 'follow_up')", name=op.f('ck_capacity_assessments_kind_known')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_capacity_assessments_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_capacity_assessments_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_capacity_assessments_submitted_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_assessments'))
    )
    with op.batch_alter_table('capacity_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capacity_assessments_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_capacity_assessments_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_capacity_assessments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_capacity_assessments_baseline', ['organisation_id'], unique=True,
                              sqlite_where=sa.text("kind = 'baseline'"), postgresql_where=sa.text("kind = 'baseline'"))
        batch_op.create_index('uq_capacity_assessments_course_follow_up', ['organisation_id', 'course_id'], unique=True,
                              sqlite_where=sa.text("kind = 'follow_up' AND course_id IS NOT NULL"),
                              postgresql_where=sa.text("kind = 'follow_up' AND course_id IS NOT NULL"))

    op.create_table('capacity_assessment_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('dimension', sa.String(length=32), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('justification', sa.Text(), nullable=True),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 1 AND 5', name=op.f('ck_capacity_assessment_scores_score_in_scale')),
    sa.ForeignKeyConstraint(['assessment_id'], ['capacity_assessments.id'], name=op.f('fk_capacity_assessment_scores_assessment_id_capacity_assessments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_assessment_scores')),
    sa.UniqueConstraint('assessment_id', 'dimension', name='uq_capacity_assessment_scores_dimension')
    )
    with op.batch_alter_table('capacity_assessment_scores', schema=None) as batch_op:
        batch_op.create_index('ix_capacity_assessment_scores_dimension', ['dimension'], unique=False)


def downgrade():
    with op.batch_alter_table('capacity_assessment_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_capacity_assessment_scores_dimension')

    op.drop_table('capacity_assessment_scores')
    with op.batch_alter_table('capacity_assessments', schema=None) as batch_op:
        batch_op.drop_index('uq_capacity_assessments_course_follow_up')
        batch_op.drop_index('uq_capacity_assessments_baseline')
        batch_op.drop_index(batch_op.f('ix_capacity_assessments_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_capacity_assessments_due_at'))
        batch_op.drop_index(batch_op.f('ix_capacity_assessments_course_id'))

    op.drop_table('capacity_assessments')
