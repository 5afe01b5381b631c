"""Text written in several languages, as the enquiry commands read it and as their notifications carry it.

Staff type an answer or a notice in the call's language and, optionally, in the site's other languages; the form
names those fields `<field>_<language>` (`answer_fr`). A notification's context keeps every language's version
as plain values (`texts_by_language`), so the e-mail and the inbox show the reader's own language, or the call's
language where there is no version in theirs, marked as such.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from flask import current_app

from cade.core.commands import Cleaner, Cleaning, Command, Moment, Text
from cade.core.translations import Translatable, localized


def other_languages(language: str) -> list[str]:
    """The site's languages a text written in `language` may be translated into, in the site's order."""
    return [code for code in current_app.config["LANGUAGES"] if code != language]


@dataclasses.dataclass(frozen=True)
class Translations(Cleaner):
    """`{language: {field: text}}` for the other languages of the context's `language`; empty texts left out.

    Each text is cleaned as `Text(max_len)` and refused under its form field's name (`answer_fr`).
    """

    fields: tuple[str, ...]
    max_len: int

    def clean(self, raw, cleaning):
        raw = raw if isinstance(raw, Mapping) else {}
        found: dict[str, dict[str, str]] = {}
        for code in other_languages(cleaning.context["language"]):
            given = raw.get(code) if isinstance(raw.get(code), Mapping) else {}
            texts = {}
            for name in self.fields:
                text = Text(self.max_len).clean(given.get(name), Cleaning(f"{name}_{code}", cleaning.errors,
                                                                          cleaning.context, cleaning.values))
                if text:
                    texts[name] = text
            if texts:
                found[code] = texts
        return found


class TranslatedCommand(Command):
    """A command with a `translations` field: a form's `<field>_<language>` keys are gathered into it.

    A JSON body may give `translations` itself; the context must hold the call's `language`.
    """

    translated: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_input(cls, data: Mapping[str, Any] | None = None, **context) -> Self:
        data = dict(data or {})
        if "translations" not in data:
            data["translations"] = {code: {name: data.get(f"{name}_{code}") for name in cls.translated}
                                    for code in other_languages(context["language"])}
        return super().from_input(data, **context)


def translation_form_data(row: Translatable, fields: tuple[str, ...]) -> dict[str, str]:
    """A row's translations as the form's `<field>_<language>` fields show them."""
    return {f"{name}_{code}": text for code, texts in (row.translations or {}).items()
            for name, text in (texts or {}).items() if name in fields}


class OptionalMoment(Cleaner):
    """A moment read as `Moment` reads it, or None when left empty."""

    def clean(self, raw, cleaning):
        if raw is None or raw == "":
            return None
        return Moment().clean(raw, cleaning)


def texts_by_language(fields: Mapping[str, tuple[Translatable, str]], *, unmarked: tuple[str, ...] = ("call_title",)
                      ) -> dict[str, dict]:
    """Every site language's version of some texts, for a notification's context (plain values only).

    `fields` names each text: `{"answer": (question, "answer"), "call_title": (call, "title")}`. Each language
    gets every text, in that language where it is written, otherwise in its row's own language; `fallback` says
    whether any of them, those `unmarked` aside (a title reads well enough in any language), is not.
    """
    texts = {}
    for code in current_app.config["LANGUAGES"]:
        local = {key: localized(row, name, code) for key, (row, name) in fields.items()}
        texts[code] = {**{key: text.text for key, text in local.items()},
                       "fallback": any(text.fallback for key, text in local.items() if key not in unmarked)}
    return texts
