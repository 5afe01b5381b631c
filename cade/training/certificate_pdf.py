"""A certificate as a one-page PDF in its holder's language, with a QR code of its public page.

The page is HTML (templates/training/certificate_pdf.html) drawn by the
reports' `html_to_pdf` (WeasyPrint, fetching nothing outside ``data:`` URLs).
The QR code is drawn by segno as inline SVG: no image file, no network.
"""

import segno
from flask import render_template
from flask_babel import force_locale, format_date

from cade.core.urls import external_url
from cade.reports.outputs.pdf import html_to_pdf


def public_url(certificate) -> str:
    return external_url("training.verify", code=certificate.code)


def qr_svg(url: str) -> str:
    """The QR code of `url` as an inline <svg> (medium error correction, sized by CSS)."""
    return segno.make(url, error="m").svg_inline(scale=4, omitsize=True)


def certificate_html(certificate) -> str:
    user = certificate.user
    url = public_url(certificate)
    with force_locale(user.locale or "en"):
        return render_template("training/certificate_pdf.html", certificate=certificate, url=url,
                               qr=qr_svg(url), issued=format_date(certificate.issued_at, "long"))


def certificate_pdf(certificate) -> bytes:
    return html_to_pdf(certificate_html(certificate))
