"""A call's blank application form as a printable, accessible PDF, in any of the site's languages.

For organisations that prepare their answers offline, or cannot apply online
at all and send the form on paper: the call's title and deadline (in the
call's time zone), who may apply, every question as the edit page asks it
(help text, word limit, choices as boxes to tick, blank lines sized to the
word limit), the budget table of the call's template, and how to send the
form back.

The call's own text comes in the chosen language through
cade/core/translations.localized, in the call's language (and marked so)
where no translation exists; the interface's words through force_locale. The
page is templates/programmes/form_pdf.html, drawn by the reports'
`html_to_pdf` (WeasyPrint, fetching nothing) as a tagged PDF/UA-1 document,
so a screen reader follows its headings, lists and tables and reads each
text in its language.

Drawing takes a second or so; the HTML takes milliseconds. So the PDFs of
the last few pages drawn are kept in memory by the digest of their HTML:
any change to the call, its questions, its budget or their translations
gives other HTML, hence a new PDF, and nothing needs invalidating.
"""

import hashlib
import math
from dataclasses import dataclass
from email.utils import parseaddr
from functools import lru_cache

from flask import current_app, render_template
from flask_babel import force_locale

from cade.core.rules import call_conditions
from cade.core.urls import external_url
from cade.programmes.budgets import budget_template, percent_text
from cade.programmes.constants import QUESTION_KIND_LABELS
from cade.programmes.models import Call
from cade.reports.outputs.pdf import html_to_pdf

# Handwriting fits about ten words on a line across an A4 page; a long answer gets at most two pages of lines
# (the form says that more can go on a separate sheet).
WORDS_PER_LINE = 10
MIN_LINES = 3
MAX_LINES = 60
# Lines for an answer of each kind without a word limit.
LINES_BY_KIND = {"short_text": 2, "long_text": 12, "number": 1, "date": 1}
CACHED_PDFS = 16


def form_languages() -> list[str]:
    """The languages a form prints in: the interface's."""
    return list(current_app.config["LANGUAGES"])


def answer_lines(question) -> int:
    """How many blank lines to leave for an answer to `question` (none for a choice or a file)."""
    if question.kind in ("choice", "file"):
        return 0
    if question.word_limit and question.kind in ("short_text", "long_text"):
        return max(MIN_LINES, min(MAX_LINES, math.ceil(question.word_limit / WORDS_PER_LINE)))
    return LINES_BY_KIND.get(question.kind, MIN_LINES)


@dataclass(frozen=True)
class PrintedForm:
    """A form as printed: the PDF, and the digest of the page it was drawn from (an ETag for the download)."""

    pdf: bytes
    digest: str


def form_html(call: Call, language: str) -> str:
    """The printable page of `call`'s blank form in `language` (one of form_languages())."""
    call_url = external_url("programmes.call", call_id=call.id)
    with force_locale(language):
        return render_template(
            "programmes/form_pdf.html", call=call, language=language, questions=call.questions,
            conditions=call_conditions(call), budget=budget_template(call), percent_text=percent_text,
            answer_lines=answer_lines, max_lines=MAX_LINES, question_kind_labels=QUESTION_KIND_LABELS,
            call_url=call_url, contact=parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1] or call_url)


def form_pdf(call: Call, language: str) -> PrintedForm:
    """The PDF of `call`'s blank form in `language`, drawn once per version of its page."""
    html = form_html(call, language)
    return PrintedForm(_draw(html), hashlib.sha256(html.encode()).hexdigest())


@lru_cache(maxsize=CACHED_PDFS)
def _draw(html: str) -> bytes:
    return html_to_pdf(html, pdf_variant="pdf/ua-1")
