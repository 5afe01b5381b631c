"""Starting, claiming, reporting on and finishing runs; the sweep that gives up on silent workers.

A run is handed to its kind's Celery task only once the transaction that
created it commits (`after_commit`); a broker that refuses it marks it failed
at once (in a transaction of its own, the request's having committed), so it
never blocks the next one. A worker claims a run with a compare-and-set
(queued → running): of two workers handed the same run, one goes ahead.
Progress reports are the heartbeat, and also a compare-and-set: a worker
whose run was handed to another (the sweep thought it dead) learns it
(`RunLost`) and stops.

The sweep hands a run that has shown no sign of life for RUN_STALE_AFTER to
a worker once more, if its kind says the work is safe to do twice and it
has not been handed out twice already; otherwise it marks it failed (STALE).
"""

import logging
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from cade.core.after_commit import after_commit
from cade.core.audit import record_event, record_events
from cade.core.db import utcnow
from cade.core.errors import AlreadyExists, InvalidTransition
from cade.core.runs.kinds import KINDS, get_kind
from cade.core.runs.models import ACTIVE_STATUSES, RUN_MACHINE, Run, RunStatus
from cade.extensions import db

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # handed to a worker at most twice: the first time, and once more after a silent worker
SWEEP_BATCH = 100
ERROR_MAX_CHARS = 300
# Error codes (stored in Run.error) that every kind shares; other errors are one line shown as they are.
ABANDONED = "abandoned"  # no worker would take it (the broker refused), or a newer run replaced a silent one
STALE = "stale"  # the sweep gave up on a worker that went silent
RUN_ERROR_LABELS = {
    ABANDONED: _l("The run stopped before it finished: no worker took it, or the worker stopped. Start a new one."),
    STALE: _l("The run stopped answering and was given up, so it cannot finish. Start a new one."),
}
RUN_STATUS_LABELS = {
    RunStatus.QUEUED: _l("Waiting for a worker"),
    RunStatus.RUNNING: _l("Running"),
    RunStatus.SUCCEEDED: _l("Finished"),
    RunStatus.FAILED: _l("Failed"),
}
# A broker that does not answer must not hold up the request that committed.
_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


class RunLost(Exception):
    """The run is no longer this worker's: the sweep handed it to another, or it was finished meanwhile."""


def scope_of(noun: str, object_id: int) -> str:
    """The scope of runs about one object ("call:12"): at most one of a kind is under way per scope."""
    return f"{noun}:{object_id}"


def stale_after() -> timedelta:
    return current_app.config["RUN_STALE_AFTER"]


def start_run(actor, kind: str, params: dict, *, scope: str | None = None, enqueue: bool = True) -> Run:
    """Queue a run of `kind` for `actor`; hand it to the kind's task once the transaction commits.

    With `enqueue=False` the caller carries the run out itself (in the request).
    With a `scope`, raises AlreadyExists (the kind's `busy` message) while
    another run of the kind and scope is under way; one that has shown no sign
    of life for RUN_STALE_AFTER is marked failed instead and no longer blocks.
    Two callers starting at the same moment must hold a lock on the scope's
    object (reviews lock the call's row) so that only one gets through.
    """
    declared = get_kind(kind)
    now = utcnow()
    if scope is not None:
        for active in db.session.scalars(select(Run).where(Run.kind == kind, Run.scope == scope,
                                                           Run.status.in_(ACTIVE_STATUSES))):
            if (active.heartbeat_at or active.created_at) > now - stale_after():
                raise AlreadyExists(declared.busy)
            fail_run(active, ABANDONED)
    run = Run(kind=kind, scope=scope, params=dict(params), status=RunStatus.QUEUED, progress=0, result={},
              files=[], attempts=1 if enqueue else 0, requested_by_id=getattr(actor, "id", None),
              created_at=now, heartbeat_at=now)
    db.session.add(run)
    db.session.flush()
    record_event(actor, "run.queued", run, after={"kind": kind, "params": run.params})
    if enqueue:
        _enqueue_after_commit(run)
    return run


def claim_run(run: Run) -> bool:
    """queued → running for the worker about to carry `run` out; False if it is not queued (any more)."""
    if run.status != RunStatus.QUEUED:
        return False
    now = utcnow()
    try:
        RUN_MACHINE.move(None, run, RunStatus.RUNNING, started_at=now, heartbeat_at=now)
    except InvalidTransition:
        return False  # another worker claimed it first
    return True


