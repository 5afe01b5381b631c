"""Screenings: an admin's record that an organisation and its signatories were checked against sanctions lists.

The check itself happens outside; the record keeps who checked, on which day,
which lists (every list the programme names), the names screened, the result
and the evidence. A tranche of a programme is paid only on a CLEAR screening
younger than the programme's `screening_valid_days`, and a later MATCH blocks
payments whatever clear screening came before it (`recent_clear_screening`).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Command, Day, FieldErrors, Id, Text, field
from cade.core.db import utcnow
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
from cade.core.permissions import is_admin
from cade.diligence.constants import ScreeningResult
from cade.diligence.models import Screening
from cade.extensions import db
from cade.organisations.models import Organisation
from cade.programmes.models import Programme

MAX_ENTRY = 200  # characters in one list's or one name's line


@dataclass(frozen=True)
class Lines(Cleaner):
    """Several short texts: a list, or text with one a line; blanks dropped, each once, in the order given."""

    message: object = _l("Use at most %(n)d characters on each line.", n=MAX_ENTRY)

    def clean(self, raw, cleaning):
        values = raw if isinstance(raw, list | tuple) else str(raw or "").splitlines()
        lines = list(dict.fromkeys(" ".join(str(value).split()) for value in values if str(value).strip()))
        if any(len(line) > MAX_ENTRY for line in lines):
            cleaning.refuse(self.message)
        return lines


@dataclass(frozen=True)
class ScreeningInput(Command):
    screened_on: date = field(Day(message=_l("Enter the date of the screening.")))
    lists: list[str] = field(Lines(), default_factory=list)
    names: list[str] = field(Lines(), default_factory=list)
    result: str = field(Choice(ScreeningResult, required=True, message=_l("Choose the result of the screening.")))
    evidence: str = field(Text(max_len=5000, required=True))
    programme_id: int | None = field(Id(required=False))
    today: date | None = None  # from context: the day "not in the future" is measured against

    def check(self, errors: FieldErrors) -> None:
        if self.screened_on is not None and self.screened_on > (self.today or utcnow().date()):
            errors.add("screened_on", _l("The screening date cannot be in the future."))
        if not self.names and "names" not in errors:
            errors.add("names", _l("Enter the names screened: the organisation and its signatories."))
        if not self.lists and "lists" not in errors:
            errors.add("lists", _l("Name the sanctions lists checked."))
        if self.programme_id is None:
            errors.add("programme_id", _l("Choose the programme the screening is for."))


def _programme_of(command: ScreeningInput, organisation: Organisation) -> Programme:
    programme = db.session.get(Programme, command.programme_id)
    if programme is None:
        raise ValidationFailed({"programme_id": [_l("Choose the programme the screening is for.")]})
    return programme


def record_screening(actor, organisation_id: int, command: ScreeningInput) -> Screening:
    """Record a screening of the organisation done by `actor` (an admin); audited `screening.recorded`.

    Raises NotFound (no such organisation), PermissionDenied (not an admin), ValidationFailed (a list the
    programme names was not checked). Flushes, never commits.
    """
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    if not is_admin(actor):
        raise PermissionDenied()
    programme = _programme_of(command, organisation)
    checked = {" ".join(name.split()).casefold() for name in command.lists}
    missing = [name for name in programme.screening_lists or [] if " ".join(name.split()).casefold() not in checked]
    if missing:
        raise ValidationFailed({"lists": [_l("Screen against every list the programme names; missing: %(lists)s.",
                                             lists="; ".join(missing))]})
    screening = Screening(organisation_id=organisation.id, screened_on=command.screened_on, checked_by_id=actor.id,
                          lists=list(command.lists), names=list(command.names), result=command.result,
                          evidence=command.evidence)
    db.session.add(screening)
    db.session.flush()
    record_event(actor, "screening.recorded", screening, None,
                 {"programme_id": programme.id, **{key: getattr(screening, key) for key in
                                                   ("screened_on", "lists", "names", "result", "evidence")},
                  "screened_on": screening.screened_on.isoformat()})
    return screening


def covers(screening: Screening, programme: Programme) -> bool:
    checked = {" ".join(name.split()).casefold() for name in screening.lists or []}
    return all(" ".join(name.split()).casefold() in checked for name in programme.screening_lists or [])


def recent_clear_screening(organisation_id: int, programme: Programme, on: date) -> Screening | None:
    """The latest CLEAR screening of the programme's lists younger than its limit on day `on`, or None.

    Only screenings done by `on` count. A MATCH recorded after that clear one blocks: None until a later
    clear screening.
    """
    since = on - timedelta(days=programme.screening_valid_days - 1)
    rows = db.session.scalars(select(Screening).where(
        Screening.organisation_id == organisation_id, Screening.screened_on <= on, Screening.screened_on >= since)
        .order_by(Screening.screened_on.desc(), Screening.id.desc()))
    for screening in rows:
        if screening.result == ScreeningResult.MATCH:
            return None
        if covers(screening, programme):
            return screening
    return None


def latest_match(organisation_id: int, on: date) -> Screening | None:
    """The organisation's latest screening by `on` when it found a match, else None (for saying why)."""
    latest = db.session.scalar(select(Screening).where(Screening.organisation_id == organisation_id,
                                                       Screening.screened_on <= on)
                               .order_by(Screening.screened_on.desc(), Screening.id.desc()).limit(1))
    return latest if latest is not None and latest.result == ScreeningResult.MATCH else None


def screenings_of(organisation_id: int) -> list[Screening]:
    return list(db.session.scalars(select(Screening).where(Screening.organisation_id == organisation_id)
                                   .order_by(Screening.screened_on.desc(), Screening.id.desc())))


def names_to_screen(organisation: Organisation) -> list[str]:
    """The organisation's name and the signatories of its accepted awards: what the form is filled with."""
    from cade.applications.models import Application
    from cade.awards.models import Decision

    signatories = db.session.scalars(
        select(Decision.signatory_name).join(Application, Application.id == Decision.application_id)
        .where(Application.organisation_id == organisation.id, Decision.signatory_name.is_not(None))
        .order_by(Decision.id)).all()
    return list(dict.fromkeys([organisation.name, *signatories]))
