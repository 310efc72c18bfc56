"""Adaptive Card checks for the fake connector: Microsoft's JSON schema of the declared version.

Teams renders Adaptive Cards up to version 1.5 in bot messages (teams-facts §6). A card is
checked against the official schema of the version it declares (``"version": "1.2"`` is
checked against the 1.2 schema, so an element added in 1.5 fails there). The schemas are in
``adaptive_card_schemas/``; where they came from is in ``adaptive_card_schemas/SOURCE.md``.

Teams' own extension, the card's top-level ``msteams`` object (full width, mention entities),
is not part of the schema and is allowed. So are Teams' chart elements (``Chart.VerticalBar``
and the others listed in "Charts in Adaptive Cards",
https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/charts-in-adaptive-cards):
not in Microsoft's 1.5 schema, rendered by Teams in 1.5 cards, each checked here for what that
page documents (a ``data`` array; for bar charts each point with an ``x`` label and a numeric
``y``) and then set aside while the rest of the card is checked against the schema.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

SCHEMA_DIR = Path(__file__).with_name("adaptive_card_schemas")
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEAMS_MAX_VERSION = (1, 5)
VERSIONS: tuple[str, ...] = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5")

_VERSION = re.compile(r"(\d+)\.(\d+)")


def walk(node: Any) -> list[dict[str, Any]]:
    """Every object in a card, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


@functools.cache
def validator(version: str) -> jsonschema.protocols.Validator:
    """A cached Draft 6 validator for one vendored schema version (``"1.5"``)."""
    schema = json.loads((SCHEMA_DIR / f"schema-{version}.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def card_problem(content: Any) -> str | None:
    """Why Teams would refuse this Adaptive Card attachment ``content``; None when it is fine."""
    if not isinstance(content, dict):
        return "Adaptive Card content must be a JSON object."
    if content.get("type") != "AdaptiveCard":
        return "Adaptive Card content must have type 'AdaptiveCard'."
    version = content.get("version")
    if not isinstance(version, str):
        return "Adaptive Card needs a top-level 'version'."
    match = _VERSION.fullmatch(version)
    if match is None:
        return f"Adaptive Card version {version!r} is not of the form 'major.minor'."
    declared = (int(match[1]), int(match[2]))
    if declared > TEAMS_MAX_VERSION:
        return f"Adaptive Card version {version} is above what Teams supports (1.5)."
    key = f"{declared[0]}.{declared[1]}"
    if key not in VERSIONS:
        return f"Adaptive Card version {version} is not a published schema version."
    checked = {k: v for k, v in content.items() if k != "msteams"}
    problem, checked = _set_charts_aside(checked)
    if problem is not None:
        return f"Adaptive Card chart: {problem}"
    if "msteams" in content and not isinstance(content["msteams"], dict):
        return "Adaptive Card 'msteams' must be an object."
    error = best_match(validator(key).iter_errors(checked))
    if error is None:
        return None
    return f"Adaptive Card does not match the {key} schema: {_explain(error)}"


# the chart elements Teams renders ("Charts in Adaptive Cards"), with their documented properties
CHARTS = frozenset(
    {
        "Chart.Donut",
        "Chart.Gauge",
        "Chart.VerticalBar.Grouped",
        "Chart.HorizontalBar",
        "Chart.Line",
        "Chart.Pie",
        "Chart.HorizontalBar.Stacked",
        "Chart.VerticalBar",
    }
)
CHART_PROPERTIES = frozenset(
    {
        "type",
        "id",
        "data",
        "title",
        "colorSet",
        "color",
        "fallback",
        "height",
        "horizontalAlignment",
        "isVisible",
        "lang",
        "requires",
        "separator",
        "spacing",
        "targetWidth",
        "grid.area",
        "showBarValues",
        "xAxisTitle",
        "yAxisTitle",
        "showLegend",
        "displayMode",
        "max",
        "min",
        "value",
        "valueFormat",
        "segments",
        "subLabel",
        "thickness",
    }
)
PLACEHOLDER = {"type": "TextBlock", "text": "(chart)"}


def _chart_problem(element: dict[str, Any]) -> str | None:
    kind = element["type"]
    unknown = sorted(set(element) - CHART_PROPERTIES)
    if unknown:
        return f"{kind} has no property {unknown[0]!r}"
    data = element.get("data")
    if kind == "Chart.Gauge":
        return None if isinstance(element.get("value"), int | float) else f"{kind} needs a value"
    if not isinstance(data, list) or not data:
        return f"{kind} needs a non-empty 'data' array"
    if kind in ("Chart.VerticalBar", "Chart.HorizontalBar"):
        for point in data:
            if not isinstance(point, dict) or not isinstance(point.get("x"), str | int | float):
                return f"{kind} data points need an 'x'"
            if not isinstance(point.get("y"), int | float) or isinstance(point.get("y"), bool):
                return f"{kind} data points need a numeric 'y'"
    return None


def _set_charts_aside(node: Any) -> tuple[str | None, Any]:
    """The card with each chart checked and replaced by a plain text block for the schema."""
    if isinstance(node, list):
        out = []
        for item in node:
            problem, kept = _set_charts_aside(item)
            if problem is not None:
                return problem, node
            out.append(kept)
        return None, out
    if not isinstance(node, dict):
        return None, node
    if node.get("type") in CHARTS:
        return _chart_problem(node), dict(PLACEHOLDER)
    result: dict[str, Any] = {}
    for key, value in node.items():
        problem, kept = _set_charts_aside(value)
        if problem is not None:
            return problem, node
        result[key] = kept
    return None, result


def _explain(error: jsonschema.ValidationError) -> str:
    """A short reason, following ``anyOf`` into the branch whose ``type`` matched."""
    while error.context:
        branches: dict[Any, list[jsonschema.ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.schema_path[0], []).append(sub)
        matching = [
            errors for errors in branches.values() if not any(_is_type_mismatch(e) for e in errors)
        ]
        if not matching and isinstance(error.instance, dict) and "type" in error.instance:
            kind = error.instance["type"]
            return f"{_where(error)}: no element or action of type {kind!r} in this version"
        if len(matching) != 1:
            break
        error = best_match(matching[0]) or error
    return f"{_where(error)}: {error.message[:300]}"


def _is_type_mismatch(error: jsonschema.ValidationError) -> bool:
    if list(error.relative_path) == ["type"]:
        return True
    return error.validator == "required" and "'type'" in error.message


def _where(error: jsonschema.ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(card)"
