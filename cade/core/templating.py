"""Jinja filters and globals every template may use."""

from collections.abc import Mapping
from datetime import date

from babel import Locale
from babel.numbers import format_decimal as babel_format_decimal
from babel.units import format_unit
from flask import Flask, current_app
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from jinja2 import Undefined
from markupsafe import Markup

from cade.core import countries, money, permissions, timeutil
from cade.core.translations import LocalText, localized, reader_language

# The macros that show a text written in several languages (a LocalText), with its `lang` and its marker.
LOCAL_TEXT_MACROS = "_macros/local_text.html"


def aria_attrs(describedby: list[str], field, extra: dict) -> dict:
    """Attributes for a form control: only those that apply.

    WTForms would print an attribute set to None as the text "None".
    """
    attrs = dict(extra)
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


def language_name(code: str) -> str:
    """A language named in itself, as a language menu offers it ("Français" for fr)."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_in_reader(code: str) -> str:
    """A language named in the reader's language ("anglais" for en, to a French reader): the marker of a fallback."""
    try:
        return Locale.parse(code).get_display_name(reader_language()) or code
    except (ValueError, TypeError):  # a code Babel does not know: shown as it is
        return code


def local_markup(text: LocalText) -> Markup | str:
    """`text` for a place that takes markup but is not a template (a form field's label or hint).

    The reader's own words come back as they are; a fallback comes back as the
    macro `text` of templates/_macros/local_text.html renders it (its `lang`
    and its visible marker), so the markup is written once, in the template.
    """
    if not text.fallback:
        return text.text
    return current_app.jinja_env.get_template(LOCAL_TEXT_MACROS).module.text(text)


def file_size(size: int) -> str:
    """Bytes as kB or MB in the reader's language ("12 ko" in French)."""
    locale = str(get_locale() or "en")
    if size >= 1024 * 1024:
        return format_unit(round(size / (1024 * 1024), 1), "digital-megabyte", length="short", locale=locale)
    return format_unit(max(1, -(-size // 1024)), "digital-kilobyte", length="short", locale=locale)


def exact_number(value) -> str:
    """A Decimal with every digit it has, in the reader's language (an exchange rate: 1,0832 in French)."""
    return babel_format_decimal(value.normalize(), locale=str(get_locale() or "en"), decimal_quantization=False)


def money_filter(value, currency: str | None = None) -> str:
    """`amount_minor|money(currency)` for a column; `amount|money` for a Money or its JSON form (a notification's).

    Text is shown as it is: notifications queued before their contexts held
    raw values carry the amount already written out (see
    cade/notifications/rendering.py).
    """
    if value is None or isinstance(value, (str, Undefined)):
        return str(value or "")
    if isinstance(value, money.Money):
        return value.format()
    if isinstance(value, Mapping):
        return money.Money.from_json(value).format()
    return money.format_money(value, currency)


def moment_filter(value, fmt: str = "medium") -> str:
    """`due|moment`: a moment kept by timeutil.moment_json, in its zone and the reader's language.

    Text is shown as it is, as for `money_filter`.
    """
    if value is None or isinstance(value, (str, Undefined)):
        return str(value or "")
    return timeutil.format_moment(value, fmt)


def day_filter(value, fmt: str = "long") -> str:
    """`due_on|day`: a calendar day (a date, or the ISO text a notification context keeps) in the reader's language.

    Unlike `date`, never moves the day to another time zone: a due date is a
    day, not a moment. Text that is not an ISO date is shown as it is.
    """
    if not value or isinstance(value, Undefined):
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money_filter,
        moment=moment_filter,
        country_name=countries.country_name,
        region_name=countries.region_name,
        datetime=format_datetime,
        date=format_date,
        day=day_filter,
        number=format_decimal,
        exact_number=exact_number,
        in_zone=timeutil.format_in_zone,
        file_size=file_size,
        role_label=permissions.role_label,
        localized=localized,
    )
    app.jinja_env.globals.update(
        # A call's, a question's or a criterion's text in the reader's language (cade/core/translations.py);
        # templates/_macros/local_text.html shows it with its `lang` and a marker when it is not theirs.
        localized=localized,
        language_in_reader=language_in_reader,
        today_utc=lambda: timeutil.utcnow().date(),  # the day deadlines and expiries are counted in
        aria_attrs=aria_attrs,
        role_label=permissions.role_label,
        get_locale=get_locale,
        languages=app.config["LANGUAGES"],
        language_names={code: language_name(code) for code in app.config["LANGUAGES"]},
    )
