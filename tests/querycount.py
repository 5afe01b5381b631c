"""Counting the SQL statements a piece of code runs, for the "fixed number of queries" tests."""

from sqlalchemy import event

from cade.extensions import db


def count_statements(run):
    """Call `run()` and return (its result, how many SQL statements it sent).

    Savepoints are bookkeeping, not queries: they are not counted.
    """
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return result, len([s for s in statements if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])
