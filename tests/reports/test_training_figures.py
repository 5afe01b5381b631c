"""The funding summary's training figures against a small fixture computed by hand."""

from datetime import date, datetime, timedelta, timezone

from cade.reports.services.summary import FundingSummaryInput, funding_summary
from cade.reports.services.tables import summary_tables
from cade.training.constants import EnrolmentStatus
from tests.factories import (
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    OrganisationFactory,
    SessionFactory,
    UserFactory,
)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=timezone.utc)


def _session(course, day: str):
    starts = _at(day)
    return SessionFactory(course=course, starts_at=starts, enrolment_opens_at=starts - timedelta(days=30),
                          enrolment_closes_at=starts - timedelta(days=1))


def test_participants_completion_and_certificates_in_the_period(db):
    kenya = OrganisationFactory(country="KE", stakeholder_group="civil_society")
    brazil = OrganisationFactory(country="BR", region_code="019", subregion_code="419",
                                 stakeholder_group="technical_community")
    course = CourseFactory(title="Organisational foundations")
    first = _session(course, "2026-03-02")
    second = _session(course, "2026-03-09")
    later = _session(course, "2027-01-10")  # after the period
    ana, ben, cleo, dan = (UserFactory() for _ in range(4))
    EnrolmentFactory(session=first, user=ana, organisation=kenya, status=EnrolmentStatus.COMPLETED)
    EnrolmentFactory(session=second, user=ana, organisation=kenya, status=EnrolmentStatus.COMPLETED)
    EnrolmentFactory(session=first, user=ben, organisation=brazil, status=EnrolmentStatus.ATTENDED)
    EnrolmentFactory(session=first, user=cleo, organisation=kenya, status=EnrolmentStatus.NO_SHOW)
    EnrolmentFactory(session=second, user=dan, organisation=kenya, status=EnrolmentStatus.WAITLISTED,
                     waitlist_position=1)  # held no seat: not a participant
    EnrolmentFactory(session=later, user=dan, organisation=kenya)  # outside the period
    CertificateFactory(user=ana, course=course, organisation=kenya, issued_at=_at("2026-03-10"))
    CertificateFactory(user=ben, course=course, organisation=brazil, issued_at=_at("2026-03-10"),
                       revoked_at=_at("2026-04-01"), revocation_reason="Issued by mistake")
    db.session.commit()

    summary = funding_summary(FundingSummaryInput.from_input(
        {"currency": "USD", "date_from": "2026-01-01", "date_to": "2026-12-31"}), today=date(2026, 12, 31))
    training = summary["training"]

    assert (training["participants"], training["certificates"]) == (3, 1)
    [row] = training["courses"]
    assert (row["title"], row["participants"], row["certificates"], row["completion"]) == (
        "Organisational foundations", 3, 1, "0.3333")
    assert training["certificates_by_region"] == [{"key": "002", "certificates": 1}]
    assert training["certificates_by_stakeholder_group"] == [{"key": "civil_society", "certificates": 1}]
    assert len(training["gains"]) == 7 and all(g["gain"] is None for g in training["gains"])

    tables = {table.name: table for table in summary_tables(summary)}
    assert tables["training-by-course"].rows[0][:3] == ["Organisational foundations", 3, 1]
    assert str(tables["certificates-by-region"].rows[0][0]) == "Africa"
