"""Ranking kept figures (issue 18): the ranking's order in one index, a call's award figures in one row.

- application_scores.reference: the application's reference, the ranking's
  tie-break, beside the scores, so that the index on (call_id, score DESC,
  reference, application_id) holds the whole order and the first page walks
  it instead of sorting the call. The four sort indexes take that shape.
- call_award_figures: per call, the decisions waiting for release and the
  committed amounts by region and by stakeholder group, kept by
  cade/awards/services/figures.py; computed here for the decisions there are.
- applications (call_id, status), carrying the requested amount on
  PostgreSQL: the ranking's count and requested total without the table.

Revision ID: e4f5a6b7c8d9
Revises: d2e3f4a5b6c7
Create Date: 2026-12-06 09:12:31.508114

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4f5a6b7c8d9'
down_revision = 'd2e3f4a5b6c7'
branch_labels = None
depends_on = None

SORT_COLUMNS = {'mean': 'mean_score', 'median': 'median_score', 'normalised': 'normalised_score',
                'reviews': 'review_count'}
# As cade/awards/constants.py has them today: a data migration does not import the application.
COMMITTING_STATUSES = ('decided', 'released', 'accepted')
RELEASABLE_STATUSES = ('decided',)
IN_REVIEW_STATUSES = ('submitted', 'under_review', 'info_requested')

applications = sa.table('applications', sa.column('id', sa.Integer), sa.column('call_id', sa.Integer),
                        sa.column('organisation_id', sa.Integer), sa.column('status', sa.String),
                        sa.column('reference', sa.String), sa.column('org_region_code', sa.String),
                        sa.column('org_stakeholder_group', sa.String))
organisations = sa.table('organisations', sa.column('id', sa.Integer), sa.column('region_code', sa.String),
                         sa.column('stakeholder_group', sa.String))
decisions = sa.table('decisions', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer),
                     sa.column('call_id', sa.Integer), sa.column('outcome', sa.String),
                     sa.column('amount_minor', sa.BigInteger), sa.column('status', sa.String))
scores = sa.table('application_scores', sa.column('application_id', sa.Integer), sa.column('reference', sa.String))


def upgrade():
    with op.batch_alter_table('application_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=60), nullable=True))
    op.execute(scores.update().values(reference=sa.select(applications.c.reference)
                                      .where(applications.c.id == scores.c.application_id).scalar_subquery()))
    for name, column in SORT_COLUMNS.items():
        op.drop_index(f'ix_application_scores_call_{name}', table_name='application_scores')
        op.create_index(f'ix_application_scores_call_{name}', 'application_scores',
                        ['call_id', sa.text(f'{column} DESC'), 'reference', 'application_id'], unique=False)

    figures = op.create_table('call_award_figures',
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('waiting_count', sa.Integer(), nullable=False),
    sa.Column('by_region', sa.JSON(), nullable=False),
    sa.Column('by_stakeholder_group', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_award_figures_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', name=op.f('pk_call_award_figures'))
    )
    op.bulk_insert(figures, _award_figures(op.get_bind()))

    op.create_index('ix_applications_call_status', 'applications', ['call_id', 'status'], unique=False,
                    postgresql_include=['requested_amount_minor'])


def _award_figures(connection) -> list[dict]:
    """Each call's figures from its decisions, as cade/awards/services/figures.py computes them."""
    # Every call with a decision gets a row, as keeping leaves it.
    rows = {call_id: {'waiting_count': 0, 'by_region': defaultdict(int), 'by_stakeholder_group': defaultdict(int)}
            for (call_id,) in connection.execute(sa.select(decisions.c.call_id).distinct())}
    region = sa.func.coalesce(applications.c.org_region_code, organisations.c.region_code)
    group = sa.func.coalesce(applications.c.org_stakeholder_group, organisations.c.stakeholder_group)
    committed = connection.execute(
        sa.select(decisions.c.call_id, region, group, sa.func.sum(decisions.c.amount_minor))
        .select_from(decisions.join(applications, applications.c.id == decisions.c.application_id)
                     .join(organisations, organisations.c.id == applications.c.organisation_id))
        .where(decisions.c.outcome == 'award', decisions.c.status.in_(COMMITTING_STATUSES))
        .group_by(decisions.c.call_id, region, group))
    for call_id, region_code, group_code, amount in committed:
        rows[call_id]['by_region'][region_code] += int(amount or 0)
        rows[call_id]['by_stakeholder_group'][group_code] += int(amount or 0)
    waiting = connection.execute(
        sa.select(decisions.c.call_id, sa.func.count(decisions.c.id))
        .select_from(decisions.join(applications, applications.c.id == decisions.c.application_id))
        .where(applications.c.call_id == decisions.c.call_id, applications.c.status.in_(IN_REVIEW_STATUSES),
               decisions.c.status.in_(RELEASABLE_STATUSES))
        .group_by(decisions.c.call_id))
    for call_id, count in waiting:
        rows[call_id]['waiting_count'] = count
    return [{'call_id': call_id, 'waiting_count': row['waiting_count'], 'by_region': dict(row['by_region']),
             'by_stakeholder_group': dict(row['by_stakeholder_group'])} for call_id, row in sorted(rows.items())]


def downgrade():
    op.drop_index('ix_applications_call_status', table_name='applications')
    op.drop_table('call_award_figures')
    for name, column in SORT_COLUMNS.items():
        op.drop_index(f'ix_application_scores_call_{name}', table_name='application_scores')
        op.create_index(f'ix_application_scores_call_{name}', 'application_scores', ['call_id', column],
                        unique=False)
    with op.batch_alter_table('application_scores', schema=None) as batch_op:
        batch_op.drop_column('reference')
