"""Offline checks of a Teams app package: Microsoft's JSON schemas, localization keys, icons.

The schemas are the vendored copies in manifest/schema/v1.30/ (from the npm package
@microsoft/app-manifest; see the README there). They are draft-04 documents that also use
`const`, which draft-04 does not know; the validator here checks it too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators
from jsonschema.protocols import Validator

from bot.png import Image, PngError, decode

MANIFEST_VERSION = "1.30"
MANIFEST_DIR = Path(__file__).resolve().parent.parent / "manifest"
SCHEMA_DIR = MANIFEST_DIR / "schema" / f"v{MANIFEST_VERSION}"
MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/{MANIFEST_SCHEMA}"
)
LOCALIZATION_SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/{LOCALIZATION_SCHEMA}"
)
# icon role in the manifest -> (width and height in pixels, what Teams wants)
ICON_SIZES: Mapping[str, int] = {"color": 192, "outline": 32, "color32x32": 32}
# "bots[0].commandLists[1].commands[3].title" -> the manifest element it translates
_INDEXED_KEY = re.compile(r"^(?P<path>.+)\.(?P<field>[A-Za-z]+)$")
_STEP = re.compile(r"(?P<name>[A-Za-z]+)(?:\[(?P<index>\d+)\])?")
_MAX_MESSAGE = 160


def _const(
    validator: Validator, const: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    # bool is an int in Python: compare types too, as JSON does
    if instance != const or type(instance) is not type(const):
        yield ValidationError(f"must be {const!r}, not {instance!r}")


# the stubs leave extend() untyped; it returns a Draft4Validator subclass
ManifestValidator: type[Draft4Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft4Validator, {"const": _const}
)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One of the vendored schema documents."""
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return schema


def json_path(path: Sequence[str | int]) -> str:
    """A location as people write it: bots[0].commandLists[1].commands."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def _describe(error: ValidationError) -> str:
    instance = error.instance
    if error.validator in ("maxItems", "minItems") and isinstance(instance, list):
        limit = "at most" if error.validator == "maxItems" else "at least"
        return f"has {len(instance)} items, {limit} {error.validator_value} allowed"
    if error.validator in ("maxLength", "minLength") and isinstance(instance, str):
        limit = "at most" if error.validator == "maxLength" else "at least"
        return f"is {len(instance)} characters long, {limit} {error.validator_value} allowed"
    if error.validator == "pattern" and isinstance(instance, str):
        return f"{instance!r} does not match the pattern {error.validator_value}"
    message = error.message
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def schema_errors(document: Any, schema_name: str, file_name: str) -> list[str]:
    """Every way document breaks the schema, as 'file: location: problem' lines."""
    validator = ManifestValidator(load_schema(schema_name))
    errors = sorted(
        validator.iter_errors(document), key=lambda e: (list(map(str, e.path)), e.message)
    )
    return [f"{file_name}: {json_path(list(e.path))}: {_describe(e)}" for e in errors]


def _element(manifest: Any, path: str) -> Any:
    """The manifest element at a path like bots[0].commandLists[1].commands[3], or None."""
    node = manifest
    for part in path.split("."):
        step = _STEP.fullmatch(part)
        if step is None or not isinstance(node, dict) or step["name"] not in node:
            return None
        node = node[step["name"]]
        if step["index"] is not None:
            index = int(step["index"])
            if not isinstance(node, list) or index >= len(node):
                return None
            node = node[index]
    return node


def localization_errors(manifest: Any, localization: Any, file_name: str) -> list[str]:
    """Schema errors, and translated elements the manifest does not have."""
    problems = schema_errors(localization, LOCALIZATION_SCHEMA, file_name)
    if not isinstance(localization, dict):
        return problems
    for key in localization:
        match = _INDEXED_KEY.match(key)
        if "[" not in key or match is None:
            continue
        element = _element(manifest, match["path"])
        if not isinstance(element, dict) or match["field"] not in element:
            problems.append(f"{file_name}: {key}: the manifest has no such element to translate")
    return problems


def _icon_problems(role: str, image: Image) -> list[str]:
    size = ICON_SIZES[role]
    if (image.width, image.height) != (size, size):
        return [f"is {image.width}×{image.height} pixels, must be {size}×{size}"]
    transparent = [p for p in image.pixels if p[3] == 0]
    problems: list[str] = []
    if role == "outline":
        coloured = sum(1 for p in image.pixels if p[3] and p[:3] != (255, 255, 255))
        if coloured:
            problems.append(f"has {coloured} pixels that are not white; use only white and alpha")
        if not transparent:
            problems.append("has no transparent pixels; the background must be transparent")
        if len(transparent) == len(image.pixels):
            problems.append("is fully transparent")
    elif role == "color32x32":
        corners = [image.pixel(x, y) for x in (0, size - 1) for y in (0, size - 1)]
        if not transparent or any(c[3] for c in corners):
            problems.append("needs a transparent background (its corners are not transparent)")
    return problems


def icon_errors(manifest: Any, files: Mapping[str, bytes]) -> list[str]:
    """Problems with the icons the manifest names: missing, not PNG, wrong size, not transparent."""
    icons = manifest.get("icons") if isinstance(manifest, dict) else None
    if not isinstance(icons, dict):
        return []
    problems: list[str] = []
    for role, name in icons.items():
        if role not in ICON_SIZES or not isinstance(name, str):
            continue
        where = f"icons.{role} ({name})"
        data = files.get(name)
        if data is None:
            problems.append(f"{where}: no such file in the package")
            continue
        try:
            image = decode(data)
        except PngError as exc:
            problems.append(f"{where}: {exc}")
            continue
        problems.extend(f"{where}: {problem}" for problem in _icon_problems(role, image))
    return problems


def localization_files(manifest: Any) -> list[str]:
    """The file names localizationInfo refers to."""
    info = manifest.get("localizationInfo") if isinstance(manifest, dict) else None
    if not isinstance(info, dict):
        return []
    names = [info.get("defaultLanguageFile")]
    names += [
        lang.get("file") for lang in info.get("additionalLanguages", []) if isinstance(lang, dict)
    ]
    return [name for name in names if isinstance(name, str)]


def package_errors(files: Mapping[str, bytes]) -> list[str]:
    """Everything wrong with a package given as {file name: bytes}; empty when it is valid."""
    raw = files.get("manifest.json")
    if raw is None:
        return ["manifest.json: missing from the package"]
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"manifest.json: not valid UTF-8 JSON ({exc})"]
    problems = schema_errors(manifest, MANIFEST_SCHEMA, "manifest.json")
    for name in localization_files(manifest):
        data = files.get(name)
        if data is None:
            problems.append(f"{name}: named in localizationInfo but not in the package")
            continue
        try:
            localization = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{name}: not valid UTF-8 JSON ({exc})")
            continue
        problems.extend(localization_errors(manifest, localization, name))
    problems.extend(icon_errors(manifest, files))
    icons = manifest.get("icons") if isinstance(manifest, dict) else None
    used = {"manifest.json", *localization_files(manifest)}
    used |= {name for name in (icons or {}).values() if isinstance(name, str)}
    problems.extend(f"{name}: not used by the manifest" for name in sorted(set(files) - used))
    return problems
