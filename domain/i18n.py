"""Message catalogs: every user-visible text in Finnish, Swedish and English."""

from __future__ import annotations

import importlib
import pkgutil
import string
from types import ModuleType

from domain import locales
from domain.org import DEFAULT_LANGUAGE, Language


def load_catalogs(package: ModuleType = locales) -> dict[Language, dict[str, str]]:
    """Each language's catalog, put together from every module of package (domain/locales).

    A module is named after its language (`fi.py`) or its part and language (`rollcall_fi.py`)
    and holds MESSAGES; a feature adds its texts by adding its own modules. A key defined by
    two modules of one language is refused, naming both.
    """
    catalogs: dict[Language, dict[str, str]] = {language: {} for language in Language}
    owners: dict[tuple[Language, str], str] = {}
    for found in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        language = Language(found.name.rsplit("_", 1)[-1])
        module = importlib.import_module(f"{package.__name__}.{found.name}")
        for key, template in module.MESSAGES.items():
            if (language, key) in owners:
                raise ValueError(
                    f"the text {key!r} ({language.value}) is in both "
                    f"{owners[language, key]} and {found.name}"
                )
            owners[language, key] = found.name
            catalogs[language][key] = template
    return catalogs


CATALOGS: dict[Language, dict[str, str]] = load_catalogs()

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
