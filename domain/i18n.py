"""Message catalogs: every user-visible text in Finnish, Swedish and English."""

from __future__ import annotations

import string

from domain.locales import (
    about_en,
    about_fi,
    about_sv,
    en,
    fi,
    page_en,
    page_fi,
    page_sv,
    rollcall_en,
    rollcall_fi,
    rollcall_sv,
    sv,
    tutorial_en,
    tutorial_fi,
    tutorial_sv,
)
from domain.org import DEFAULT_LANGUAGE, Language

# Each language's catalog is put together from the modules of its parts.
CATALOGS: dict[Language, dict[str, str]] = {
    Language.FI: {
        **fi.MESSAGES,
        **tutorial_fi.MESSAGES,
        **page_fi.MESSAGES,
        **rollcall_fi.MESSAGES,
        **about_fi.MESSAGES,
    },
    Language.SV: {
        **sv.MESSAGES,
        **tutorial_sv.MESSAGES,
        **page_sv.MESSAGES,
        **rollcall_sv.MESSAGES,
        **about_sv.MESSAGES,
    },
    Language.EN: {
        **en.MESSAGES,
        **tutorial_en.MESSAGES,
        **page_en.MESSAGES,
        **rollcall_en.MESSAGES,
        **about_en.MESSAGES,
    },
}

_LOCALE_PREFIXES: dict[str, Language] = {"fi": Language.FI, "sv": Language.SV, "en": Language.EN}


def text(language: Language, key: str, **params: object) -> str:
    """Return the catalog text for key in language, with {named} parameters filled in."""
    template = CATALOGS[language].get(key)
    if template is None:
        template = CATALOGS[DEFAULT_LANGUAGE][key]
    return template.format(**params) if params else template


def language_for_locale(locale: str | None) -> Language | None:
    """Map a Teams locale such as 'fi-FI', 'sv-FI' or 'en-US' to one of our languages."""
    if not locale:
        return None
    prefix = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return _LOCALE_PREFIXES.get(prefix)


def placeholders(template: str) -> set[str]:
    """The {named} parameters a catalog template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
