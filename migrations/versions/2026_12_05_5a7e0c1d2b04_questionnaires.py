"""Questions belong to a questionnaire, which a call (and later other owners) holds

Every call gets a questionnaire of its own and its questions move onto it, in
the same order; `questions.call_id` gives way to `questions.questionnaire_id`
and the call points at its questionnaire through `calls.questionnaire_id`.
Downgrading moves the questions back onto their calls and drops the
questionnaires (questions of a questionnaire that no call holds have nowhere
to go back to and are deleted with it).

Revision ID: 5a7e0c1d2b04
Revises: 5a7e0c1d2b03
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a7e0c1d2b04'
down_revision = '5a7e0c1d2b03'
branch_labels = None
depends_on = None

CALL_APPLICATION = 'call_application'

# The tables as this revision sees them (never the app's models, which move on).
questionnaires = sa.table('questionnaires', sa.column('id', sa.Integer), sa.column('purpose', sa.String))
calls = sa.table('calls', sa.column('id', sa.Integer), sa.column('questionnaire_id', sa.Integer))
questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('call_id', sa.Integer),
                     sa.column('questionnaire_id', sa.Integer))


def upgrade():
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questionnaire_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questionnaire_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    for (call_id,) in bind.execute(sa.select(calls.c.id).order_by(calls.c.id)).all():
        questionnaire_id = bind.execute(
            questionnaires.insert().values(purpose=CALL_APPLICATION).returning(questionnaires.c.id)).scalar_one()
        bind.execute(calls.update().where(calls.c.id == call_id).values(questionnaire_id=questionnaire_id))
        bind.execute(questions.update().where(questions.c.call_id == call_id)
                     .values(questionnaire_id=questionnaire_id))

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.alter_column('questionnaire_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_calls_questionnaire_id'), ['questionnaire_id'])
        batch_op.create_foreign_key(batch_op.f('fk_calls_questionnaire_id_questionnaires'), 'questionnaires',
                                    ['questionnaire_id'], ['id'])
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.alter_column('questionnaire_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_questions_call_id'))
        batch_op.drop_constraint(batch_op.f('fk_questions_call_id_calls'), type_='foreignkey')
        batch_op.create_index(batch_op.f('ix_questions_questionnaire_id'), ['questionnaire_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_questions_questionnaire_id_questionnaires'), 'questionnaires',
                                    ['questionnaire_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('call_id')


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    owner = sa.select(calls.c.id).where(calls.c.questionnaire_id == questions.c.questionnaire_id).scalar_subquery()
    bind.execute(questions.update().values(call_id=owner))
    bind.execute(questions.delete().where(questions.c.call_id.is_(None)))

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.alter_column('call_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_questions_questionnaire_id_questionnaires'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questions_questionnaire_id'))
        batch_op.create_index(batch_op.f('ix_questions_call_id'), ['call_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_questions_call_id_calls'), 'calls', ['call_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.drop_column('questionnaire_id')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_calls_questionnaire_id_questionnaires'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_calls_questionnaire_id'), type_='unique')
        batch_op.drop_column('questionnaire_id')
    op.drop_table('questionnaires')
