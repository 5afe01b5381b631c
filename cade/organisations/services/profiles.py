"""Creating and changing organisation profiles, and their verification."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from cade.accounts.services import default_timezone_from_country
from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Codes, Command, Currency, Flag, Integer, Text, field
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.core.errors import NotFound, PermissionDenied
from cade.core.money import to_minor
from cade.extensions import db
from cade.organisations.constants import (
    WORKING_LANGUAGES,
    FocusArea,
    MembershipRole,
    OrganisationType,
    StaffBand,
    StakeholderGroup,
)
from cade.organisations.models import Membership, Organisation
from cade.organisations.permissions import can_edit_organisation, can_mark_at_risk, can_verify_organisation

PROFILE_FIELDS = (
    "name", "acronym", "country", "city", "website", "description", "organisation_type",
    "stakeholder_group", "year_founded", "staff_band", "annual_budget_minor",
    "annual_budget_currency", "focus_areas", "languages", "registration_number",
    "publish_consent", "at_risk", "region_code", "subregion_code",
)
MAX_LENGTHS = {"name": 200, "acronym": 40, "city": 120, "website": 300, "registration_number": 80,
               "description": 5000}
EARLIEST_YEAR_FOUNDED = 1800
# A budget stays below 10**MAX_BUDGET_DIGITS, in major and in minor units.
MAX_BUDGET_DIGITS = 15

# Domains above this one that keep something public about organisations (the open-data files) register here
# (cade/wiring.py): each is called as hook(organisation, changed_field_names) in the transaction of a profile
# change, after it was flushed, and decides itself whether the change concerns it.
profile_change_hooks: list[Callable[[Organisation, set[str]], None]] = []


def is_web_address(url: str | None) -> bool:
    """True for an http(s) address with a host that a browser can open as a link.

    Refuses javascript:, data: and other schemes, addresses without a host
    or with a user name (https://trusted.org@elsewhere.example), spaces and
    control characters, and addresses that do not parse (bad IPv6, bad port).
    """
    if not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not one)
    except ValueError:
        return False
    return (parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
            and "@" not in parts.netloc and "\\" not in url)


@dataclass(frozen=True)
class WebAddress(Text):
    """Text that is an http(s) link a browser can open (`is_web_address`)."""

    def clean(self, raw, cleaning):
        url = super().clean(raw, cleaning)
        if url is not None and not is_web_address(url):
            cleaning.refuse(_l("Enter a web address starting with http:// or https://"))
        return url


class KeptFlag(Cleaner):
    """A tick box, or None when the input leaves it out: the organisation keeps its setting.

    The edit form leaves the at-risk box out for anyone who may not change it
    (an administrator who is not an owner), so their save keeps what the
    owners chose. (programmes has the same cleaner for a call's blind review;
    it sits above this domain, so it cannot be shared from there.)
    """

    def clean(self, raw, cleaning):
        return None if raw is None else Flag().clean(raw, cleaning)


class CountryCode(Cleaner):
    """A country of the list, in any case → its ISO code (a country without a UN region is not on the list)."""

    def clean(self, raw, cleaning):
        country = get_country(raw.strip()) if isinstance(raw, str) else None
        if country is None:
            cleaning.refuse(_l("Choose a country from the list."))
            return None
        return country.code


class YearFounded(Cleaner):
    """A year from EARLIEST_YEAR_FOUNDED to this year, read when cleaning: the year turns."""

    def clean(self, raw, cleaning):
        last = utcnow().year
        return Integer(EARLIEST_YEAR_FOUNDED, last, required=False, message=_l(
            "Enter a year between %(first)d and %(last)d.", first=EARLIEST_YEAR_FOUNDED, last=last),
        ).clean(raw, cleaning)


class Budget(Cleaner):
    """Last year's spending in major units of `annual_budget_currency` (a field before it) → minor units.

    Not core's Amount: a budget may be zero (a volunteer group spends
    nothing), where every amount Amount cleans is a payment above zero.
    Optional; with an amount, its currency is required.
    """

    currency_field = "annual_budget_currency"

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            return None
        currency = cleaning.values.get(self.currency_field)
        if currency is None:
            if self.currency_field not in cleaning.errors:
                cleaning.errors.add(self.currency_field, _l("Choose the currency of the budget."))
            return None
        try:
            value = Decimal(str(raw).strip()) if not isinstance(raw, bool) else Decimal("NaN")
        except InvalidOperation:
            cleaning.refuse(_l("Enter an amount, such as 25000.50"))
            return None
        if not value.is_finite() or value < 0:
            cleaning.refuse(_l("Enter an amount of zero or more."))
            return None
        # Before to_minor, which refuses these too but cannot say why.
        if value and value.adjusted() >= MAX_BUDGET_DIGITS:
            cleaning.refuse(_l("This amount is too large."))
            return None
        try:
            minor = to_minor(value, currency)
        except ValueError:
            cleaning.refuse(_l("This amount has more decimal places than %(currency)s allows.", currency=currency))
            return None
        if minor >= 10**MAX_BUDGET_DIGITS:
            cleaning.refuse(_l("This amount is too large."))
            return None
        return minor


def _text(name: str, *, required: bool = False) -> Text:
    return Text(max_len=MAX_LENGTHS[name], required=required)


@dataclass(frozen=True)
class OrganisationProfileInput(Command):
    """An organisation's profile as a person types it; `verified`, ids and the region are never read.

    The budget is typed as `annual_budget_amount` in major units and kept in
    minor units; its errors are named after what was typed.
    """

    name: str | None = field(_text("name", required=True))
    acronym: str | None = field(_text("acronym"))
    country: str | None = field(CountryCode())
    city: str | None = field(_text("city"))
    website: str | None = field(WebAddress(max_len=MAX_LENGTHS["website"]))
    description: str | None = field(_text("description"))
    registration_number: str | None = field(_text("registration_number"))
    organisation_type: str | None = field(Choice(OrganisationType, required=True))
    stakeholder_group: str | None = field(Choice(StakeholderGroup, required=True))
    staff_band: str | None = field(Choice(StaffBand))
    year_founded: int | None = field(YearFounded())
    # A tuple, not the enum: an enum class is callable, and Codes would take it for a predicate.
    focus_areas: list[str] = field(Codes(tuple(FocusArea), message=_l("Not a valid choice.")), default_factory=list)
    languages: list[str] = field(Codes(WORKING_LANGUAGES, message=_l("Not a valid choice.")), default_factory=list)
    publish_consent: bool = field(Flag(), default=False)
    # None: left out of the input, kept as it is (see KeptFlag).
    at_risk: bool | None = field(KeptFlag(), default=None)
    annual_budget_currency: str | None = field(Currency(required=False,
                                                        message=_l("Choose the currency of the budget.")))
    annual_budget_minor: int | None = field(Budget(), source="annual_budget_amount")

    def profile(self) -> dict:
        """The columns of the profile, the region derived from the country (the server's, never typed)."""
        values = self.changes()
        if self.at_risk is None:
            del values["at_risk"]
        if self.annual_budget_minor is None:
            values["annual_budget_currency"] = None  # a currency alone says nothing
        country = get_country(self.country)
        values["region_code"], values["subregion_code"] = country.region_code, country.subregion_code
        return values


def _snapshot(org: Organisation) -> dict:
    return {field: getattr(org, field) for field in PROFILE_FIELDS + ("verified",)}


def _guarded(values: dict, at_risk: bool) -> dict:
    """`values` with the consent to be named withdrawn when the organisation is at risk.

    An organisation at risk is never named, whatever its consent says
    (`Organisation.may_be_named`); the consent is also stored as withdrawn, so
    that clearing the at-risk mark later names nobody until an owner ticks
    the consent again, knowingly.
    """
    return {**values, "publish_consent": False} if at_risk else values


def create_organisation(actor, command: OrganisationProfileInput) -> Organisation:
    """Create an organisation from `command` with `actor` as its owner.

    An owner who never chose a time zone gets the one of the organisation's
    country, when it keeps one clock. An organisation registered as at risk
    is registered without consent to be named. Raises PermissionDenied for
    an anonymous actor.
    """
    if actor is None or getattr(actor, "id", None) is None:
        raise PermissionDenied()
    values = command.profile()
    org = Organisation(**_guarded(values, bool(values.get("at_risk"))), verified=False)
    db.session.add(org)
    db.session.flush()
    membership = Membership(user_id=actor.id, organisation=org, role=MembershipRole.OWNER)
    db.session.add(membership)
    db.session.flush()
    record_event(actor, "organisation.created", org, None, _snapshot(org))
    record_event(actor, "membership.created", membership, None,
                 {"user_id": actor.id, "organisation_id": org.id, "role": str(MembershipRole.OWNER)})
    default_timezone_from_country(actor, org.country)
    return org


def update_organisation(actor, organisation_id: int, command: OrganisationProfileInput) -> Organisation:
    """Replace the profile of the organisation with `command` (owners and admins).

    Only owners mark the organisation at risk or clear the mark
    (`can_mark_at_risk`); a command without `at_risk` keeps it. While it is at
    risk its consent to be named stays withdrawn (`_guarded`). The change is
    audited as `organisation.updated` with what changed, the mark included,
    and `profile_change_hooks` hear of it. Raises NotFound or
    PermissionDenied; `verified` and the region are never typed.
    """
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound()
    if not can_edit_organisation(actor, org):
        raise PermissionDenied()
    values = command.profile()
    if values.get("at_risk", org.at_risk) != org.at_risk and not can_mark_at_risk(actor, org):
        raise PermissionDenied(_l("Only an owner of the organisation can change whether it is at risk."),
                               field="at_risk")
    before = _snapshot(org)
    for name, value in _guarded(values, values.get("at_risk", org.at_risk)).items():
        setattr(org, name, value)
    db.session.flush()
    after = _snapshot(org)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        record_event(actor, "organisation.updated", org,
                     {k: before[k] for k in changed}, {k: after[k] for k in changed})
        for hook in profile_change_hooks:
            hook(org, set(changed))
    return org


def set_organisation_verified(actor, org: Organisation, verified: bool) -> Organisation:
    """Mark `org` verified or not; administrators only (raises PermissionDenied)."""
    if not can_verify_organisation(actor, org):
        raise PermissionDenied()
    verified = bool(verified)
    if org.verified != verified:
        record_event(actor, "organisation.verified" if verified else "organisation.unverified", org,
                     {"verified": org.verified}, {"verified": verified})
        org.verified = verified
        db.session.flush()
    return org
