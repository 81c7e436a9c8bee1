"""Translations: gettext catalogs (.po) per module, read with Babel at start-up; Vietnamese is the default."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from io import BytesIO
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SUPPORTED_LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"


def _load_po(package: str, locale: str) -> Translations | None:
    path = resources.files(package) / "locale" / locale / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer)


class Translator:
    """All modules' catalogs merged per locale. Built once per application."""

    def __init__(self, packages: Iterable[str], default_locale: str = DEFAULT_LOCALE) -> None:
        self.default_locale = default_locale if default_locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
        self._by_locale: dict[str, NullTranslations] = {}
        for locale in SUPPORTED_LOCALES:
            merged: Translations | None = None
            for package in packages:
                loaded = _load_po(package, locale)
                if loaded is None:
                    continue
                if merged is None:
                    merged = loaded
                else:
                    merged.merge(loaded)
            self._by_locale[locale] = merged if merged is not None else NullTranslations()

    def resolve(self, wanted: str | None) -> str:
        if wanted:
            short = wanted.strip().lower().replace("_", "-").split("-")[0]
            if short in SUPPORTED_LOCALES:
                return short
        return self.default_locale

    def translations(self, locale: str) -> NullTranslations:
        return self._by_locale.get(locale, self._by_locale[self.default_locale])

    def gettext(self, locale: str, message: str, params: Mapping[str, Any] | None = None) -> str:
        text = self.translations(locale).gettext(message)
        return text.format(**params) if params else text


def lazy(message: str) -> str:
    """Marks a msgid for extraction where the translation happens later (at the edge)."""
    return message
