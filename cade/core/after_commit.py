"""Work that must wait for the transaction it depends on: `after_commit(fn)` and `on_rollback(fn)`.

A service that wants something done outside the database (enqueue a task,
delete a file) registers it here; the boundary that commits does not need to
know. `after_commit` runs `fn` once the *outermost* transaction commits, and
forgets it if the transaction, or the savepoint that was open when it was
registered, rolls back: nothing happens for a change that did not happen.
`on_rollback` is the mirror: `fn` runs when the savepoint or transaction that
was open when it was registered rolls back (or the session closes without
committing), and is forgotten at commit.

Callbacks run in registration order, those registered with `last=True`
after all the others: a `last` callback belongs to the outermost
transaction, so it can gather what the other callbacks of the commit handed
over (the outbox publishes a commit's rows in one message). One that raises is logged and does not
stop the others: the database work has already committed (or rolled back), so
there is no one left to tell but the log; callers that must not lose work
(the outbox) keep a durable record the periodic sweep picks up.
"""

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

logger = logging.getLogger(__name__)

_KEY = "cade.after_commit"
_COMMIT, _COMMIT_LAST, _ROLLBACK = "commit", "commit-last", "rollback"


def after_commit(fn: Callable[[], object], session: Session | scoped_session | None = None, *,
                 last: bool = False) -> None:
    """Run `fn()` when the outermost transaction commits; drop it if its (sub)transaction rolls back.

    With `last`, `fn()` runs after every other callback of that commit, and
    only the outermost transaction's rollback drops it.
    """
    _register(_COMMIT_LAST if last else _COMMIT, fn, session, outermost=last)


def on_rollback(fn: Callable[[], object], session: Session | scoped_session | None = None) -> None:
    """Run `fn()` if the (sub)transaction now open rolls back; drop it when the outermost one commits."""
    _register(_ROLLBACK, fn, session)


def init_app(app) -> None:
    """Listen on every Session (once per process, whatever the number of apps)."""
    for name, listener in _LISTENERS.items():
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _register(kind: str, fn, session, outermost: bool = False) -> None:
    if session is None:
        from cade.extensions import db

        session = db.session
    if isinstance(session, scoped_session):
        session = session()
    # Begin now if nothing is open, so that the callback belongs to the transaction the caller is in.
    nested = None if outermost else session.get_nested_transaction()
    owner = nested or session.get_transaction() or session.begin()
    session.info.setdefault(_KEY, []).append((kind, fn, owner))


def _run(entries, kind: str) -> None:
    for entry_kind, fn, _owner in entries:
        if entry_kind != kind:
            continue
        try:
            fn()
        except Exception:
            logger.exception("after %s: %r failed", kind, fn)


def _after_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction may still roll back
    entries = session.info.pop(_KEY, ())
    _run(entries, _COMMIT)
    _run(entries, _COMMIT_LAST)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    entries = session.info.get(_KEY)
    if not entries:
        return
    undone = [e for e in entries if _within(e[2], previous_transaction)]
    session.info[_KEY] = [e for e in entries if not _within(e[2], previous_transaction)]
    _run(undone, _ROLLBACK)


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        # The outermost transaction ended without a commit (closed, or rolled back).
        _run(session.info.pop(_KEY, ()), _ROLLBACK)


def _within(owner: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while owner is not None:
        if owner is ancestor:
            return True
        owner = owner.parent
    return False


_LISTENERS = {
    "after_commit": _after_commit,
    "after_soft_rollback": _after_soft_rollback,
    "after_transaction_end": _after_transaction_end,
}
