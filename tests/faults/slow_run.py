"""A run kind that is slow on purpose, so that a test can kill its worker in the middle.

It goes through the same steps as a report compile (cade/reports/services/runs.py): claim the run,
report progress (the heartbeat the stale sweep reads) and commit after each step, then finish. Its
params say how many steps and how long each takes; `retry=True` as for reports.
"""

import time

from celery import shared_task

from cade.core.runs import RunKind, RunLost, claim_run, finish_run, report_progress
from cade.core.runs.kinds import KINDS
from cade.core.runs.models import Run
from cade.extensions import db

KIND = "faults_slow"
TASK = "faults.slow_run"


def declare() -> RunKind:
    """Declare the kind in this process (the worker, and the test that starts and sweeps runs)."""
    KINDS.pop(KIND, None)
    return RunKind(name=KIND, task=TASK, label="Slow run", template="runs/_status.html", retry=True)


@shared_task(name=TASK, ignore_result=True, max_retries=0)
def slow_run(run_id: int) -> str:
    run = db.session.get(Run, run_id)
    if run is None or not claim_run(run):
        return "skipped"
    db.session.commit()
    steps, delay = int(run.params["steps"]), float(run.params["delay"])
    try:
        for step in range(1, steps + 1):
            time.sleep(delay)
            report_progress(run, step * 100 // (steps + 1))
            db.session.commit()
    except RunLost:
        return "lost"
    finish_run(run, result={"steps": steps})
    db.session.commit()
    return "finished"
