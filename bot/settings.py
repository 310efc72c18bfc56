"""Typed settings, read once from the environment (and an optional .env file) and passed down."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from domain.reports.kela import parse_mapping

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/etapaiva.db"
MAX_BODY_BYTES = 256 * 1024
# the most nested objects and arrays a request body may have, the body itself included
MAX_JSON_DEPTH = 32


FULL_DAY_RULES = ("first_and_last", "all", "any")


class SettingsError(ValueError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable, with the defaults of the local two-command setup."""

    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = DEFAULT_DATABASE_URL
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    openid_metadata_url: str = ""
    allow_insecure: bool = False
    log_level: str = "INFO"
    inbox_retention_hours: int = 48
    timer_grace_seconds: int = 300
    break_warning_seconds: int = 120
    schedule_horizon_days: int = 14
    public_url: str = ""
    rollcall_grace_minutes: int = 10
    rollcall_open_minutes: int = 30
    full_day_rule: str = "first_and_last"
    # the minimum hours of a statutory activity day (the law's day is 4); 0: no minimum
    full_day_min_hours: float = 0.0
    # roll-call reasons mapped onto Kela's absence reasons ("appointment=job_interview,...")
    kela_reasons: str = ""
    # the expense allowance (kulukorvaus) per activity day, in euros
    allowance_eur: float = 9.0
    feedback_reminder_minutes: int = 30
    # when a day's feedback stops taking answers (the coordinators' digest), local "HH:MM"
    feedback_closes: str = "16:00"
    # when the coordinators' daily digest goes out, the groups' local "HH:MM"
    digest_time: str = "16:00"
    # a client absent on this many held group days in a row is flagged in the digest
    digest_absent_streak: int = 3
    cache_seconds: float = 30.0
    # PostgreSQL connections each replica keeps open (and half as many more under a peak)
    db_pool_size: int = 20
    # Microsoft Graph (app-only): off unless GRAPH_ENABLED; the credentials default to the bot's
    graph_enabled: bool = False
    graph_tenant_id: str = ""
    graph_client_id: str = ""
    graph_client_secret: str = field(default="", repr=False)
    graph_base_url: str = "https://graph.microsoft.com/v1.0"
    # the Teams app's id in the organisation's app catalog (proactive installation); "" = off
    teams_app_catalog_id: str = ""
    # retention (docs/data-protection.md): attendance and the audit log in years after the
    # client's service ended (after the entry), the rest in days after its own moment
    retain_attendance_years: int = 10
    retain_feedback_days: int = 365
    retain_help_days: int = 365
    retain_dialog_days: int = 30
    retain_outbox_days: int = 30
    retain_export_link_days: int = 1
    retain_digest_days: int = 90
    # the nightly purge, local time in Europe/Helsinki
    purge_time: str = "03:00"
    # Teams' attendance report: someone checked in but in the meeting less than this is shown
    graph_short_stay_minutes: int = 20

    @property
    def base_url(self) -> str:
        """Where people and Teams reach this service (PUBLIC_URL; locally http://host:port)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def local_mode(self) -> bool:
        """No app id: no token checks (for the Playground and local testing only)."""
        return not self.app_id

    @property
    def binds_loopback_only(self) -> bool:
        """True if host is a loopback address or localhost."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def allowance_cents(self) -> int:
        """The expense allowance per activity day in cents."""
        return round(self.allowance_eur * 100)

    def check(self) -> None:
        """Refuse combinations that would be unsafe or cannot work."""
        if self.local_mode and not self.binds_loopback_only and not self.allow_insecure:
            raise SettingsError(
                f"No MicrosoftAppId is set, so requests are not authenticated (local mode). "
                f"Refusing to listen on {self.host}; use a loopback address, set MicrosoftAppId, "
                f"or pass --allow-insecure if you really mean it."
            )
        if self.app_type.lower() == "singletenant" and not self.app_tenant_id:
            raise SettingsError("MicrosoftAppType=SingleTenant needs MicrosoftAppTenantId")
        if self.public_url and not self.public_url.startswith(("https://", "http://")):
            raise SettingsError(f"PUBLIC_URL must start with https://, not {self.public_url!r}")
        if self.full_day_rule not in FULL_DAY_RULES:
            raise SettingsError(
                f"FULL_DAY_RULE must be one of {', '.join(FULL_DAY_RULES)}, "
                f"not {self.full_day_rule!r}"
            )
        if not 0 <= self.full_day_min_hours <= 24:
            raise SettingsError(
                f"FULL_DAY_MIN_HOURS must be 0–24 hours, not {self.full_day_min_hours}"
            )
        if self.allowance_eur < 0:
            raise SettingsError(f"ALLOWANCE_EUR must be 0 or more, not {self.allowance_eur}")
        try:
            parse_mapping(self.kela_reasons)
        except ValueError as exc:
            raise SettingsError(f"KELA_REASONS: {exc}") from exc
        if self.rollcall_grace_minutes < 0 or self.rollcall_open_minutes < 1:
            raise SettingsError(
                "ROLLCALL_GRACE_MINUTES must be 0 or more and ROLLCALL_OPEN_MINUTES 1 or more"
            )
        if self.feedback_reminder_minutes < 1:
            raise SettingsError("FEEDBACK_REMINDER_MINUTES must be 1 or more")
        if not _clock_time(self.feedback_closes):
            raise SettingsError(
                f"FEEDBACK_CLOSES must be a time of day like 16:00, not {self.feedback_closes!r}"
            )
        if not _clock_time(self.digest_time):
            raise SettingsError(
                f"DIGEST_TIME must be a time of day like 16:00, not {self.digest_time!r}"
            )
        if self.digest_absent_streak < 1:
            raise SettingsError("DIGEST_ABSENT_STREAK must be 1 or more")
        if not 2 <= self.db_pool_size <= 200:
            raise SettingsError("DB_POOL_SIZE must be a whole number from 2 to 200")
        if self.graph_enabled and not (
            self.graph_tenant_id and self.graph_client_id and self.graph_client_secret
        ):
            raise SettingsError(
                "GRAPH_ENABLED needs a tenant, a client id and a secret: GRAPH_TENANT_ID, "
                "GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET (or MicrosoftAppTenantId, MicrosoftAppId, "
                "MicrosoftAppPassword)"
            )
        if self.graph_short_stay_minutes < 1:
            raise SettingsError("GRAPH_SHORT_STAY_MINUTES must be 1 or more")
        if not self.graph_base_url.startswith(("https://", "http://127.0.0.1", "http://[::1]")):
            raise SettingsError(f"GRAPH_BASE_URL must be https, not {self.graph_base_url!r}")
        retain = {
            "RETAIN_ATTENDANCE_YEARS": self.retain_attendance_years,
            "RETAIN_FEEDBACK_DAYS": self.retain_feedback_days,
            "RETAIN_HELP_DAYS": self.retain_help_days,
            "RETAIN_DIALOG_DAYS": self.retain_dialog_days,
            "RETAIN_OUTBOX_DAYS": self.retain_outbox_days,
            "RETAIN_EXPORT_LINK_DAYS": self.retain_export_link_days,
            "RETAIN_DIGEST_DAYS": self.retain_digest_days,
            "INBOX_RETENTION_HOURS": self.inbox_retention_hours,
        }
        for name, value in retain.items():
            if value < 1:
                raise SettingsError(f"{name} must be 1 or more, not {value}")
        if not _clock_time(self.purge_time):
            raise SettingsError(
                f"PURGE_TIME must be a time of day like 03:00, not {self.purge_time!r}"
            )
        if not 0 < self.port < 65536:
            raise SettingsError(f"PORT must be 1–65535, not {self.port}")


