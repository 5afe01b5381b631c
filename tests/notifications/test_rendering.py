"""Rendering an outbox row: subject, text and HTML in the recipient's language."""

from datetime import datetime, timezone

import pytest
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from cade.core.money import Money
from cade.core.templating import money_filter, moment_filter
from cade.core.timeutil import format_in_zone, format_moment, moment_json
from cade.notifications.rendering import render_in_app, render_notification, template_names
from cade.notifications.services import notify
from tests.factories import UserFactory

CONTEXT = {"amount": 123456, "currency": "EUR", "country": "DE"}

# What a reader in each language sees: the country's name and the amount as written there.
EXPECTED = {
    "en": ("Germany", "€1,234.56"),
    "fr": ("Allemagne", "1\u202f234,56\xa0€"),
    "es": ("Alemania", "1.234,56\xa0€"),
    "pt": ("Alemanha", "€\xa01.234,56"),
}


# The greeting comes from the translation catalogues (the same string as in real e-mails).
GREETING = {"en": "Hello {},", "fr": "Bonjour {},", "es": "Hola, {}:", "pt": "Olá, {},"}


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_email_is_rendered_in_the_recipients_language(db, email_templates, locale):
    user = UserFactory(name="Amara Diallo", locale=locale)
    row = notify(email_templates, recipient=user, context=CONTEXT, key=f"hello-{locale}")

    subject, text, html = render_notification(row)

    country, amount = EXPECTED[locale]
    assert subject == f"Greetings from {country}"
    assert GREETING[locale].format("Amara Diallo") in text
    assert f"{amount} is on its way to {country}" in text
    assert f"{amount} is on its way to {country}" in html
    assert '<html lang="%s">' % locale in html
    assert "<title>Greetings from %s</title>" % country in html


def test_the_rows_language_wins_over_the_users_current_one(db, email_templates):
    user = UserFactory(locale="en")
    row = notify(email_templates, recipient=user, locale="pt", context=CONTEXT, key="hello-pt")
    assert render_notification(row)[0] == "Greetings from Alemanha"


def test_a_language_the_site_does_not_offer_falls_back_to_the_users(db, email_templates):
    user = UserFactory(locale="es")
    row = notify(email_templates, recipient=user, locale="xx", context=CONTEXT, key="hello-xx")
    assert render_notification(row)[0] == "Greetings from Alemania"


def test_links_are_absolute_on_base_url_and_the_subject_is_not_in_the_text(app, db, email_templates):
    user = UserFactory()
    row = notify(email_templates, recipient=user, context=CONTEXT, key="hello-links")

    subject, text, html = render_notification(row)

    base = app.config["BASE_URL"].rstrip("/")
    assert f"{base}/inbox" in text
    assert f'href="{base}/inbox"' in html
    assert "Greetings" not in text
    assert "\n" not in subject


def test_html_escapes_what_people_typed_and_text_keeps_it_readable(db, email_templates):
    user = UserFactory(name='<script>alert("x")</script> & Co')
    row = notify(email_templates, recipient=user, context=CONTEXT, key="hello-escape")

    _subject, text, html = render_notification(row)

    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<script>alert("x")</script> & Co' in text


def test_someone_without_an_account_is_greeted_by_address(db, email_templates):
    row = notify(email_templates, email="newcomer@example.org", locale="fr", context=CONTEXT, key="hello-guest")
    _subject, text, _html = render_notification(row)
    assert GREETING["fr"].format("newcomer@example.org") in text
    assert "Allemagne" in text


def test_inbox_rendering_is_the_body_without_the_footer_in_the_readers_language(db, email_templates):
    user = UserFactory(locale="en")
    row = notify(email_templates, recipient=user, context=CONTEXT, key="hello-inbox")

    subject, body = render_in_app(row, locale="fr")

    assert subject == "Greetings from Allemagne"
    assert body.startswith("Bonjour")
    assert "-- " not in body


def test_a_kind_without_templates_cannot_be_rendered(db):
    user = UserFactory()
    row = notify("testing.nothing_here", recipient=user, key="missing")
    with pytest.raises(TemplateNotFound):
        render_notification(row)


@pytest.mark.parametrize("kind", ["", "nodot", "a.b.c", "../etc.passwd", "Upper.case"])
def test_malformed_kinds_name_no_template(kind):
    with pytest.raises(ValueError):
        template_names(kind)


def test_kind_names_its_two_templates():
    assert template_names("applications.submitted") == (
        "email/applications/submitted.txt",
        "email/applications/submitted.html",
    )


# ------------------------------------------------ raw values, written out when read

AWARD = {"application_id": 1, "reference": "CADE-2026-0001", "title": "Mesh for three villages",
         "call_title": "Community networks", "outcome": "award", "feedback": "Well argued.", "comments": []}
NAIROBI_TEN = {"at": "2026-12-05T10:00:00+00:00", "zone": "Africa/Nairobi"}


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize("locale,amount", [("en", "$20,000.00"), ("fr", "20 000,00 $US"), ("es", "20.000,00 US$")])
def test_an_amount_kept_raw_is_written_in_the_language_it_is_rendered_in(db, locale, amount):
    user = UserFactory(locale="en")
    row = notify("awards.decision_released", recipient=user, key="raw-amount",
                 context=dict(AWARD, amount={"minor": 2_000_000, "currency": "USD"}))

    _subject, text, html = render_notification(row, locale=locale)

    assert amount in _plain(text) and amount in _plain(html)


