"""The kinds of run: each names the task that carries a run out and the template that shows its result.

A domain declares its kind once, beside the service that does the work
(`cade/reviews/services/runs.py` declares "assignment"); declaring it
registers it, as a StateMachine is, so core never imports a domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cade.core.runs.models import Run

KINDS: dict[str, RunKind] = {}


def _nothing(run: Run) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, eq=False)
class RunKind:
    """One kind of background job.

    `task` is the Celery task name a run is enqueued to (it takes the run id).
    `template` renders the kind's part of the progress page, with `run` and
    what `context(run)` returns (objects the page shows, loaded by key; a
    `zone` there is the time zone its times are shown in). `busy` is the
    refusal when a run of the same scope is already under way. `retry` says
    whether a run whose worker died may be handed out once more (the work is
    safe to do twice); otherwise it is marked failed.
    """

    name: str
    task: str
    label: Any  # a lazy string: the page's title
    template: str
    busy: Any = None
    context: Callable[[Run], dict[str, Any]] = field(default=_nothing)
    error_labels: dict[str, Any] = field(default_factory=dict)
    retry: bool = True
    register: bool = True  # False for a throw-away kind (tests)

    def __post_init__(self):
        if self.register:
            if self.name in KINDS:
                raise ValueError(f"a run kind {self.name!r} is already declared")
            KINDS[self.name] = self


def get_kind(name: str) -> RunKind:
    """The declared kind `name`; KeyError for a kind no module declared."""
    return KINDS[name]
