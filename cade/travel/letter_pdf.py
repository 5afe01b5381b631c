"""A visa support letter as a PDF: a page in English and, where the event has another language of the app, one in it.

Each page is drawn from its own template (templates/travel/letter.<lang>.html,
written in that language like the grant agreements) inside
templates/travel/letter_pdf.html, and the whole is drawn by the reports'
`html_to_pdf` (WeasyPrint, fetching nothing but ``data:`` URLs), as
certificates are. The QR code of the public check page is segno's inline SVG.
"""

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale, format_date

from cade.core.urls import external_url
from cade.reports.outputs.pdf import html_to_pdf
from cade.training.certificate_pdf import qr_svg
from cade.travel.approval import approved_lines

LETTER_LANGUAGES = ("en", "fr", "es", "pt")  # the languages a letter template exists in


def letter_languages(trip) -> list[str]:
    """English, then the event's language when it is another language of the app that a letter is written in."""
    language = (trip.event.language or "").lower() if trip.event is not None else ""
    if language != "en" and language in current_app.config["LANGUAGES"] and language in LETTER_LANGUAGES:
        return ["en", language]
    return ["en"]


def public_url(code: str) -> str:
    return external_url("travel.verify_letter", code=code)


def letter_page(trip, code: str, issued_at: datetime, language: str) -> str:
    """One page of the letter, in `language`: its template rendered with dates and amounts written in it."""
    application = trip.application
    call = application.call
    event = trip.event
    url = public_url(code)
    with force_locale(language):
        return render_template(
            f"travel/letter.{language}.html", trip=trip, organisation=application.organisation, call=call,
            programme=call.programme, event=event, currency=call.currency,
            traveller_name=trip.traveller.name if trip.traveller is not None else trip.traveller_name,
            lines=approved_lines(trip, call.currency),
            total_minor=sum(cost.approved_minor or 0 for cost in trip.costs),
            starts_on=format_date(event.starts_on, "long"), ends_on=format_date(event.ends_on, "long"),
            departs_on=format_date(trip.departs_on, "long") if trip.departs_on else "",
            returns_on=format_date(trip.returns_on, "long") if trip.returns_on else "",
            issued_on=format_date(issued_at, "long"), code=code, url=url, qr=qr_svg(url))


def letter_html(trip, code: str, issued_at: datetime, languages: list[str]) -> str:
    pages = [letter_page(trip, code, issued_at, language) for language in languages]
    return render_template("travel/letter_pdf.html", pages=pages, language=languages[0])


def letter_pdf(trip, code: str, issued_at: datetime, languages: list[str]) -> bytes:
    return html_to_pdf(letter_html(trip, code, issued_at, languages))
