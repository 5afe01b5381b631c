"""One runs table for every background job; assignment runs move into it

Every assignment_runs row becomes a runs row of kind "assignment" with the
same id (so old links still find it), its call in params and scope, its
assigned count and uncovered applications in result, and status "done"
renamed "succeeded". The downgrade moves assignment runs back; runs of any
other kind have no table to go to and are dropped with `runs`.

Revision ID: 5a7e0c1d2b02
Revises: 5a7e0c1d2b01
Create Date: 2026-12-05 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5a7e0c1d2b02'
down_revision = '5a7e0c1d2b01'
branch_labels = None
depends_on = None

_TIMES = ('created_at', 'started_at', 'finished_at')


def _assignment_runs_table(create: bool):
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('assigned_count', sa.Integer(), nullable=False),
        sa.Column('uncovered', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    ]
    if not create:
        return sa.table('assignment_runs', *(sa.column(c.name, c.type) for c in columns))
    table = op.create_table(
        'assignment_runs', *columns,
        sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_assignment_runs_call_id_calls'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'],
                                name=op.f('fk_assignment_runs_requested_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_runs')),
    )
    with op.batch_alter_table('assignment_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_runs_call_id'), ['call_id'], unique=False)
    return table


def _runs_table(create: bool):
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('scope', sa.String(length=64), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    ]
    if not create:
        return sa.table('runs', *(sa.column(c.name, c.type) for c in columns))
    table = op.create_table(
        'runs', *columns,
        sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_runs_requested_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_runs')),
    )
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_runs_scope'), ['scope'], unique=False)
        batch_op.create_index(batch_op.f('ix_runs_status'), ['status'], unique=False)
    return table


def _fix_sequence(table: str) -> None:
    """Copied ids were given explicitly: PostgreSQL's sequence must start after them."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))


def upgrade():
    runs = _runs_table(create=True)
    old = _assignment_runs_table(create=False)
    rows = [{
        'id': row.id, 'kind': 'assignment', 'scope': f'call:{row.call_id}', 'params': {'call_id': row.call_id},
        'status': 'succeeded' if row.status == 'done' else row.status, 'progress': row.progress,
        'result': {'assigned_count': row.assigned_count, 'uncovered': row.uncovered or []}, 'files': [],
        'error': row.error, 'attempts': 1, 'requested_by_id': row.requested_by_id,
        **{name: getattr(row, name) for name in _TIMES},
        'heartbeat_at': row.finished_at or row.started_at or row.created_at,
    } for row in op.get_bind().execute(sa.select(old).order_by(old.c.id))]
    if rows:
        op.bulk_insert(runs, rows)
    _fix_sequence('runs')
    with op.batch_alter_table('assignment_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_runs_call_id'))
    op.drop_table('assignment_runs')


def downgrade():
    old = _assignment_runs_table(create=True)
    runs = _runs_table(create=False)
    calls = sa.table('calls', sa.column('id', sa.Integer()))
    known_calls = {call_id for (call_id,) in op.get_bind().execute(sa.select(calls.c.id))}
    rows = []
    for row in op.get_bind().execute(sa.select(runs).where(runs.c.kind == 'assignment').order_by(runs.c.id)):
        call_id = (row.params or {}).get('call_id')
        if call_id not in known_calls:
            continue  # the call was deleted meanwhile: assignment_runs cascades, so it would be gone too
        result = row.result or {}
        rows.append({
            'id': row.id, 'call_id': call_id, 'requested_by_id': row.requested_by_id,
            'status': 'done' if row.status == 'succeeded' else row.status, 'progress': row.progress,
            'assigned_count': result.get('assigned_count', 0), 'uncovered': result.get('uncovered', []),
            'error': row.error, **{name: getattr(row, name) for name in _TIMES},
        })
    if rows:
        op.bulk_insert(old, rows)
    _fix_sequence('assignment_runs')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_status'))
        batch_op.drop_index(batch_op.f('ix_runs_scope'))
    op.drop_table('runs')
