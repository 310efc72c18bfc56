"""Build the Teams app package: fill manifest/manifest.template.json, check it, write the zip.

The template's string values may hold `${{NAME}}` placeholders; they are filled value by value
in the parsed JSON (never by editing JSON text). The zip holds manifest.json, the icons and the
localization files at its root and nothing else, and is written only when every check passes.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from bot.manifest_check import MANIFEST_DIR, localization_files, package_errors

TEMPLATE = "manifest.template.json"
ICONS_DIR = "icons"
_PLACEHOLDER = re.compile(r"\$\{\{([A-Z_]+)\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# what Teams accepts as an app version: MAJOR.MINOR.PATCH, numbers without leading zeros
_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# a fixed time stamp for every zip entry, so the same input gives the same bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(ValueError):
    """The package cannot be built; problems name the field or file and what is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class PackageOptions:
    """What an administrator gives: the bot's app id, its public address, the app version."""

    app_id: str
    public_url: str
    version: str
    website_url: str | None = None
    privacy_url: str | None = None
    terms_url: str | None = None


@dataclass(frozen=True, slots=True)
class Values:
    """Checked values for the template's placeholders."""

    app_id: str
    version: str
    public_host: str
    website_url: str
    privacy_url: str
    terms_url: str

    def placeholders(self) -> dict[str, str]:
        """Placeholder name -> value."""
        return {
            "APP_ID": self.app_id,
            "VERSION": self.version,
            "PUBLIC_HOST": self.public_host,
            "WEBSITE_URL": self.website_url,
            "PRIVACY_URL": self.privacy_url,
            "TERMS_URL": self.terms_url,
        }


def _host_problem(parts: SplitResult) -> str | None:
    host = parts.hostname or ""
    if not host:
        return "has no host name"
    if host == "localhost" or host.endswith(".localhost"):
        return f"points at {host}; Teams must reach the bot at a public DNS name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"uses the IP address {host}; Teams needs a DNS name with a TLS certificate"
    if "." not in host or not all(_DNS_LABEL.match(label) for label in host.split(".")):
        return f"has {host!r}, which is not a full DNS name"
    return None


def _https_url(option: str, value: str) -> tuple[SplitResult | None, list[str]]:
    try:
        parts = urlsplit(value.strip())
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        return None, [f"{option}: {value!r} is not a URL ({exc})"]
    if parts.scheme.lower() != "https":
        scheme = parts.scheme or "no scheme"
        return None, [f"{option}: {value!r} must start with https:// (has {scheme})"]
    if parts.username or parts.password:
        return None, [f"{option}: {value!r} must not contain a user name or password"]
    problem = _host_problem(parts)
    return parts, [f"{option}: {value!r} {problem}"] if problem else []


def check_options(options: PackageOptions) -> Values:
    """Check every option; raise PackageError listing all that are wrong."""
    problems: list[str] = []
    if not _GUID.match(options.app_id):
        problems.append(
            f"--app-id: {options.app_id!r} is not a GUID (the bot's Microsoft Entra application "
            "id looks like 00000000-0000-0000-0000-000000000000)"
        )
    if not _VERSION.match(options.version):
        problems.append(
            f"--version: {options.version!r} is not a version Teams accepts "
            "(MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        )
    public, url_problems = _https_url("--public-url", options.public_url)
    problems += url_problems
    base = ""
    if public is not None and not url_problems:
        path = public.path.rstrip("/")
        if public.query or public.fragment:
            problems.append(
                f"--public-url: {options.public_url!r} must not have a query or a fragment; "
                "give the address the service is reached at, e.g. https://etapaiva.example.fi"
            )
        elif path.endswith("/api/messages"):
            problems.append(
                f"--public-url: {options.public_url!r} is the messaging endpoint; give the "
                "service's base address without /api/messages"
            )
        base = f"https://{public.netloc}{path}"
    urls: dict[str, str] = {}
    for option, given, default in (
        ("--website-url", options.website_url, f"{base}/tutorial"),
        ("--privacy-url", options.privacy_url, f"{base}/privacy"),
        ("--terms-url", options.terms_url, f"{base}/terms"),
    ):
        if given is None:
            urls[option] = default
            continue
        problems += _https_url(option, given)[1]
        urls[option] = given.strip()
    if problems or public is None or not public.hostname:
        raise PackageError(problems)
    return Values(
        app_id=options.app_id,
        version=options.version,
        public_host=public.hostname,
        website_url=urls["--website-url"],
        privacy_url=urls["--privacy-url"],
        terms_url=urls["--terms-url"],
    )


def fill(node: Any, values: Mapping[str, str]) -> Any:
    """The template with every ${{NAME}} in its strings replaced; unknown names are an error."""
    if isinstance(node, dict):
        return {key: fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [fill(value, values) for value in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise PackageError([f"{TEMPLATE}: unknown placeholder ${{{{{name}}}}}"])
        return values[name]

    return _PLACEHOLDER.sub(substitute, node)


def read_json(path: Path) -> Any:
    """A JSON file, or PackageError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError([f"{path}: no such file"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError([f"{path}: not valid UTF-8 JSON ({exc})"]) from None


def build_manifest(values: Values, source: Path = MANIFEST_DIR) -> dict[str, Any]:
    """The filled manifest (not yet checked)."""
    manifest = fill(read_json(source / TEMPLATE), values.placeholders())
    if not isinstance(manifest, dict):
        raise PackageError([f"{source / TEMPLATE}: must be a JSON object"])
    return manifest


def package_files(manifest: Mapping[str, Any], source: Path = MANIFEST_DIR) -> dict[str, bytes]:
    """{name in the zip: bytes}: manifest.json, the icons and the localization files it names."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    files = {"manifest.json": text.encode("utf-8")}
    icons = manifest.get("icons")
    names = [n for n in (icons.values() if isinstance(icons, dict) else []) if isinstance(n, str)]
    wanted = [(name, source / ICONS_DIR / name) for name in names]
    wanted += [(name, source / name) for name in localization_files(manifest)]
    missing: list[str] = []
    for name, path in wanted:
        if Path(name).name != name:
            missing.append(f"{name}: files must be at the package root (no folders)")
        elif path.is_file():
            files[name] = path.read_bytes()
        else:
            missing.append(f"{name}: no such file ({path})")
    if missing:
        raise PackageError(missing)
    return files


def write_zip(files: Mapping[str, bytes], out: Path) -> None:
    """Write the zip through a temporary file beside out, so out is whole or absent."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w") as archive:
            for name in sorted(files):
                entry = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, files[name])
        temp.chmod(0o644)  # mkstemp makes it private; the package is not a secret
        temp.replace(out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def build_package(options: PackageOptions, out: Path, source: Path = MANIFEST_DIR) -> list[str]:
    """Check the options, fill and check the manifest, write the zip; returns its file names.

    Raises PackageError (and writes nothing) if anything is wrong.
    """
    values = check_options(options)
    files = package_files(build_manifest(values, source), source)
    problems = package_errors(files)
    if problems:
        raise PackageError(problems)
    write_zip(files, out)
    return sorted(files)


def read_package(path: Path) -> dict[str, bytes]:
    """A package zip's files by name (for checking a built or downloaded package)."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
