"""Message catalogs: every user-visible text in Finnish, Swedish and English."""

from __future__ import annotations

import importlib
import pkgutil
import string
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from types import ModuleType

from domain import locales
from domain.org import DEFAULT_LANGUAGE, Language

# A catalog value: a text, or a text for each plural form ({"one": …, "other": …}) chosen by the
# `count` parameter ("Tallensin 1 muutoksen" / "Tallensin 3 muutosta").
Template = str | Mapping[str, str]
PLURAL_FORMS = frozenset({"one", "other"})


def load_catalogs(package: ModuleType = locales) -> dict[Language, dict[str, Template]]:
    """Each language's catalog, put together from every module of package (domain/locales).

    A module is named after its language (`fi.py`) or its part and language (`rollcall_fi.py`)
    and holds MESSAGES; a feature adds its texts by adding its own modules. A key defined by
    two modules of one language is refused, naming both.
    """
    catalogs: dict[Language, dict[str, Template]] = {language: {} for language in Language}
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
            if not isinstance(template, str) and set(template) != PLURAL_FORMS:
                raise ValueError(
                    f"the text {key!r} ({language.value}) in {found.name} has the plural "
                    f"forms {sorted(template)}, not {sorted(PLURAL_FORMS)}"
                )
            owners[language, key] = found.name
            catalogs[language][key] = template
    return catalogs


CATALOGS: dict[Language, dict[str, Template]] = load_catalogs()

_LOCALE_PREFIXES: dict[str, Language] = {"fi": Language.FI, "sv": Language.SV, "en": Language.EN}


def plural_form(language: Language, count: int) -> str:
    """The plural form a number takes: "one" for 1, "other" for the rest (fi, sv and en alike)."""
    return "one" if abs(count) == 1 else "other"


def text(language: Language, key: str, **params: object) -> str:
    """Return the catalog text for key in language, with {named} parameters filled in.

    A text with plural forms needs `count` (an int): its form is chosen by it.
    """
    template = CATALOGS[language].get(key)
    if template is None:
        template = CATALOGS[DEFAULT_LANGUAGE][key]
    if not isinstance(template, str):
        count = params.get("count")
        if not isinstance(count, int):
            raise TypeError(f"the text {key!r} has plural forms: give count=<int>")
        template = template[plural_form(language, count)]
    return template.format(**params) if params else template


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clock(language: Language, moment: datetime, zone: tzinfo | None = None) -> str:
    """A time of day as people write it: 9.30 (fi, sv: the texts say "klo"/"kl."), 9:30 (en).

    zone: the local time zone to show it in (else moment's own).
    """
    local = moment.astimezone(zone) if zone is not None else moment
    sep = ":" if language is Language.EN else "."
    return f"{local.hour}{sep}{local.minute:02d}"


def date_text(language: Language, day: date) -> str:
    """A date as people write it: 7.12.2026 (fi, sv), 7 Dec 2026 (en)."""
    if language is Language.EN:
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}.{day.month}.{day.year}"


def decimal(language: Language, value: float, places: int = 1) -> str:
    """A number with decimals as people write it, halves rounded up: 4,5 (fi, sv), 4.5 (en)."""
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    written = f"{rounded:f}"
    return written if language is Language.EN else written.replace(".", ",")


def language_for_locale(locale: str | None) -> Language | None:
    """Map a Teams locale such as 'fi-FI', 'sv-FI' or 'en-US' to one of our languages."""
    if not locale:
        return None
    prefix = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    return _LOCALE_PREFIXES.get(prefix)


def forms(template: Template) -> list[str]:
    """A catalog value's texts: itself, or each of its plural forms."""
    return [template] if isinstance(template, str) else [template[f] for f in sorted(template)]


def placeholders(template: Template) -> set[str]:
    """The {named} parameters a catalog template uses (in any of its plural forms)."""
    parse = string.Formatter().parse
    return {name for form in forms(template) for _, name, _, _ in parse(form) if name}
