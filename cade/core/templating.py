"""Jinja filters and globals every template may use."""

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from cade.core import countries, money, timeutil


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


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money.format_money,
        country_name=countries.country_name,
        region_name=countries.region_name,
        datetime=format_datetime,
        date=format_date,
        number=format_decimal,
        in_zone=timeutil.format_in_zone,
    )
    app.jinja_env.globals.update(
        aria_attrs=aria_attrs,
        get_locale=get_locale,
        languages=app.config["LANGUAGES"],
        language_names={"en": "English", "fr": "Français", "es": "Español", "pt": "Português"},
    )
