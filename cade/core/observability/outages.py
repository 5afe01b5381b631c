"""Which database errors mean "the database cannot be reached now", as opposed to a fault in our code.

The first kind gets a 503 that asks the person to try again in a minute
(cade/core/views.py); the second stays a 500 and an error report. A missing
table or a broken query is ours to fix and must not hide behind "try again".
"""

import sqlite3

from sqlalchemy.exc import DBAPIError

# PostgreSQL SQLSTATEs of a server that is going away, starting, or full (class 08 is every connection failure).
UNAVAILABLE_SQLSTATES = frozenset({
    "57P01",  # admin_shutdown: the server is stopping (a restart)
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now: the server is starting up or recovering
    "53300",  # too_many_connections
})
# SQLite: the file cannot be opened or written, or another process holds the lock past the busy timeout.
SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR")


def is_database_unavailable(error: BaseException | None) -> bool:
    """True if `error` says the database cannot be reached or is not taking work now."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection die under it
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        name = getattr(original, "sqlite_errorname", "")
        return name.startswith(SQLITE_UNAVAILABLE) or "unable to open database" in str(original)
    if type(original).__module__.split(".")[0] != "psycopg":
        return False
    import psycopg

    if not isinstance(original, psycopg.OperationalError):
        return False
    # No SQLSTATE: the client gave up (refused, timed out, the line dropped) before the server said anything.
    sqlstate = getattr(original, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in UNAVAILABLE_SQLSTATES
