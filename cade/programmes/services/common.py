"""What the programme services share: the lock hooks, permission and loading, audited writes."""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from cade.core.db import get_or_raise  # noqa: F401  (the services of programmes and training import it from here)
from cade.core.audit import record_event
from cade.core.errors import PermissionDenied
from cade.extensions import db
from cade.programmes.models import Call
from cade.programmes.permissions import can_manage_programmes

# Functions `check(call) -> bool` registered by the domains above (see the package docstring).
call_lock_checks: list[Callable[[Call], bool]] = []


def is_call_locked(call: Call) -> bool:
    """True when another domain reports records that pin the call (see `call_lock_checks`)."""
    return any(check(call) for check in call_lock_checks)


# Functions `check(call) -> bool` registered by the domains that score against the rubric.
rubric_lock_checks: list[Callable[[Call], bool]] = []


def is_rubric_locked(call: Call) -> bool:
    """True when another domain reports reviews of the call (see `rubric_lock_checks`)."""
    return any(check(call) for check in rubric_lock_checks)


# Functions `committed(call_id) -> int` registered by the domain that awards money: the amount, in minor units
# of the call's currency, that the call's decisions hold against its budget envelope.
commitment_sources: list[Callable[[int], int]] = []


def committed_in_call(call_id: int) -> int:
    """The amount committed in the call, in minor units (see `commitment_sources`); 0 when nothing is awarded."""
    return sum(source(call_id) for source in commitment_sources)


# Functions `check(call) -> bool` registered by the domains that show applications to reviewers.
blind_review_lock_checks: list[Callable[[Call], bool]] = []


def is_blind_review_locked(call: Call) -> bool:
    """True once a reviewer has opened an application of the call (see `blind_review_lock_checks`)."""
    return any(check(call) for check in blind_review_lock_checks)


def require_admin(actor) -> None:
    if not can_manage_programmes(actor):
        raise PermissionDenied()


def plain(value):
    """A column's value as an audit row holds it (JSON): datetimes in ISO 8601."""
    return value.isoformat() if isinstance(value, datetime) else value


def snapshot(obj, fields: Iterable[str]) -> dict:
    return {field: plain(getattr(obj, field)) for field in fields}


def add_audited(actor, obj, verb: str, fields: Iterable[str]) -> None:
    """Add a new `obj` (flushed, so it has its id) and audit `verb` with its `fields`."""
    db.session.add(obj)
    db.session.flush()
    record_event(actor, verb, obj, None, snapshot(obj, fields))


def change_audited(actor, obj, changes: Mapping[str, Any], verb: str, fields: tuple[str, ...], *,
                   note: Mapping[str, Any] | None = None) -> None:
    """Set `changes` on `obj` (flushed) and audit `verb` with its `fields` before and after (and `note` after)."""
    before = snapshot(obj, fields)
    for name, value in changes.items():
        setattr(obj, name, value)
    db.session.flush()
    record_event(actor, verb, obj, before, {**snapshot(obj, fields), **(note or {})})


