"""Running actions at the same moment on separate connections, as two web workers would."""

import threading

from sqlalchemy import event

from cade.core.errors import DomainError
from cade.extensions import db as _db


def run_side_by_side(app, actions, pause_after):
    """Run each action in its own thread, app context and connection, committing what succeeds.

    Each thread waits (briefly) for the other right after running a statement
    containing `pause_after`: without a lock both read the same state before
    either writes; with one, the second waits for the lock and the pause
    simply times out.
    """
    barrier = threading.Barrier(len(actions))
    workers = set()
    outcomes = [None] * len(actions)

    def pause(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() in workers and pause_after in statement.lower():
            try:
                barrier.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass

    def run(index, action):
        workers.add(threading.get_ident())
        with app.app_context():
            try:
                action()
                _db.session.commit()
                outcomes[index] = "done"
            except DomainError as exc:
                _db.session.rollback()
                outcomes[index] = exc
            finally:
                _db.session.remove()

    engine = _db.engine
    event.listen(engine, "after_cursor_execute", pause)
    try:
        threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "after_cursor_execute", pause)
    return outcomes
