"""The numbers a call gives its published answers and its notices: 1, 2, 3 … per call, with no gap and no repeat.

A number is taken under the call's row lock, as the next after the highest already given, in the transaction
that publishes. Two admins publishing at once queue on the lock; the second reads the first one's number once
it has committed, so neither collides (the unique (call_id, number) constraint would refuse it anyway). Nothing
published is ever unpublished, so no gap opens afterwards; a correction keeps its number.
"""

from sqlalchemy import func, select

from cade.core.db import lock_row
from cade.extensions import db
from cade.programmes.models import Call


def lock_call(call_id: int) -> None:
    """Hold the call's row until the transaction ends: numbers and the deadline change one writer at a time."""
    lock_row(Call, call_id)


def next_number(model, call_id: int) -> int:
    """The next number of `model` (CallQuestion or CallNotice) in the call; call `lock_call` first."""
    highest = db.session.scalar(select(func.max(model.number)).where(model.call_id == call_id))
    return (highest or 0) + 1
