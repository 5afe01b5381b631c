"""Jinja filters and globals every template may use."""

from babel import Locale
from babel.units import format_unit
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from cade.core import countries, money, permissions, timeutil


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


def file_size(size: int) -> str:
    """Bytes as kB or MB in the reader's language ("12 ko" in French)."""
    locale = str(get_locale() or "en")
    if size >= 1024 * 1024:
        return format_unit(round(size / (1024 * 1024), 1), "digital-megabyte", length="short", locale=locale)
    return format_unit(max(1, -(-size // 1024)), "digital-kilobyte", length="short", locale=locale)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money.format_money,
        country_name=countries.country_name,
        region_name=countries.region_name,
        datetime=format_datetime,
        date=format_date,
        number=format_decimal,
        in_zone=timeutil.format_in_zone,
        file_size=file_size,
        role_label=permissions.role_label,
    )
    app.jinja_env.globals.update(
        aria_attrs=aria_attrs,
        role_label=permissions.role_label,
        get_locale=get_locale,
        languages=app.config["LANGUAGES"],
        language_names={code: language_name(code) for code in app.config["LANGUAGES"]},
    )
