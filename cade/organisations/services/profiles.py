"""Creating and changing organisation profiles, and their verification."""

from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask_babel import gettext as _

from cade.core.audit import record_event
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.core.errors import PermissionDenied, ValidationFailed
from cade.core.money import is_currency, to_minor
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
from cade.organisations.permissions import can_edit_organisation, can_verify_organisation

PROFILE_FIELDS = (
    "name", "acronym", "country", "city", "website", "description", "organisation_type",
    "stakeholder_group", "year_founded", "staff_band", "annual_budget_minor",
    "annual_budget_currency", "focus_areas", "languages", "registration_number",
    "publish_consent", "region_code", "subregion_code",
)
MAX_LENGTHS = {"name": 200, "acronym": 40, "city": 120, "website": 300, "registration_number": 80,
               "description": 5000}
EARLIEST_YEAR_FOUNDED = 1800
# A budget stays below 10**MAX_BUDGET_DIGITS, in major and in minor units.
MAX_BUDGET_DIGITS = 15


def _clean_text(value, field: str, errors: dict, *, required: bool = False) -> str | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            errors.setdefault(field, []).append(_("This field is required."))
        return None
    if len(text) > MAX_LENGTHS.get(field, 200):
        errors.setdefault(field, []).append(
            _("Please use at most %(n)d characters.", n=MAX_LENGTHS.get(field, 200)))
    return text


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


def _clean_website(value, errors: dict) -> str | None:
    url = _clean_text(value, "website", errors)
    if url is None:
        return None
    if not is_web_address(url):
        errors.setdefault("website", []).append(
            _("Enter a web address starting with http:// or https://"))
    return url


def _clean_choice(value, field: str, allowed, errors: dict, *, required: bool = False) -> str | None:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors.setdefault(field, []).append(_("Please choose one."))
        return None
    if value not in {str(a) for a in allowed}:
        errors.setdefault(field, []).append(_("Not a valid choice."))
        return None
    return str(value)


def _clean_multi(values, field: str, allowed, errors: dict) -> list[str]:
    values = list(values or [])
    allowed = [str(a) for a in allowed]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.setdefault(field, []).append(_("Not a valid choice."))
    # Kept in the order of the fixed list, once each.
    return [a for a in allowed if a in values]


def _clean_year(value, errors: dict) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(value)
    except (TypeError, ValueError):
        errors.setdefault("year_founded", []).append(_("Enter a year, such as 2012."))
        return None
    this_year = utcnow().year
    if not EARLIEST_YEAR_FOUNDED <= year <= this_year:
        errors.setdefault("year_founded", []).append(
            _("Enter a year between %(first)d and %(last)d.", first=EARLIEST_YEAR_FOUNDED, last=this_year))
        return None
    return year


def _clean_budget(amount, currency, errors: dict) -> tuple[int | None, str | None]:
    if amount in (None, ""):
        return None, None
    currency = (currency or "").strip().upper()
    if not is_currency(currency):
        errors.setdefault("annual_budget_currency", []).append(_("Choose the currency of the budget."))
        return None, None

    def refuse(message):
        errors.setdefault("annual_budget_amount", []).append(message)
        return None, None

    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        return refuse(_("Enter an amount, such as 25000.50"))
    if not value.is_finite() or value < 0:
        return refuse(_("Enter an amount of zero or more."))
    # Before to_minor, which refuses these too but cannot say why.
    if value and value.adjusted() >= MAX_BUDGET_DIGITS:
        return refuse(_("This amount is too large."))
    try:
        minor = to_minor(value, currency)
    except ValueError:
        return refuse(_("This amount has more decimal places than %(currency)s allows.", currency=currency))
    if minor >= 10**MAX_BUDGET_DIGITS:
        return refuse(_("This amount is too large."))
    return minor, currency


def _clean_profile(data: dict) -> dict:
    """Validate the person-editable fields of `data`; raise ValidationFailed listing every problem."""
    errors: dict[str, list] = {}
    clean = {
        "name": _clean_text(data.get("name"), "name", errors, required=True),
        "acronym": _clean_text(data.get("acronym"), "acronym", errors),
        "city": _clean_text(data.get("city"), "city", errors),
        "website": _clean_website(data.get("website"), errors),
        "description": _clean_text(data.get("description"), "description", errors),
        "registration_number": _clean_text(data.get("registration_number"), "registration_number", errors),
        "organisation_type": _clean_choice(data.get("organisation_type"), "organisation_type",
                                           OrganisationType, errors, required=True),
        "stakeholder_group": _clean_choice(data.get("stakeholder_group"), "stakeholder_group",
                                           StakeholderGroup, errors, required=True),
        "staff_band": _clean_choice(data.get("staff_band"), "staff_band", StaffBand, errors),
        "year_founded": _clean_year(data.get("year_founded"), errors),
        "focus_areas": _clean_multi(data.get("focus_areas"), "focus_areas", FocusArea, errors),
        "languages": _clean_multi(data.get("languages"), "languages", WORKING_LANGUAGES, errors),
        "publish_consent": bool(data.get("publish_consent")),
    }
    clean["annual_budget_minor"], clean["annual_budget_currency"] = _clean_budget(
        data.get("annual_budget_amount"), data.get("annual_budget_currency"), errors)

    country = get_country((data.get("country") or "").strip())
    if country is None:
        errors.setdefault("country", []).append(_("Choose a country from the list."))
    else:
        clean["country"] = country.code
        # The region is the server's: derived from the country, never typed.
        clean["region_code"] = country.region_code
        clean["subregion_code"] = country.subregion_code

    if errors:
        raise ValidationFailed(errors)
    return clean


def _snapshot(org: Organisation) -> dict:
    return {field: getattr(org, field) for field in PROFILE_FIELDS + ("verified",)}


def create_organisation(actor, data: dict) -> Organisation:
    """Create an organisation from `data` with `actor` as its owner.

    Raises PermissionDenied for an anonymous actor and ValidationFailed
    (field → messages) for bad input. Only profile fields are read from `data`.
    """
    if actor is None or getattr(actor, "id", None) is None:
        raise PermissionDenied()
    clean = _clean_profile(data)
    org = Organisation(**clean, verified=False)
    db.session.add(org)
    db.session.flush()
    membership = Membership(user_id=actor.id, organisation=org, role=MembershipRole.OWNER)
    db.session.add(membership)
    db.session.flush()
    record_event(actor, "organisation.created", org, None, _snapshot(org))
    record_event(actor, "membership.created", membership, None,
                 {"user_id": actor.id, "organisation_id": org.id, "role": str(MembershipRole.OWNER)})
    return org


def update_organisation(actor, org: Organisation, data: dict) -> Organisation:
    """Replace the profile of `org` with `data` (owners and admins).

    Raises PermissionDenied or ValidationFailed; `verified`, ids and the
    region are never taken from `data`.
    """
    if not can_edit_organisation(actor, org):
        raise PermissionDenied()
    clean = _clean_profile(data)
    before = _snapshot(org)
    for field, value in clean.items():
        setattr(org, field, value)
    db.session.flush()
    after = _snapshot(org)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        record_event(actor, "organisation.updated", org,
                     {k: before[k] for k in changed}, {k: after[k] for k in changed})
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
