"""What the open-data files tell of each award, and what they withhold: the one place that decides it.

Some of the organisations we fund are at risk if they are known to be
foreign-funded, so the files name an organisation only when it consented and
has not marked itself at risk (`Organisation.may_be_named`, the one predicate
the public pages ask too). Otherwise the recipient is "Anonymised
organisation in <its UN M49 region>" (the intermediate region such as Eastern
Africa where there is one, else the sub-region), one identifier per region
(`360G-cade-anon-014`), and its country is given only where five awards or
more in the file go to that country, so that a country with one grantee does
not point at it. An anonymised award's title is neutral (the programme's
kind: "Capacity development grant"), never the application's own.

Travel support is a grant to the organisation that sent the traveller: the
recipient is that organisation (named or anonymised as above), the title is
"Travel support grant" for every travel award, and no traveller's name, the
application's title or text appears. No file carries personal data: no
person's name, e-mail, address, or application text beyond a consenting
organisation's grant title; the description is written here from the
programme and the call.

The files' words are English on purpose: a data standard's file is one
document for every reader (declared `en`), not a page in the reader's language.
"""

from dataclasses import dataclass
from datetime import date

from babel import Locale
from flask import current_app

from cade.core.countries import country_name, get_country, region_name
from cade.programmes.constants import ProgrammeKind
from cade.reports.open_data.selection import AwardRecord, Disbursement, IndicatorResult

# A country with fewer awards than this in the file is withheld for anonymised recipients.
MIN_COUNTRY_AWARDS = 5
DEFAULT_PREFIX = "cade"

KIND_TITLES = {
    ProgrammeKind.CAPACITY_DEVELOPMENT: "Capacity development grant",
    ProgrammeKind.COMMUNITY_NETWORK: "Community network grant",
    ProgrammeKind.TRAVEL_SUPPORT: "Travel support grant",
}
_ENGLISH = Locale("en")


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str
    anonymised: bool


@dataclass(frozen=True)
class PublishedAward:
    """One award as both files publish it: only what may be told (see the module's docstring)."""

    reference: str
    title: str
    description: str
    amount_minor: int
    currency: str
    award_date: date
    accepted: bool
    recipient: Recipient
    country: str | None  # None: withheld
    country_name: str | None
    region_code: str  # UN M49 intermediate region or sub-region (see _region)
    region_name: str
    programme_name: str
    programme_kind: str
    call_reference: str
    call_title: str
    funder_id: str
    funder_name: str
    started_on: date | None
    closed_on: date | None
    planned_end: date | None
    disbursements: list[Disbursement]
    results: list[IndicatorResult]


def id_prefix() -> str:
    """The prefix of every identifier this site gives (`360G-<prefix>-…`): config OPEN_DATA_PREFIX, else "cade"."""
    return current_app.config.get("OPEN_DATA_PREFIX") or DEFAULT_PREFIX


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, "Grant")


def publish(record: AwardRecord) -> PublishedAward:
    """`record` as the files may tell it."""
    prefix = id_prefix()
    region = _region(record)
    if record.may_be_named:
        recipient = Recipient(f"360G-{prefix}-org-{record.organisation_id}", record.organisation_name, False)
        country = record.country
    else:
        recipient = Recipient(f"360G-{prefix}-anon-{region}",
                              f"Anonymised organisation in {region_name(region, _ENGLISH)}", True)
        country = record.country if record.country_awards >= MIN_COUNTRY_AWARDS else None
    travel = record.programme_kind == ProgrammeKind.TRAVEL_SUPPORT
    title = kind_title(record.programme_kind) if travel or recipient.anonymised else (
        record.title.strip() or kind_title(record.programme_kind))
    award_date = record.released_at.date()
    planned_end = record.final_report_due if record.final_report_due and record.final_report_due > award_date \
        else None
    return PublishedAward(
        reference=record.reference, title=title, description=_description(record, travel),
        amount_minor=record.amount_minor, currency=record.currency, award_date=award_date,
        accepted=record.accepted, recipient=recipient, country=country,
        country_name=country_name(country, _ENGLISH) if country else None,
        region_code=region, region_name=region_name(region, _ENGLISH),
        programme_name=record.programme_name, programme_kind=record.programme_kind,
        call_reference=record.call_reference, call_title=record.call_title,
        funder_id=record.funder_identifier or f"360G-{prefix}", funder_name=record.funder_name,
        started_on=record.grant_started_at.date() if record.grant_started_at else None,
        closed_on=record.grant_closed_at.date() if record.grant_closed_at else None,
        planned_end=planned_end, disbursements=record.disbursements, results=record.results,
    )


def _region(record: AwardRecord) -> str:
    """The M49 intermediate region where the country has one (Eastern Africa), else its sub-region (Melanesia),
    else its region; 001 (the world) when nothing is known."""
    country = get_country(record.country)
    return (country.intermediate_code if country else "") or record.subregion_code or record.region_code or "001"


def _description(record: AwardRecord, travel: bool) -> str:
    text = f"{kind_title(record.programme_kind)} under the programme \"{record.programme_name}\", " \
           f"call \"{record.call_title}\"."
    if travel:
        text += " Travel costs of a participant from the recipient organisation; travellers are never named."
    return text
