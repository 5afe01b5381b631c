"""Training: courses, their sessions (with trainers) and enrolments

A course has a format, a language, the capacity dimensions it builds, a
completion rule (`required_sessions`, NULL: all) and an optional prerequisite
course. A session keeps its times in UTC with its own time zone, its seats and
enrolment window. An enrolment holds a seat or a numbered place on the waiting
list; one live (not cancelled) enrolment per person per session, enforced by a
partial unique index.

Revision ID: b7c1e2d3f4a5
Revises: 9e4f6a2b8c01
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1e2d3f4a5'
down_revision = '9e4f6a2b8c01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('dimensions', sa.JSON(), nullable=False),
    sa.Column('required_sessions', sa.Integer(), nullable=True),
    sa.Column('prerequisite_id', sa.Integer(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('required_sessions IS NULL OR required_sessions >= 1', name=op.f('ck_courses_required_sessions_positive')),
    sa.ForeignKeyConstraint(['prerequisite_id'], ['courses.id'], name=op.f('fk_courses_prerequisite_id_courses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_prerequisite_id'), ['prerequisite_id'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('enrolment_opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolment_closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_training_sessions_ends_after_start')),
    sa.CheckConstraint('enrolment_closes_at > enrolment_opens_at', name=op.f('ck_training_sessions_window_closes_after_opening')),
    sa.CheckConstraint('seats >= 1', name=op.f('ck_training_sessions_seats_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_sessions_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_starts_at'), ['starts_at'], unique=False)

    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_enrolments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_enrolments_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrolments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_session_id'), ['session_id'], unique=False)
        batch_op.create_index('ix_enrolments_session_status', ['session_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrolments_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_enrolments_live_per_session', ['session_id', 'user_id'], unique=True, sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))

    op.create_table('session_trainers',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_trainers_session_id_training_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_trainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_session_trainers'))
    )
    with op.batch_alter_table('session_trainers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_trainers_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('session_trainers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_trainers_user_id'))

    op.drop_table('session_trainers')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index('uq_enrolments_live_per_session', sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index(batch_op.f('ix_enrolments_user_id'))
        batch_op.drop_index('ix_enrolments_session_status')
        batch_op.drop_index(batch_op.f('ix_enrolments_session_id'))
        batch_op.drop_index(batch_op.f('ix_enrolments_organisation_id'))

    op.drop_table('enrolments')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_starts_at'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_course_id'))

    op.drop_table('training_sessions')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_prerequisite_id'))

    op.drop_table('courses')
