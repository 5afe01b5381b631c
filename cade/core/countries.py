"""Countries (ISO 3166-1) with their UN M49 regions and the UN country lists.

Country names come from Babel's CLDR data in the reader's language; the
regions and the LDC/LLDC/SIDS lists come from the shipped `data/m49.csv`.
Region names come from `data/m49_regions.csv`, as the UN Statistics Division
writes them: CLDR shortens some ("Latin America" for 419, which leaves out the
Caribbean), and a call's eligibility must read exactly as the UN list does.
"""

import csv
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

DATA = Path(__file__).parent / "data" / "m49.csv"
# code,en,fr,es,pt. The UN publishes M49 in its six official languages, so en, fr and es are
# the UN's own names; it publishes no Portuguese version, and pt holds the names established in
# Brazilian Portuguese (the site's pt), written in the same pattern as the UN's Spanish.
REGION_NAMES = Path(__file__).parent / "data" / "m49_regions.csv"

COUNTRY_LISTS = {
    "LDC": _l("Least developed countries (LDC)"),
    "LLDC": _l("Landlocked developing countries (LLDC)"),
    "SIDS": _l("Small island developing states (SIDS)"),
}


@dataclass(frozen=True)
class Country:
    code: str
    alpha3: str
    m49: str
    region_code: str
    region_name: str
    subregion_code: str
    subregion_name: str
    intermediate_code: str
    intermediate_name: str
    lists: frozenset[str]


@cache
def _countries() -> dict[str, Country]:
    with DATA.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {
        row["iso_alpha2"]: Country(
            code=row["iso_alpha2"],
            alpha3=row["iso_alpha3"],
            m49=row["m49_code"],
            region_code=row["region_code"],
            region_name=row["region_name"],
            subregion_code=row["subregion_code"],
            subregion_name=row["subregion_name"],
            intermediate_code=row["intermediate_region_code"],
            intermediate_name=row["intermediate_region_name"],
            lists=frozenset(name for name in ("LDC", "LLDC", "SIDS") if row[name.lower()] == "1"),
        )
        for row in rows
    }


def get_country(code: str | None) -> Country | None:
    return _countries().get((code or "").upper())


def is_country(code: str | None) -> bool:
    return get_country(code) is not None


def _locale() -> Locale:
    try:
        return Locale.parse(str(get_locale() or "en"))
    except Exception:  # outside a request, or an unknown locale
        return Locale("en")


def country_name(code: str | None, locale: Locale | None = None) -> str:
    if not code:
        return ""
    locale = locale or _locale()
    return locale.territories.get(code.upper()) or Locale("en").territories.get(code.upper(), code)


@cache
def region_table() -> dict[str, dict[str, str]]:
    """{M49 code: {language: name}} for every region, sub-region and intermediate region."""
    with REGION_NAMES.open(newline="", encoding="utf-8") as f:
        return {row.pop("code"): row for row in csv.DictReader(f)}


def region_name(m49_code: str | None, locale: Locale | None = None) -> str:
    """The M49 region, sub-region or intermediate region name in the reader's language (else English)."""
    if not m49_code:
        return ""
    names = region_table().get(m49_code)
    if names is None:
        return m49_code
    language = (locale or _locale()).language
    return names.get(language) or names["en"]


def sort_key(name: str) -> str:
    """A name as a list sorts it: accents and case set aside, so "Égypte" files under E, not after "Zambie"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def country_choices(locale: Locale | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs sorted by the name in the reader's language."""
    locale = locale or _locale()
    pairs = [(code, country_name(code, locale)) for code in _countries()]
    return sorted(pairs, key=lambda pair: sort_key(pair[1]))


def region_choices(locale: Locale | None = None) -> list[tuple[str, str]]:
    codes = {c.region_code for c in _countries().values()}
    codes |= {c.subregion_code for c in _countries().values()}
    codes |= {c.intermediate_code for c in _countries().values() if c.intermediate_code}
    return sorted(((code, region_name(code, locale)) for code in codes), key=lambda pair: sort_key(pair[1]))


def countries_in_region(m49_code: str) -> set[str]:
    return {
        c.code
        for c in _countries().values()
        if m49_code in (c.region_code, c.subregion_code, c.intermediate_code)
    }


def countries_in_list(list_name: str) -> set[str]:
    return {c.code for c in _countries().values() if list_name in c.lists}
