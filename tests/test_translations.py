"""The French, Spanish and Portuguese catalogues: complete, well-formed and used.

The .po files in cade/translations are the source; the .mo files are build
output (`make translations`, ignored by git). The page tests compile the
catalogues into place when the .mo files are missing or older than the .po.
"""

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "cade" / "translations"
LANGUAGES = ["fr", "es", "pt"]
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "es": "nplurals=2; plural=(n != 1);",
                "pt": "nplurals=2; plural=(n != 1);"}

# %(name)s-style placeholders (also bare %s / %d) and str.format-style {name} fields.
PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[diouxXeEfFgGcrsa]|\{[^{}]*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
# The keywords the project marks strings with (see babel.cfg).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "ngettext": (1, 2), "lazy_ngettext": (1, 2)}


def _po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def _catalog(lang: str):
    with _po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def _entries(catalog):
    return [m for m in catalog if m.id]


def _forms(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


# ----------------------------------------------------------------- the catalogues themselves


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_is_complete_and_not_fuzzy(lang):
    catalog = _catalog(lang)
    entries = _entries(catalog)
    assert entries, f"{lang}: empty catalogue"
    empty = [m.id for m in entries if not all(s.strip() for s in _forms(m.string))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not empty, f"{lang}: untranslated entries: {empty[:10]}"
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy[:10]}"
    assert catalog.plural_forms == PLURAL_FORMS[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_markup_are_kept(lang):
    problems = []
    for message in _entries(_catalog(lang)):
        wanted = sorted(PLACEHOLDER.findall(_forms(message.id)[0]))
        wanted_tags = sorted(HTML_TAG.findall(_forms(message.id)[0]))
        for translated in _forms(message.string):
            if sorted(PLACEHOLDER.findall(translated)) != wanted:
                problems.append((message.id, translated))
            if sorted(HTML_TAG.findall(translated)) != wanted_tags:
                problems.append((message.id, translated))
    assert not problems, f"{lang}: placeholders or tags differ: {problems[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_babel_checkers_pass(lang):
    """Babel's own checks (python-format compatibility, plural counts)."""
    errors = [(m.id, [str(e) for e in errs]) for m, errs in _catalog(lang).check()]
    assert not errors, f"{lang}: {errors[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_compiles(lang, tmp_path):
    catalog = _catalog(lang)
    mo_path = tmp_path / "messages.mo"
    with mo_path.open("wb") as fh:
        write_mo(fh, catalog, use_fuzzy=False)
    with mo_path.open("rb") as fh:
        compiled = read_mo(fh)
    assert len(_entries(compiled)) == len(_entries(catalog))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_covers_the_template(lang):
    with (REPO / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    translated = {m.id for m in _entries(_catalog(lang))}
    assert template - translated == set(), "run `pybabel update -i messages.pot -d cade/translations`"


def test_every_marked_string_has_a_translation():
    """Extract from the code as `pybabel extract` does: nothing marked is left untranslated."""
    with (REPO / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS,
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    found.discard("")
    assert "Open calls" in found and "Hello %(name)s," in found  # templates and e-mails are read
    for lang in LANGUAGES:
        translated = {_forms(m.id)[0] for m in _entries(_catalog(lang))}
        missing = sorted(found - translated)
        assert not missing, (
            f"{lang}: {len(missing)} marked strings have no translation, e.g. {missing[:5]}. "
            "Re-run pybabel extract and update (commands at the top of babel.cfg) and translate them."
        )


# ----------------------------------------------------------------- the catalogues in use


@pytest.fixture(scope="session")
def compiled_catalogues():
    """Compile each .po next to itself when its .mo is missing or stale (as `make translations` does)."""
    for lang in LANGUAGES:
        po_path = _po_path(lang)
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            catalog = _catalog(lang)
            tmp = mo_path.with_suffix(".mo.tmp")
            with tmp.open("wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            tmp.replace(mo_path)
    return TRANSLATIONS


@pytest.fixture()
def translated_app(app, compiled_catalogues):
    # Flask-Babel caches a catalogue per locale for the life of the app; drop any
    # entry loaded before the .mo files existed.
    with app.app_context():
        app.extensions["babel"].instance.domain_instance.cache.clear()
    return app


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", ["Appels ouverts", "Se connecter", "Créer un compte"]),
        ("es", ["Convocatorias abiertas", "Iniciar sesión", "Crear una cuenta"]),
        ("pt", ["Chamadas abertas", "Entrar", "Criar uma conta"]),
    ],
)
def test_public_index_follows_the_browser_language(translated_app, client, lang, expected):
    response = client.get("/", headers={"Accept-Language": f"{lang},en;q=0.5"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    for text in expected:
        assert text in html
    assert "Open calls" not in html


def test_english_stays_the_default(translated_app, client):
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Open calls" in html
    assert "Appels ouverts" not in html


def test_language_menu_choice_wins_over_the_browser(translated_app, client):
    response = client.post("/language", data={"locale": "pt"})
    assert response.status_code == 302
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="pt">' in html
    assert "Chamadas abertas" in html
    assert "Appels ouverts" not in html


def test_python_strings_are_translated_too(translated_app):
    from cade.extensions import login_manager

    with translated_app.test_request_context("/"):
        with force_locale("es"):
            assert str(login_manager.login_message) == "Inicie sesión para ver esta página."
        with force_locale("fr"):
            assert str(login_manager.login_message) == "Veuillez vous connecter pour voir cette page."
