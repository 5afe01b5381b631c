"""Background runs: one `Run` model, one service and one progress page for every kind of job.

A domain declares a `RunKind` (the task that carries a run out, the template
that shows its result) and starts runs through `start_run`; its task claims
the run, reports progress (which is also its heartbeat) and finishes or fails
it. The beat sweep (`runs.sweep_stale`) hands a run whose worker went silent
to a worker once more, or marks it failed, so no run stays "running" for
ever. Everyone follows a run at `/runs/<id>` (cade/core/views.py).
"""

from cade.core.runs.kinds import RunKind, get_kind
from cade.core.runs.models import RUN_MACHINE, Run, RunStatus
from cade.core.runs.permissions import can_view_run
from cade.core.runs.services import (
    ABANDONED,
    RUN_ERROR_LABELS,
    RUN_STATUS_LABELS,
    STALE,
    RunLost,
    claim_run,
    describe_error,
    fail_run,
    finish_run,
    latest_run,
    report_progress,
    scope_of,
    start_run,
    sweep_stale_runs,
)

__all__ = [
    "ABANDONED", "RUN_ERROR_LABELS", "RUN_MACHINE", "RUN_STATUS_LABELS", "STALE", "Run", "RunKind", "RunLost",
    "RunStatus", "can_view_run", "claim_run", "describe_error", "fail_run", "finish_run", "get_kind", "latest_run",
    "report_progress", "scope_of", "start_run", "sweep_stale_runs",
]
