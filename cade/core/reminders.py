"""Every reminder sweep of the domains, for `flask --app wsgi send-reminders` (the beat runs each on its own).

A sweep is a function that queues the reminders due now and returns how many
it queued (or a dict of counts); each sends nothing twice (idempotency keys),
so running them as often as one likes is safe. Domains' sweeps are added from
cade/wiring.py, so core imports no domain.
"""

from collections.abc import Callable

Sweep = Callable[[], int | dict]

sweeps: dict[str, Sweep] = {}


def register_sweep(name: str, sweep: Sweep) -> None:
    sweeps.setdefault(name, sweep)


def run_sweeps() -> dict[str, int]:
    """Run every sweep in the order registered; {name: reminders queued}. Flushes, never commits."""
    counts = {}
    for name, sweep in sweeps.items():
        queued = sweep()
        counts[name] = sum(queued.values()) if isinstance(queued, dict) else int(queued or 0)
    return counts
