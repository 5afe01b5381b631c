"""Rendering an outbox row: subject, text and HTML in the recipient's language."""

import pytest
from jinja2 import TemplateNotFound

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