def _clock_time(value: str) -> time | None:
    """ "16:00" as a time of day; None when it is not one."""
    hours, colon, minutes = value.partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def clock_time(value: str) -> time:
    """A checked "HH:MM" setting as a time of day."""
    found = _clock_time(value)
    if found is None:
        raise SettingsError(f"not a time of day: {value!r}")
    return found


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple KEY=VALUE .env file (comments and blank lines ignored)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("\"'")
    return values


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv: Path | None = Path(".env"),
    **overrides: object,
) -> Settings:
    """Build Settings from the environment; real environment variables win over .env."""
    env: dict[str, str] = read_dotenv(dotenv) if dotenv else {}
    env.update(os.environ if environ is None else environ)
    try:
        port = int(env.get("PORT", "3978"))
        retention = int(env.get("INBOX_RETENTION_HOURS", "48"))
        grace = int(env.get("TIMER_GRACE_SECONDS", "300"))
        warning = int(env.get("BREAK_WARNING_SECONDS", "120"))
        horizon = int(env.get("SCHEDULE_HORIZON_DAYS", "14"))
        grace_minutes = int(env.get("ROLLCALL_GRACE_MINUTES", "10"))
        open_minutes = int(env.get("ROLLCALL_OPEN_MINUTES", "30"))
        cache_seconds = float(env.get("CACHE_SECONDS", "30"))
        pool_size = int(env.get("DB_POOL_SIZE") or "20")
        reminder_minutes = int(env.get("FEEDBACK_REMINDER_MINUTES", "30"))
        absent_streak = int(env.get("DIGEST_ABSENT_STREAK", "3"))
        retain = {
            "retain_attendance_years": int(env.get("RETAIN_ATTENDANCE_YEARS") or "10"),
            "retain_feedback_days": int(env.get("RETAIN_FEEDBACK_DAYS") or "365"),
            "retain_help_days": int(env.get("RETAIN_HELP_DAYS") or "365"),
            "retain_dialog_days": int(env.get("RETAIN_DIALOG_DAYS") or "30"),
            "retain_outbox_days": int(env.get("RETAIN_OUTBOX_DAYS") or "30"),
            "retain_export_link_days": int(env.get("RETAIN_EXPORT_LINK_DAYS") or "1"),
            "retain_digest_days": int(env.get("RETAIN_DIGEST_DAYS") or "90"),
        }
        short_stay = int(env.get("GRAPH_SHORT_STAY_MINUTES") or "20")
    except ValueError as exc:
        raise SettingsError(f"numeric settings must be whole numbers: {exc}") from exc
    try:
        min_hours = float(env.get("FULL_DAY_MIN_HOURS") or "0")
        allowance = float(env.get("ALLOWANCE_EUR") or "9")
    except ValueError as exc:
        raise SettingsError(f"FULL_DAY_MIN_HOURS and ALLOWANCE_EUR must be numbers: {exc}") from exc
    kela_reasons = (env.get("KELA_REASONS") or "").strip()
    try:
        parse_mapping(kela_reasons)
    except ValueError as exc:
        raise SettingsError(f"KELA_REASONS: {exc}") from exc
    settings = Settings(
        host=env.get("HOST", "127.0.0.1"),
        port=port,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        app_id=env.get("MicrosoftAppId", ""),
        app_password=env.get("MicrosoftAppPassword", ""),
        app_type=env.get("MicrosoftAppType", "MultiTenant") or "MultiTenant",
        app_tenant_id=env.get("MicrosoftAppTenantId", ""),
        openid_metadata_url=env.get("BotOpenIdMetadata", ""),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        inbox_retention_hours=retention,
        timer_grace_seconds=grace,
        break_warning_seconds=warning,
        schedule_horizon_days=horizon,
        public_url=env.get("PUBLIC_URL", "").strip(),
        rollcall_grace_minutes=grace_minutes,
        rollcall_open_minutes=open_minutes,
        cache_seconds=cache_seconds,
        db_pool_size=pool_size,
        feedback_reminder_minutes=reminder_minutes,
        feedback_closes=(env.get("FEEDBACK_CLOSES") or "16:00").strip(),
        digest_time=(env.get("DIGEST_TIME") or "16:00").strip(),
        digest_absent_streak=absent_streak,
        full_day_rule=(env.get("FULL_DAY_RULE") or "first_and_last").strip().lower(),
        full_day_min_hours=min_hours,
        kela_reasons=kela_reasons,
        allowance_eur=allowance,
        graph_enabled=(env.get("GRAPH_ENABLED") or "").strip().lower() in ("1", "true", "yes"),
        graph_tenant_id=(env.get("GRAPH_TENANT_ID") or env.get("MicrosoftAppTenantId", "")).strip(),
        graph_client_id=(env.get("GRAPH_CLIENT_ID") or env.get("MicrosoftAppId", "")).strip(),
        graph_client_secret=env.get("GRAPH_CLIENT_SECRET") or env.get("MicrosoftAppPassword", ""),
        graph_base_url=(env.get("GRAPH_BASE_URL") or "https://graph.microsoft.com/v1.0").strip(),
        teams_app_catalog_id=(env.get("TEAMS_APP_CATALOG_ID") or "").strip(),
        purge_time=(env.get("PURGE_TIME") or "03:00").strip(),
        retain_attendance_years=retain["retain_attendance_years"],
        retain_feedback_days=retain["retain_feedback_days"],
        retain_help_days=retain["retain_help_days"],
        retain_dialog_days=retain["retain_dialog_days"],
        retain_outbox_days=retain["retain_outbox_days"],
        retain_export_link_days=retain["retain_export_link_days"],
        retain_digest_days=retain["retain_digest_days"],
        graph_short_stay_minutes=short_stay,
    )
    if overrides:
        from dataclasses import replace

        settings = replace(settings, **overrides)  # type: ignore[arg-type]
    return settings
