"""The published awards as IATI 2.03 activities (`<iati-activities version="2.03">`), as bytes of XML.

One activity per award, reported by the programme's funder (its identifier
is the reporting organisation's `ref`, and every activity identifier starts
with it: `<funder>-<application reference>`). What each element holds:

- participating-org: the funder (role 1, funding) and the recipient (role 4,
  implementing), named or anonymised as `publication.py` decides;
- activity-status: 2 (implementation) while the grant runs or the offer
  awaits its answer, 4 (closed) once the grant is closed;
- activity-date: 1 planned start (the release), 2 actual start (the grant
  opened), 3 planned end (the final report due), 4 actual end (closed);
- recipient-country (100 %) where the country may be told, otherwise
  recipient-region in vocabulary 2 (UN M49 sub-regions): never both;
- one DAC 5-digit sector at 100 %: 15150 "Democratic participation and civil
  society" for capacity development and travel support, 22040 "Information
  and communication technology (ICT)" for community networks;
- one budget of the whole award, for at most a year from the release (the
  rulesets refuse longer periods);
- transactions: a commitment (type 2) of the award on its release day, and a
  disbursement (type 3) per paid tranche;
- one outcome result (type 2) with an indicator per grant indicator, its
  period from the release to the planned end (or a year), its target and the
  sum of the values of approved reports as the actual. No baseline: grants
  do not record one.
"""

from datetime import date, datetime, timedelta

from lxml import etree

from cade.core.money import from_minor
from cade.programmes.constants import ProgrammeKind
from cade.reports.open_data.publication import PublishedAward

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FUNDER_TYPE = "60"  # IATI OrganisationType: foundation (config OPEN_DATA_FUNDER_TYPE overrides)
SECTORS = {
    ProgrammeKind.CAPACITY_DEVELOPMENT: "15150",
    ProgrammeKind.TRAVEL_SUPPORT: "15150",
    ProgrammeKind.COMMUNITY_NETWORK: "22040",
}
DEFAULT_SECTOR = "15150"
REGION_VOCABULARY_M49 = "2"


def activity_identifier(award: PublishedAward) -> str:
    return f"{award.funder_id}-{award.reference}"


def _text(parent, tag: str, text: str, **attributes):
    element = etree.SubElement(parent, tag, **attributes)
    etree.SubElement(element, "narrative").text = text
    return element


def _amount(parent, tag: str, amount_minor: int, currency: str, value_date: date):
    etree.SubElement(parent, tag, currency=currency, **{"value-date": value_date.isoformat()}).text = \
        str(from_minor(amount_minor, currency))


def _period_end(award: PublishedAward) -> date:
    """The planned end, or a year after the release when there is none."""
    return award.planned_end or award.award_date + timedelta(days=364)


def activity(award: PublishedAward, funder_type: str = FUNDER_TYPE):
    """One `<iati-activity>` element."""
    found = etree.Element("iati-activity", **{XML_LANG: "en", "default-currency": award.currency})
    etree.SubElement(found, "iati-identifier").text = activity_identifier(award)
    _text(found, "reporting-org", award.funder_name, ref=award.funder_id, type=funder_type)
    _text(found, "title", award.title)
    _text(found, "description", award.description, type="1")
    _text(found, "participating-org", award.funder_name, ref=award.funder_id, role="1", type=funder_type)
    recipient = {"role": "4"} if award.recipient.anonymised else {"role": "4", "ref": award.recipient.id}
    _text(found, "participating-org", award.recipient.name, **recipient)
    etree.SubElement(found, "activity-status", code="4" if award.closed_on else "2")
    dates = [("1", award.award_date), ("2", award.started_on), ("3", award.planned_end), ("4", award.closed_on)]
    for kind, day in dates:
        if day:
            etree.SubElement(found, "activity-date", type=kind, **{"iso-date": day.isoformat()})
    if award.country:
        _text(found, "recipient-country", award.country_name, code=award.country, percentage="100")
    else:
        _text(found, "recipient-region", award.region_name, code=award.region_code,
              vocabulary=REGION_VOCABULARY_M49, percentage="100")
    etree.SubElement(found, "sector", vocabulary="1", percentage="100",
                     code=SECTORS.get(award.programme_kind, DEFAULT_SECTOR))
    budget = etree.SubElement(found, "budget", type="1", status="2")
    etree.SubElement(budget, "period-start", **{"iso-date": award.award_date.isoformat()})
    budget_end = min(_period_end(award), award.award_date + timedelta(days=364))
    etree.SubElement(budget, "period-end", **{"iso-date": budget_end.isoformat()})
    _amount(budget, "value", award.amount_minor, award.currency, award.award_date)
    _transaction(found, "2", award.award_date, award.amount_minor, award.currency, award)
    for tranche in award.disbursements:
        _transaction(found, "3", tranche.paid_on, tranche.amount_minor, tranche.currency, award)
    if award.results:
        _result(found, award)
    return found


def _transaction(parent, kind: str, day: date, amount_minor: int, currency: str, award: PublishedAward) -> None:
    transaction = etree.SubElement(parent, "transaction")
    etree.SubElement(transaction, "transaction-type", code=kind)
    etree.SubElement(transaction, "transaction-date", **{"iso-date": day.isoformat()})
    _amount(transaction, "value", amount_minor, currency, day)
    _text(transaction, "provider-org", award.funder_name, ref=award.funder_id)
    receiver = {} if award.recipient.anonymised else {"ref": award.recipient.id}
    _text(transaction, "receiver-org", award.recipient.name, **receiver)


def _result(parent, award: PublishedAward) -> None:
    result = etree.SubElement(parent, "result", type="2", **{"aggregation-status": "1"})
    _text(result, "title", f"Outcome indicators of {award.programme_name}")
    for item in award.results:
        indicator = etree.SubElement(result, "indicator", measure="1", ascending="1")
        _text(indicator, "title", f"{item.label} ({item.unit})")
        etree.SubElement(indicator, "reference", vocabulary="99", code=item.code)
        period = etree.SubElement(indicator, "period")
        etree.SubElement(period, "period-start", **{"iso-date": award.award_date.isoformat()})
        etree.SubElement(period, "period-end", **{"iso-date": _period_end(award).isoformat()})
        if item.target is not None:
            etree.SubElement(period, "target", value=_plain(item.target))
        if item.actual is not None:
            etree.SubElement(period, "actual", value=_plain(item.actual))


def _plain(value) -> str:
    return format(value.normalize(), "f")


def render(awards: list[PublishedAward], generated_at: datetime, funder_type: str = FUNDER_TYPE) -> bytes:
    """The activities as UTF-8 XML with its declaration."""
    root = etree.Element("iati-activities", version=VERSION,
                         **{"generated-datetime": generated_at.replace(microsecond=0).isoformat()})
    for award in awards:
        root.append(activity(award, funder_type))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
