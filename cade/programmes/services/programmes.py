"""Programmes: create and change them; the currency is fixed once a call exists."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.commands import Choice, Command, Currency, Text, field
from cade.core.errors import ValidationFailed
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call, Programme
from cade.programmes.services.common import add_audited, change_audited, get_or_raise, require_admin

PROGRAMME_FIELDS = ("name", "kind", "description", "funder_name", "funder_identifier", "currency")


@dataclass(frozen=True)
class ProgrammeInput(Command):
    """A programme as the admin types it, whole: a change restates every field."""

    name: str | None = field(Text(max_len=200, required=True))
    kind: str | None = field(Choice(ProgrammeKind, required=True, message=_l("Choose a kind of programme.")))
    description: str | None = field(Text(max_len=20_000))
    funder_name: str | None = field(Text(max_len=200, required=True))
    funder_identifier: str | None = field(Text(max_len=100))
    currency: str | None = field(Currency(message=_l("Enter an ISO 4217 currency code such as USD or EUR.")))


def create_programme(actor, command: ProgrammeInput) -> Programme:
    """Create a programme. Raises PermissionDenied."""
    require_admin(actor)
    programme = Programme(**command.changes(*PROGRAMME_FIELDS))
    add_audited(actor, programme, "programme.created", PROGRAMME_FIELDS)
    return programme


def update_programme(actor, programme_id: int, command: ProgrammeInput) -> Programme:
    """Change a programme to `command`; its currency is fixed once it has a call.

    Raises PermissionDenied, NotFound, ValidationFailed.
    """
    require_admin(actor)
    programme = get_or_raise(Programme, programme_id)
    # Every amount of a call is in its programme's currency (cade/core/money.py says why):
    # changing it would re-denominate money already recorded.
    if command.currency != programme.currency:
        has_calls = db.session.scalar(select(func.count(Call.id)).where(Call.programme_id == programme.id))
        if has_calls:
            raise ValidationFailed({"currency": [_l("The currency cannot change once the programme has a call.")]})
    change_audited(actor, programme, command.changes(*PROGRAMME_FIELDS), "programme.updated", PROGRAMME_FIELDS)
    return programme
