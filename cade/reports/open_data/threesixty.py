"""The published awards as a 360Giving 1.4 package (`{"grants": [...]}`), as bytes of JSON.

Identifiers: a grant is `360G-<prefix>-<application reference>`, its funder
the programme's funder identifier (an org-id.guide identifier such as
`XI-IATI-EC_INTPA`; `360G-<prefix>` when the programme has none), its
recipient `360G-<prefix>-org-<id>` or, anonymised, `360G-<prefix>-anon-<M49>`
(`publication.py`). Amounts are in the award's currency, as numbers of major
units; `awardDate` is the day the decision was released; the planned dates
run from then to the final report's due day, where the grant has one; paid
tranches are `disbursementTransaction`s and `amountDisbursed` their sum.
"""

import json
from decimal import Decimal

from cade.core.money import from_minor
from cade.reports.open_data.publication import PublishedAward, id_prefix

CLASSIFICATION_VOCABULARY = "CADE programme kind"


def _number(amount_minor: int, currency: str) -> int | float:
    """A JSON number of major units: 10000 or 12345.67 (a float prints the shortest digits that read back)."""
    amount: Decimal = from_minor(amount_minor, currency)
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def grant(award: PublishedAward) -> dict:
    """One 360Giving grant."""
    prefix = id_prefix()
    grant_id = f"360G-{prefix}-{award.reference}"
    location = {"name": award.country_name, "countryCode": award.country} if award.country else \
        {"name": award.region_name, "geoCode": award.region_code, "geoCodeType": "UNM49"}
    found = {
        "id": grant_id,
        "title": award.title,
        "description": award.description,
        "currency": award.currency,
        "amountAwarded": _number(award.amount_minor, award.currency),
        "awardDate": award.award_date.isoformat(),
        "fromOpenCall": "Yes",
        "recipientOrganization": [{"id": award.recipient.id, "name": award.recipient.name}],
        "fundingOrganization": [{"id": award.funder_id, "name": award.funder_name}],
        "grantProgramme": [{"code": award.call_reference, "title": award.call_title}],
        "beneficiaryLocation": [{"id": f"{award.country or award.region_code}", **location}],
        "classifications": [{"vocabulary": CLASSIFICATION_VOCABULARY, "code": award.programme_kind,
                             "title": award.programme_name}],
    }
    if award.planned_end:
        found["plannedDates"] = [{"startDate": award.award_date.isoformat(),
                                  "endDate": award.planned_end.isoformat(),
                                  "duration": _months(award)}]
    if award.disbursements:
        found["amountDisbursed"] = _number(sum(d.amount_minor for d in award.disbursements), award.currency)
        found["disbursementTransaction"] = [
            {"id": f"{grant_id}-tranche-{d.position}", "transactionDate": d.paid_on.isoformat(),
             "currency": d.currency, "value": _number(d.amount_minor, d.currency)}
            for d in award.disbursements]
    return found


def _months(award: PublishedAward) -> int:
    start, end = award.award_date, award.planned_end
    return max(1, (end.year - start.year) * 12 + end.month - start.month)


def package(awards: list[PublishedAward]) -> dict:
    return {"grants": [grant(award) for award in awards]}


def render(awards: list[PublishedAward]) -> bytes:
    """The package as UTF-8 JSON (keys in a fixed order, so the same awards give the same bytes)."""
    return json.dumps(package(awards), ensure_ascii=False, indent=1).encode("utf-8")
