"""The grant agreement as a PDF, from a template per programme, in the organisation's language.

Templates live in templates/grants/agreements/: `<programme kind>.<lang>.html`
is used where it exists, else `default.<lang>.html`, else `default.en.html`.
The page is HTML drawn by the reports' `html_to_pdf` (WeasyPrint, fetching
nothing but ``data:`` URLs), as certificates are. A version made by an
amendment (`Amended`) is drawn from the same template, in the language of the
first, with a section "Amendments" listing every amendment in force.
"""

from dataclasses import dataclass, field

from flask import current_app, render_template
from flask_babel import force_locale, format_date, format_datetime
from jinja2 import TemplateNotFound

from cade.grants.constants import AGREEMENT_FOLDER
from cade.reports.outputs.pdf import html_to_pdf


def agreement_language(decision, owner) -> str:
    """The accepting owner's language, else the organisation's first language, else English."""
    if owner is not None and getattr(owner, "locale", None):
        return owner.locale
    languages = decision.application.organisation.languages or []
    return languages[0] if languages else "en"


def agreement_template(programme, language: str) -> str:
    """The name of the first agreement template that exists for `programme` in `language` (English last)."""
    names = [f"{AGREEMENT_FOLDER}/{programme.kind}.{language}.html", f"{AGREEMENT_FOLDER}/default.{language}.html",
             f"{AGREEMENT_FOLDER}/default.en.html"]
    for name in names:
        try:
            current_app.jinja_env.get_template(name)
        except TemplateNotFound:
            continue
        return name
    raise TemplateNotFound(names[-1])


def fixed_rate(decision) -> dict | None:
    """The exchange rate fixed at award (awards' fx_* columns), or None where the currencies match."""
    rate = getattr(decision, "fx_rate", None)
    if rate is None:
        return None
    return {"rate": rate, "currency": getattr(decision, "fx_currency", None),
            "on": getattr(decision, "fx_rate_date", None) or getattr(decision, "fx_date", None),
            "source": getattr(decision, "fx_source", None)}


@dataclass(frozen=True)
class Amended:
    """What a version after the first says beyond the original: its number, the schedule as it stands (dates
    moved by extensions), the signatory named now, and every amendment in force (oldest first), each a dict of
    kind, status, decided_on (a date), and days | moves [{amount_minor, from, to}] | name and position."""

    version: int
    schedule: list
    signatory_name: str
    signatory_position: str
    amendments: list[dict] = field(default_factory=list)


def agreement_html(decision, owner, language: str, amended: Amended | None = None) -> tuple[str, str]:
    """(the agreement's HTML, the language it is in): the template's language, which may fall back to English.

    With `amended`, the version it is, its schedule and signatory, and its section "Amendments".
    """
    programme = decision.application.call.programme
    name = agreement_template(programme, language)
    language = name.rsplit(".", 2)[-2]
    accepted_at = getattr(decision, "accepted_at", None)
    from cade.grants.tranches import acceptance_day, planned_tranches

    if amended is None:
        schedule = planned_tranches(decision.call_id, decision.amount_minor, decision.currency,
                                    acceptance_day(decision))
        signatory = (getattr(decision, "signatory_name", None) or getattr(owner, "name", ""),
                     getattr(decision, "signatory_position", None) or "")
    else:
        schedule, signatory = amended.schedule, (amended.signatory_name, amended.signatory_position)
    with force_locale(language):
        html = render_template(
            name, decision=decision, application=decision.application, call=decision.application.call,
            programme=programme, organisation=decision.application.organisation, language=language,
            signatory_name=signatory[0], signatory_position=signatory[1],
            accepted_on=format_date(accepted_at, "long") if accepted_at else "",
            accepted_at=format_datetime(accepted_at, "long") if accepted_at else "",
            fx=fixed_rate(decision), schedule=schedule,
            version=amended.version if amended else 1, amendments=amended.amendments if amended else [])
    return html, language


def agreement_pdf(decision, owner, language: str, amended: Amended | None = None) -> tuple[bytes, str]:
    html, language = agreement_html(decision, owner, language, amended)
    return html_to_pdf(html), language