def report_progress(run: Run, progress: int, result: dict | None = None) -> None:
    """Record how far a running run has got (a percentage, at most 99 until it finishes) and that it lives.

    `result`, if given, replaces the partial result the page shows meanwhile.
    Raises RunLost when the run is no longer running (the sweep gave up on it).
    """
    values = {"progress": max(0, min(99, int(progress))), "heartbeat_at": utcnow()}
    if result is not None:
        values["result"] = dict(result)
    changed = db.session.execute(
        update(Run).where(Run.id == run.id, Run.status == RunStatus.RUNNING).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise RunLost(run.id)
    for name, value in values.items():
        set_committed_value(run, name, value)


def finish_run(run: Run, result: dict | None = None, files: list[dict] | None = None) -> Run:
    """running → succeeded, with what the run produced. Raises InvalidTransition if it is not running."""
    values = {"progress": 100, "finished_at": utcnow(), "heartbeat_at": utcnow(), "error": None}
    if result is not None:
        values["result"] = dict(result)
    if files is not None:
        values["files"] = list(files)
    return RUN_MACHINE.move(None, run, RunStatus.SUCCEEDED, **values)


def fail_run(run: Run, error: str) -> Run:
    """queued or running → failed, with an error code of RUN_ERROR_LABELS or one line for the reader."""
    return RUN_MACHINE.move(None, run, RunStatus.FAILED, error=error[:ERROR_MAX_CHARS], finished_at=utcnow())


def describe_error(exc: BaseException) -> str:
    """One line for the run's page ("RuntimeError: planner exploded"); the traceback belongs in the log."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:ERROR_MAX_CHARS]


def latest_run(kind: str, scope: str) -> Run | None:
    return db.session.scalar(select(Run).where(Run.kind == kind, Run.scope == scope)
                             .order_by(Run.id.desc()).limit(1))


def sweep_stale_runs(now: datetime | None = None) -> int:
    """Hand out once more, or fail, every run silent for RUN_STALE_AFTER; return how many were seen to.

    A run comes back to `queued` (or stays there) and is enqueued again when
    the caller commits, if its kind allows a retry and it has been handed out
    fewer than MAX_ATTEMPTS times; otherwise it is marked failed (STALE). A
    run its worker moved meanwhile is left alone.
    """
    now = now or utcnow()
    cutoff = now - stale_after()
    stale = db.session.scalars(
        select(Run).where(Run.status.in_(ACTIVE_STATUSES),
                          or_(Run.heartbeat_at < cutoff, and_(Run.heartbeat_at.is_(None), Run.created_at < cutoff)))
        .order_by(Run.id).limit(SWEEP_BATCH)
    ).all()
    seen = 0
    for run in stale:
        kind = KINDS.get(run.kind)
        try:
            with db.session.begin_nested():
                if kind is not None and kind.retry and run.attempts < MAX_ATTEMPTS:
                    _requeue(run, now)
                else:
                    logger.warning("run %s (%s) silent since %s: marked failed", run.id, run.kind, run.heartbeat_at)
                    fail_run(run, STALE)
        except (InvalidTransition, RunLost):
            continue  # its worker moved it meanwhile: it is alive after all
        seen += 1
    return seen


def _requeue(run: Run, now: datetime) -> None:
    logger.warning("run %s (%s) silent since %s: handed to a worker again", run.id, run.kind, run.heartbeat_at)
    if run.status == RunStatus.RUNNING:
        RUN_MACHINE.move(None, run, RunStatus.QUEUED, heartbeat_at=now, attempts=run.attempts + 1, progress=0,
                         started_at=None)
    else:  # never claimed: the message was lost, or no worker listens; stays queued, handed out again
        changed = db.session.execute(
            update(Run).where(Run.id == run.id, Run.status == RunStatus.QUEUED)
            .values(heartbeat_at=now, attempts=run.attempts + 1).execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise RunLost(run.id)
        set_committed_value(run, "heartbeat_at", now)
        set_committed_value(run, "attempts", run.attempts + 1)
    _enqueue_after_commit(run)


def _enqueue_after_commit(run: Run) -> None:
    run_id, task = run.id, get_kind(run.kind).task
    after_commit(lambda: _send(run_id, task))


def _send(run_id: int, task: str) -> None:
    if not has_app_context():
        logger.warning("run %s: no app context to enqueue it; the sweep will", run_id)
        return
    try:
        current_app.extensions["celery"].send_task(task, args=[run_id], retry=True, retry_policy=_RETRY_POLICY)
    except Exception:  # the broker is down or refused: no worker will ever take this run
        logger.exception("run %s: could not be handed to a worker (%s)", run_id, task)
        _abandon(run_id)


def _abandon(run_id: int) -> None:
    """Mark a queued run no worker will take as failed, so that a new one may start at once.

    Called after the commit that created it, when its session can no longer
    write: one short transaction of its own, audited as any move is.
    """
    runs = Run.__table__
    now = utcnow()
    with db.engine.begin() as connection:
        moved = connection.execute(
            update(runs).where(runs.c.id == run_id, runs.c.status == RunStatus.QUEUED)
            .values(status=RunStatus.FAILED, error=ABANDONED, finished_at=now)
        ).rowcount
        if moved:
            record_events(None, f"run.{RunStatus.FAILED}", "Run",
                          [(run_id, {"status": RunStatus.QUEUED.value}, {"status": RunStatus.FAILED.value})],
                          connection=connection)
