"""Programmes: create and change them; the currency is fixed once a call exists."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.audit import record_event
from cade.core.errors import ValidationFailed
from cade.core.money import is_currency
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call, Programme
from cade.programmes.services.common import (
    FieldErrors,
    clean_text,
    get_or_raise,
    reject_unknown,
    require_admin,
    snapshot,
)

PROGRAMME_FIELDS = ("name", "kind", "description", "funder_name", "funder_identifier", "currency")



def _clean_programme(data: dict) -> dict:
    errors = FieldErrors()
    values = {
        "name": clean_text(data, "name", errors, max_len=200, required=True),
        "description": clean_text(data, "description", errors, max_len=20_000),
        "funder_name": clean_text(data, "funder_name", errors, max_len=200, required=True),
        "funder_identifier": clean_text(data, "funder_identifier", errors, max_len=100),
        "kind": data.get("kind"),
        "currency": (data.get("currency") or "").strip().upper(),
    }
    if values["kind"] not in set(ProgrammeKind):
        errors.add("kind", _l("Choose a kind of programme."))
    if not is_currency(values["currency"]):
        errors.add("currency", _l("Enter an ISO 4217 currency code such as USD or EUR."))
    errors.raise_if_any()
    return values


def create_programme(actor, **data) -> Programme:
    """Create a programme. Raises PermissionDenied, ValidationFailed."""
    require_admin(actor)
    reject_unknown(data, PROGRAMME_FIELDS)
    programme = Programme(**_clean_programme(data))
    db.session.add(programme)
    db.session.flush()
    record_event(actor, "programme.created", programme, None, snapshot(programme, PROGRAMME_FIELDS))
    return programme


def update_programme(actor, programme_id: int, **changes) -> Programme:
    """Change a programme; its currency is fixed once it has a call.

    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    reject_unknown(changes, PROGRAMME_FIELDS)
    programme = get_or_raise(Programme, programme_id)
    before = snapshot(programme, PROGRAMME_FIELDS)
    values = _clean_programme({**before, **changes})
    # Every amount of a call is in its programme's currency (cade/core/money.py says why):
    # changing it would re-denominate money already recorded.
    if values["currency"] != programme.currency:
        has_calls = db.session.scalar(select(func.count(Call.id)).where(Call.programme_id == programme.id))
        if has_calls:
            raise ValidationFailed({"currency": [_l("The currency cannot change once the programme has a call.")]})
    for field, value in values.items():
        setattr(programme, field, value)
    db.session.flush()
    record_event(actor, "programme.updated", programme, before, snapshot(programme, PROGRAMME_FIELDS))
    return programme
