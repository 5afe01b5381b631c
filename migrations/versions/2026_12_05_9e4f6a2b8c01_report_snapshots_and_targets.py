"""Applications keep their organisation's facts at submission; decisions their currency; representation targets

Reports count by what the organisation's profile said when it applied
(country, region, sub-region, stakeholder group, type, the UN country lists,
focus areas, first application or not), so a profile edited later does not
rewrite them. Applications submitted before this revision are filled in from
the profile as it stands at upgrade (the best there is); "first time" from
the order of submission. Decisions keep the currency of their call.

Revision ID: 9e4f6a2b8c01
Revises: 8d3c5e1a7f01
Create Date: 2026-12-05 08:40:00

"""
import csv
from collections import defaultdict
from pathlib import Path

from alembic import op
import sqlalchemy as sa


revision = '9e4f6a2b8c01'
down_revision = '8d3c5e1a7f01'
branch_labels = None
depends_on = None

# The UN lists by country, read from the data file this revision shipped with.
M49 = Path(__file__).resolve().parents[2] / "cade" / "core" / "data" / "m49.csv"

applications = sa.table('applications', sa.column('id', sa.Integer), sa.column('organisation_id', sa.Integer),
                        sa.column('submitted_at', sa.DateTime))
organisations = sa.table('organisations', sa.column('id', sa.Integer), sa.column('focus_areas', sa.JSON))
focus = sa.table('application_focus_areas', sa.column('application_id', sa.Integer),
                 sa.column('focus_area', sa.String))


def _lists() -> dict[str, list[str]]:
    found = defaultdict(list)
    with M49.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for name in ("ldc", "lldc", "sids"):
                if row[name] == "1":
                    found[name].append(row["iso_alpha2"])
    return found


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('org_region_code', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('org_subregion_code', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('org_stakeholder_group', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('org_type', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('org_ldc', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('org_lldc', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('org_sids', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('org_first_time', sa.Boolean(), nullable=True))
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=True))
    op.create_table(
        'application_focus_areas',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('focus_area', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('application_id', 'focus_area'),
    )
    op.create_table(
        'representation_targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('dimension', sa.String(length=32), nullable=False),
        sa.Column('value', sa.String(length=32), nullable=False),
        sa.Column('target_share', sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column('baseline_share', sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column('baseline_source', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('programme_id', 'dimension', 'value', name='uq_representation_target'),
    )
    op.create_index('ix_representation_targets_programme_id', 'representation_targets', ['programme_id'])
    _backfill()


def _backfill():
    op.execute("""
        UPDATE applications SET
          org_country = (SELECT o.country FROM organisations o WHERE o.id = applications.organisation_id),
          org_region_code = (SELECT o.region_code FROM organisations o WHERE o.id = applications.organisation_id),
          org_subregion_code = (SELECT o.subregion_code FROM organisations o
                                WHERE o.id = applications.organisation_id),
          org_stakeholder_group = (SELECT o.stakeholder_group FROM organisations o
                                   WHERE o.id = applications.organisation_id),
          org_type = (SELECT o.organisation_type FROM organisations o WHERE o.id = applications.organisation_id)
        WHERE submitted_at IS NOT NULL
    """)
    lists = _lists()
    connection = op.get_bind()
    for name in ("ldc", "lldc", "sids"):
        countries = lists.get(name) or ["--"]
        connection.execute(sa.text(f"UPDATE applications SET org_{name} = (org_country IN :countries) "
                                   "WHERE submitted_at IS NOT NULL").bindparams(
            sa.bindparam("countries", expanding=True)), {"countries": countries})
    op.execute("""
        UPDATE applications SET org_first_time = NOT EXISTS (
          SELECT 1 FROM applications earlier
          WHERE earlier.organisation_id = applications.organisation_id AND earlier.id != applications.id
            AND earlier.submitted_at < applications.submitted_at)
        WHERE submitted_at IS NOT NULL
    """)
    op.execute("""
        UPDATE decisions SET currency = (
          SELECT p.currency FROM calls c JOIN programmes p ON p.id = c.programme_id WHERE c.id = decisions.call_id)
    """)
    areas = {row.id: row.focus_areas or [] for row in connection.execute(sa.select(organisations))}
    rows = [{"application_id": row.id, "focus_area": area}
            for row in connection.execute(sa.select(applications.c.id, applications.c.organisation_id)
                                          .where(applications.c.submitted_at.is_not(None)))
            for area in dict.fromkeys(areas.get(row.organisation_id, []))]
    if rows:
        op.bulk_insert(focus, rows)


def downgrade():
    op.drop_index('ix_representation_targets_programme_id', table_name='representation_targets')
    op.drop_table('representation_targets')
    op.drop_table('application_focus_areas')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('currency')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        for name in ('org_first_time', 'org_sids', 'org_lldc', 'org_ldc', 'org_type', 'org_stakeholder_group',
                     'org_subregion_code', 'org_region_code', 'org_country'):
            batch_op.drop_column(name)
