"""Jinja filters and globals every template may use."""

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale

from cade.core import countries, money, timeutil


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
        get_locale=get_locale,
        languages=app.config["LANGUAGES"],
        language_names={"en": "English", "fr": "Français", "es": "Español", "pt": "Português"},
    )
