"""Text that staff write in several languages (a call's description, its questions, rubric and budget headings):
the rows keep the text in their call's language and a JSON map of the other languages, and readers get their
language where it exists, or the call's language, marked as such.

A row is Translatable when it has the columns of the mixin below; `localized(row, "label")` is what every page,
e-mail and PDF asks, never `row.translations` directly. The call's language is `Call.language`; a row that is
not a call reads it through `row.text_language` (each model says where its call is).
"""

from dataclasses import dataclass

from flask_babel import get_locale
from sqlalchemy import JSON
from sqlalchemy.orm import Mapped, mapped_column


class Translatable:
    """The columns of a row with text in several languages: {"fr": {"label": "…", "help_text": "…"}, …}.

    The row's own columns hold the text in its call's language; `translations` holds the others, by field.
    """

    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)

    # The fields that may be translated (each model sets its own).
    translatable_fields: tuple[str, ...] = ()

    @property
    def text_language(self) -> str:
        """The language the row's own columns are written in (the call's language)."""
        raise NotImplementedError


@dataclass(frozen=True)
class LocalText:
    """A text as a reader gets it: the words, their language, and whether it is not the reader's own."""

    text: str
    language: str
    fallback: bool  # True: the reader's language has no version, this is the call's language

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def reader_language(locale=None) -> str:
    return str(locale or get_locale() or "en").split("_")[0]


def localized(row: Translatable, field: str, locale=None) -> LocalText:
    """`row`'s `field` in the reader's language where it is written, otherwise in the row's own language."""
    language = reader_language(locale)
    own = getattr(row, field) or ""
    base = row.text_language
    if language != base:
        text = ((row.translations or {}).get(language) or {}).get(field)
        if text and text.strip():
            return LocalText(text, language, False)
        return LocalText(own, base, bool(own) and language != base)
    return LocalText(own, base, False)


def languages_of(row: Translatable) -> list[str]:
    """The languages `row` can be read in: its own first, then those with every field it has filled translated."""
    filled = [name for name in row.translatable_fields if (getattr(row, name) or "").strip()]
    others = sorted(code for code, fields in (row.translations or {}).items()
                    if code != row.text_language and all((fields or {}).get(name, "").strip() for name in filled))
    return [row.text_language, *others]