def test_a_message_queued_with_the_amount_already_written_out_still_renders_it(db):
    user = UserFactory(locale="fr")
    row = notify("awards.decision_released", recipient=user, key="old-amount",
                 context=dict(AWARD, amount_text="$20,000.00"))
    _subject, text, html = render_notification(row)
    assert "$20,000.00" in text and "$20,000.00" in html


def test_a_moment_kept_raw_is_written_in_its_zone_and_the_readers_language(db):
    user = UserFactory(locale="en")
    row = notify("reviews.due_soon", recipient=user, key="raw-due", context={
        "assignment_id": 1, "call_title": "C", "reference": "R-1", "title": "T", "due": NAIROBI_TEN})
    moment = datetime(2026, 12, 5, 10, tzinfo=timezone.utc)

    for locale in ("en", "pt"):
        subject, text, html = render_notification(row, locale=locale)
        written = format_in_zone(moment, "Africa/Nairobi", locale=locale)
        assert " ".join(written.split()) in subject  # a subject is one line of plain spaces
        assert written in text and written in html and "(Africa/Nairobi)" in written
    assert "13:00" in written  # 10:00 UTC is 13:00 in Nairobi


@pytest.mark.parametrize("kind,old,new", [
    ("reviews.due_soon", {"due_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"}, {"due": NAIROBI_TEN}),
    ("reviews.overdue", {"due_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"}, {"due": NAIROBI_TEN}),
    ("reviews.assigned", {"due_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"}, {"due": NAIROBI_TEN}),
    ("applications.call_closing_7d", {"deadline_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"},
     {"deadline": NAIROBI_TEN}),
    ("applications.call_closing_48h", {"deadline_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"},
     {"deadline": NAIROBI_TEN}),
    ("applications.submitted", {"submitted_at_text": "5 déc. 2026, 13:00 (Africa/Nairobi)"},
     {"submitted": NAIROBI_TEN}),
])
def test_old_and_new_contexts_of_every_dated_message_render(db, kind, old, new):
    base = {"assignment_id": 1, "application_id": 1, "call_title": "C", "reference": "R-1", "title": "T",
            "organisation_name": "O", "submitted_at": NAIROBI_TEN["at"]}
    user = UserFactory(locale="fr")
    old_row = notify(kind, recipient=user, key=f"old:{kind}", context=dict(base, **old))
    new_row = notify(kind, recipient=user, key=f"new:{kind}", context=dict(base, **new))

    assert "5 déc. 2026, 13:00 (Africa/Nairobi)" in render_notification(old_row)[1]
    written = format_in_zone(datetime(2026, 12, 5, 10, tzinfo=timezone.utc), "Africa/Nairobi", locale="fr")
    assert written in render_notification(new_row)[1]
    assert written in render_in_app(new_row, locale="fr")[1]


def test_an_assignment_without_a_due_date_says_so_in_both_shapes(db):
    user = UserFactory()
    base = {"assignment_id": 1, "call_title": "C", "reference": "R-1", "title": "T"}
    for key, context in (("old", dict(base, due_at=None, due_text="")), ("new", dict(base, due=None))):
        text = render_notification(notify("reviews.assigned", recipient=user, key=key, context=context))[1]
        assert "has not been set yet" in text


def test_a_receipt_from_before_the_written_out_time_shows_the_raw_moment(db):
    user = UserFactory()
    row = notify("applications.submitted", recipient=user, key="oldest", context={
        "application_id": 1, "reference": "R-1", "title": "T", "call_title": "C", "organisation_name": "O",
        "submitted_at": "2026-12-05T10:00:00+00:00"})
    assert "Submitted: 2026-12-05T10:00:00+00:00" in render_notification(row)[1]


def test_the_filters_take_every_shape_an_amount_or_a_moment_comes_in(app):
    with app.test_request_context(), force_locale("fr"):
        assert _plain(money_filter({"minor": 150000, "currency": "EUR"})) == "1 500,00 €"
        assert _plain(money_filter(Money(150000, "EUR"))) == "1 500,00 €"
        assert _plain(money_filter(150000, "EUR")) == "1 500,00 €"
        assert money_filter("written out") == "written out"
        assert money_filter(None) == "" and moment_filter(None) == ""
        assert moment_filter("written out") == "written out"
        assert moment_filter(NAIROBI_TEN) == format_in_zone(
            datetime(2026, 12, 5, 10, tzinfo=timezone.utc), "Africa/Nairobi", locale="fr")


def test_a_moment_is_kept_in_utc_with_the_zone_to_show_it_in():
    from zoneinfo import ZoneInfo

    local = datetime(2026, 12, 5, 13, tzinfo=ZoneInfo("Africa/Nairobi"))
    assert moment_json(local, "America/Lima") == {"at": "2026-12-05T10:00:00+00:00", "zone": "America/Lima"}
    assert moment_json(None, "UTC") is None
    assert format_moment({"at": "2026-12-05T10:00:00", "zone": "UTC"}, locale="en") == format_in_zone(
        datetime(2026, 12, 5, 10, tzinfo=timezone.utc), "UTC", locale="en")  # no offset: read as UTC
