"""Turns an outbox row into the subject, text and HTML its recipient reads, in their language.

A kind "<domain>.<name>" renders templates/email/<domain>/<name>.txt (which
holds the `subject` and `body` blocks) and .html (the `body` block). Inside
them the row's context keys are top-level variables, beside `recipient_name`,
`recipient_timezone` and `link(endpoint, **values)` for absolute URLs. A
recipient who must stay discreet gets a neutral subject instead of the
template's (cade/notifications/discretion.py).

Contexts hold raw values, written out only here, in the language the row is
rendered in: an amount as ``{"minor": 150000, "currency": "EUR"}`` (the
``money`` filter), a moment as ``{"at": "<ISO 8601, UTC>", "zone": "<IANA
zone>"}`` (the ``moment`` filter). So the inbox shows a message in the
language its reader uses today, not the one they used when it was queued.
Rows queued before that carry the text already written out under an older
key (``amount_text``…); `_context` hands that text to the templates under the
new key, and the filters show text as it is.
"""

import re

from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import Template, TemplateNotFound, pass_context
from markupsafe import Markup

from cade.core.urls import external_url
from cade.notifications.discretion import discreet_subject, is_discreet

_KIND = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def template_names(kind: str) -> tuple[str, str]:
    """The (.txt, .html) template names of a kind; ValueError for a malformed kind."""
    if not _KIND.match(kind or ""):
        raise ValueError(f"not a notification kind: {kind!r}")
    domain, name = kind.split(".")
    return f"email/{domain}/{name}.txt", f"email/{domain}/{name}.html"


def notification_locale(row) -> str:
    """The row's language, else the recipient's current one, else the site default."""
    languages = current_app.config["LANGUAGES"]
    recipient = row.recipient
    for candidate in (row.locale, getattr(recipient, "locale", None)):
        if candidate in languages:
            return candidate
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def render_notification(row, locale: str | None = None, *,
                        discreet: bool | None = None) -> tuple[str, str, str | None]:
    """(subject, text, html) of an outbox row in its recipient's language.

    `html` is None when the kind has no .html template (the e-mail is then
    sent as plain text). The subject is the neutral one when the recipient is
    discreet (`discreet`, else asked of `is_discreet`). Raises
    TemplateNotFound when the .txt is missing.
    """
    txt_name, html_name = template_names(row.kind)
    if discreet is None:
        discreet = is_discreet(row)
    with force_locale(locale or notification_locale(row)):
        context = _translating(_context(row))
        txt = current_app.jinja_env.get_template(txt_name)
        subject = discreet_subject(row.kind) if discreet else _render_block(txt, "subject", context)
        text = txt.render(context).strip() + "\n"
        try:
            html_template = current_app.jinja_env.get_template(html_name)
        except TemplateNotFound:
            html = None
        else:
            html = html_template.render(dict(context, email_subject=subject))
    return subject, text, html


def render_in_app(row, locale: str | None = None) -> tuple[str, str]:
    """(subject, body text) for the inbox: the e-mail's text without its footer.

    The inbox reader sees it in the language of the page they are reading
    (`locale`), not necessarily the one the e-mail went out in.
    """
    txt_name, _html_name = template_names(row.kind)
    with force_locale(locale or notification_locale(row)):
        context = _context(row)
        txt = current_app.jinja_env.get_template(txt_name)
        return _render_block(txt, "subject", context), _render_block(txt, "body", context, one_line=False)


# Old key holding text written out at queue time → the key now holding the raw value.
LEGACY_TEXT_KEYS = {
    "amount_text": "amount",
    "due_text": "due",
    "deadline_text": "deadline",
    "submitted_at_text": "submitted",
}


def _context(row) -> dict:
    recipient = row.recipient
    context = dict(row.context or {})
    for old, new in LEGACY_TEXT_KEYS.items():
        if old in context and new not in context:
            context[new] = context[old] or None
    context.update(
        recipient_name=recipient.name if recipient is not None else context.get("recipient_name") or row.recipient_email,
        recipient_email=row.recipient_email,
        recipient_timezone=getattr(recipient, "timezone", None) or "UTC",
        link=external_url,
    )
    return context


def _translating(context: dict) -> dict:
    """The context with `gettext` and `ngettext` bound to the translations of the locale forced for this render.

    The templates' `_()` and `ngettext()` otherwise call Flask-Babel's, which
    look the translations up again at every call: some 30 µs each, half a
    millisecond an e-mail (bench/delivery.py). These behave as Jinja's
    "newstyle" ones that Flask-Babel installs: %-formatting with the keyword
    arguments, the translation marked safe (and the arguments escaped) where
    the template autoescapes. The text marked safe is our own catalogue's (a
    translator's, reviewed), never the user's; the user's values are the
    escaped arguments.
    """
    translations = get_translations()

    @pass_context
    def gettext(__context, __string, **variables):
        text = translations.ugettext(__string)
        return (Markup(text) if __context.eval_ctx.autoescape else text) % variables  # nosec B704

    @pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        text = translations.ungettext(__singular, __plural, __num)
        return (Markup(text) if __context.eval_ctx.autoescape else text) % variables  # nosec B704

    return dict(context, gettext=gettext, ngettext=ngettext)


def _render_block(template: Template, block: str, context: dict, one_line: bool = True) -> str:
    render = template.blocks.get(block)
    if render is None:
        return ""
    output = "".join(render(template.new_context(context)))
    # A subject is one header line; bodies keep their paragraphs.
    return " ".join(output.split()) if one_line else output.strip()
