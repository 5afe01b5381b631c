"""The `runs` table: one row per background job of any kind, and the status machine it moves through."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cade.core.db import UTCDateTime, utcnow
from cade.core.states import StateMachine
from cade.extensions import db


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class Run(db.Model):
    """One background job: what was asked (kind, params), how far it got, and what came of it."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # a registered RunKind: "assignment"
    # What the run is about, for "one at a time" ("call:12"); None when runs of the kind may overlap.
    scope: Mapped[str | None] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the kind's template shows
    # Files the run produced, kept through cade.core.storage: [{"stored_name", "name", "content_type", "size"}]
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)  # a code of RUN_ERROR_LABELS, or one line for the reader
    attempts: Mapped[int] = mapped_column(default=0)  # times handed to a worker
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last sign of life: queued (handed out), claimed, or progress reported. The sweep reads it.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


RUN_MACHINE = StateMachine(
    noun="run", model=Run, statuses=RunStatus, initial=RunStatus.QUEUED,
    transitions={
        RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.FAILED},
        # Back to queued: the worker went silent and the sweep hands the run out once more.
        RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.QUEUED},
        RunStatus.SUCCEEDED: set(),
        RunStatus.FAILED: set(),
    },
    description="A background job (automatic assignment, report compilation, export): `cade/core/runs/`.",
)
