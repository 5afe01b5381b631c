"""Training: resources (foundational papers and course materials, files or links)

One row per resource: title, description, language, kind file or link; a
file's stored name, original name, checked content type, size and sha256; a
link's address and the size the admin states (bytes, may be empty); its
course (may be empty: library only), whether the library shows it, whether
it downloads without an account, who added it and when.

Revision ID: e7f8a9b0c1d2
Revises: d5e6f7a8b9c0
Create Date: 2026-12-05 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7f8a9b0c1d2'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('training_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('in_library', sa.Boolean(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('file', 'link')", name=op.f('ck_training_resources_kind_known')),
    sa.CheckConstraint("kind <> 'file' OR stored_name IS NOT NULL", name=op.f('ck_training_resources_file_is_stored')),
    sa.CheckConstraint("kind <> 'link' OR url IS NOT NULL", name=op.f('ck_training_resources_link_has_url')),
    sa.CheckConstraint('size IS NULL OR size >= 0', name=op.f('ck_training_resources_size_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_resources_course_id_courses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_resources_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_resources'))
    )
    with op.batch_alter_table('training_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_resources_course_id'), ['course_id'], unique=False)


def downgrade():
    with op.batch_alter_table('training_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_resources_course_id'))
    op.drop_table('training_resources')
