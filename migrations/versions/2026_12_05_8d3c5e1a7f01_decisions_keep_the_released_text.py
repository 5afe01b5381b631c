"""Decisions keep the text the applicant was sent at release

`released_feedback` and `released_comments` hold the feedback and the
reviewers' comments as they went out, so that the applicant's outcome page
no longer reads them live. Decisions already released are filled in from
what release sent then: the decision's feedback and the comments of the
reviews that count (submitted, the reviewer without a declared conflict),
trimmed, empty ones left out, in the order they were submitted. A comment
edited after its release cannot be told apart here: the back-fill keeps the
text as it stands at upgrade, which is what the outcome page showed until now.

Revision ID: 8d3c5e1a7f01
Revises: 5a7e0c1d2b04
Create Date: 2026-12-05 07:10:00

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


revision = '8d3c5e1a7f01'
down_revision = '5a7e0c1d2b04'
branch_labels = None
depends_on = None

# The tables as this revision sees them (never the app's models, which move on).
decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer),
                     sa.column('status', sa.String), sa.column('feedback', sa.Text),
                     sa.column('released_feedback', sa.Text), sa.column('released_comments', sa.JSON))
reviews = sa.table('reviews', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer),
                   sa.column('reviewer_id', sa.Integer), sa.column('status', sa.String),
                   sa.column('comment_to_applicant', sa.Text), sa.column('submitted_at', sa.DateTime))
conflict_declarations = sa.table('conflict_declarations', sa.column('application_id', sa.Integer),
                                 sa.column('reviewer_id', sa.Integer), sa.column('has_conflict', sa.Boolean))


def upgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('released_feedback', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('released_comments', sa.JSON(), nullable=True))

    released = decisions.c.status != 'decided'
    op.execute(decisions.update().where(released).values(released_feedback=decisions.c.feedback))
    conn = op.get_bind()
    conflicted = sa.exists().where(conflict_declarations.c.application_id == reviews.c.application_id,
                                   conflict_declarations.c.reviewer_id == reviews.c.reviewer_id,
                                   conflict_declarations.c.has_conflict.is_(True))
    comments = defaultdict(list)
    for application_id, comment in conn.execute(
            sa.select(reviews.c.application_id, reviews.c.comment_to_applicant)
            .where(reviews.c.application_id.in_(sa.select(decisions.c.application_id).where(released)),
                   reviews.c.status == 'submitted', ~conflicted)
            .order_by(reviews.c.application_id, reviews.c.submitted_at, reviews.c.id)):
        if comment and comment.strip():
            comments[application_id].append(comment.strip())
    rows = [{'decision_id': decision_id, 'comments': comments.get(application_id, [])}
            for decision_id, application_id in conn.execute(
                sa.select(decisions.c.id, decisions.c.application_id).where(released))]
    if rows:
        conn.execute(decisions.update().where(decisions.c.id == sa.bindparam('decision_id'))
                     .values(released_comments=sa.bindparam('comments', type_=sa.JSON)), rows)


def downgrade():
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('released_comments')
        batch_op.drop_column('released_feedback')
