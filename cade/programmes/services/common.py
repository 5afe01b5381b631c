"""What the programme services share: the lock hooks, permission and loading, audited writes."""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from cade.core.audit import record_event
from cade.core.errors import NotFound, PermissionDenied
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


def require_admin(actor) -> None:
    if not can_manage_programmes(actor):
        raise PermissionDenied()


def snapshot(obj, fields: Iterable[str]) -> dict:
    out = {}
    for field in fields:
        value = getattr(obj, field)
        out[field] = value.isoformat() if isinstance(value, datetime) else value
    return out


def add_audited(actor, obj, verb: str, fields: Iterable[str]) -> None:
    """Add a new `obj` (flushed, so it has its id) and audit `verb` with its `fields`."""
    db.session.add(obj)
    db.session.flush()
    record_event(actor, verb, obj, None, snapshot(obj, fields))


def change_audited(actor, obj, changes: Mapping[str, Any], verb: str, fields: tuple[str, ...]) -> None:
    """Set `changes` on `obj` (flushed) and audit `verb` with its `fields` before and after."""
    before = snapshot(obj, fields)
    for name, value in changes.items():
        setattr(obj, name, value)
    db.session.flush()
    record_event(actor, verb, obj, before, snapshot(obj, fields))


def get_or_raise(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        raise NotFound()
    return obj
