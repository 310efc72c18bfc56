"""Tests for typed settings from the environment and .env (bot/settings.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.settings import (
    DEFAULT_DATABASE_URL,
    Settings,
    SettingsError,
    load_settings,
    read_dotenv,
)

ENV_KEYS = [
    "HOST",
    "PORT",
    "DATABASE_URL",
    "MicrosoftAppId",
    "MicrosoftAppPassword",
    "MicrosoftAppType",
    "MicrosoftAppTenantId",
    "BotOpenIdMetadata",
    "LOG_LEVEL",
    "INBOX_RETENTION_HOURS",
    "PUBLIC_URL",
]


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real environment without any of our settings."""
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)


def test_defaults() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings == Settings()
    assert settings.host == "127.0.0.1"
    assert settings.port == 3978
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.app_type == "MultiTenant"
    assert settings.log_level == "INFO"
    assert settings.inbox_retention_hours == 48
    assert settings.allow_insecure is False
    assert settings.local_mode is True
    settings.check()


def test_a_missing_dotenv_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings({}, dotenv=tmp_path / "missing.env") == Settings()


def test_environment_values_are_parsed() -> None:
    settings = load_settings(
        {
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "DATABASE_URL": "postgresql+asyncpg://bot@db/etapaiva",
            "MicrosoftAppId": "00000000-0000-0000-0000-000000000001",
            "MicrosoftAppPassword": "secret",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": "tenant-id",
            "BotOpenIdMetadata": "https://login.example/openid",
            "LOG_LEVEL": "debug",
            "INBOX_RETENTION_HOURS": "12",
        },
        dotenv=None,
    )
    assert settings == Settings(
        host="0.0.0.0",
        port=8080,
        database_url="postgresql+asyncpg://bot@db/etapaiva",
        app_id="00000000-0000-0000-0000-000000000001",
        app_password="secret",
        app_type="SingleTenant",
        app_tenant_id="tenant-id",
        openid_metadata_url="https://login.example/openid",
        log_level="DEBUG",
        inbox_retention_hours=12,
        # Graph's app-only credentials are the bot's unless given their own
        graph_tenant_id="tenant-id",
        graph_client_id="00000000-0000-0000-0000-000000000001",
        graph_client_secret="secret",
    )
    assert settings.local_mode is False
    assert settings.graph_enabled is False
    assert "graph_client_secret" not in repr(settings)
    settings.check()


def test_graph_is_off_unless_enabled_and_needs_its_credentials() -> None:
    assert load_settings({}, dotenv=None).graph_enabled is False
    on = load_settings(
        {
            "GRAPH_ENABLED": "true",
            "GRAPH_TENANT_ID": "t",
            "GRAPH_CLIENT_ID": "c",
            "GRAPH_CLIENT_SECRET": "s",
            "GRAPH_BASE_URL": "http://127.0.0.1:8123/v1.0",
            "TEAMS_APP_CATALOG_ID": "app-in-catalog",
        },
        dotenv=None,
    )
    assert (on.graph_enabled, on.graph_base_url, on.teams_app_catalog_id) == (
        True,
        "http://127.0.0.1:8123/v1.0",
        "app-in-catalog",
    )
    on.check()
    with pytest.raises(SettingsError, match="GRAPH_ENABLED needs"):
        load_settings({"GRAPH_ENABLED": "1", "GRAPH_TENANT_ID": "t"}, dotenv=None).check()
    with pytest.raises(SettingsError, match="GRAPH_BASE_URL"):
        Settings(graph_base_url="http://graph.example/v1.0").check()


def test_empty_values_fall_back_to_defaults() -> None:
    settings = load_settings({"DATABASE_URL": "", "MicrosoftAppType": ""}, dotenv=None)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.app_type == "MultiTenant"


@pytest.mark.parametrize(
    ("key", "value"),
    [("PORT", "http"), ("PORT", "3978.5"), ("INBOX_RETENTION_HOURS", "two days")],
)
def test_numbers_that_are_not_whole_raise(key: str, value: str) -> None:
    with pytest.raises(SettingsError):
        load_settings({key: value}, dotenv=None)


def test_the_pool_size_is_read_and_kept_in_bounds() -> None:
    assert load_settings({}, dotenv=None).db_pool_size == 20
    assert load_settings({"DB_POOL_SIZE": "8"}, dotenv=None).db_pool_size == 8
    for wrong in ("1", "0", "500", "many"):
        with pytest.raises(SettingsError):
            load_settings({"DB_POOL_SIZE": wrong}, dotenv=None).check()


@pytest.mark.parametrize("port", [0, -1, 65536])
def test_a_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(SettingsError):
        Settings(port=port).check()


def test_overrides_win_over_the_environment() -> None:
    settings = load_settings({"PORT": "8080"}, dotenv=None, port=9000, allow_insecure=True)
    assert (settings.port, settings.allow_insecure) == (9000, True)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "10.0.0.1", "example.org"])
def test_local_mode_on_a_non_loopback_host_is_refused(host: str) -> None:
    settings = Settings(host=host)
    assert settings.binds_loopback_only is False
    with pytest.raises(SettingsError):
        settings.check()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_allow_insecure_permits_local_mode_on_any_host(host: str) -> None:
    settings = load_settings({"HOST": host}, dotenv=None, allow_insecure=True)
    assert (settings.local_mode, settings.binds_loopback_only) == (True, False)
    settings.check()
    with pytest.raises(SettingsError):  # the flag is what lets it through
        replace(settings, allow_insecure=False).check()


def test_an_app_id_permits_any_host() -> None:
    settings = load_settings({"HOST": "0.0.0.0", "MicrosoftAppId": "app"}, dotenv=None)
    assert (settings.local_mode, settings.binds_loopback_only) == (False, False)
    settings.check()
    with pytest.raises(SettingsError):  # the app id is what lets it through
        replace(settings, app_id="").check()


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.2", "::1"])
def test_loopback_hosts_count_as_loopback(host: str) -> None:
    settings = Settings(host=host)
    assert settings.binds_loopback_only is True
    settings.check()


@pytest.mark.parametrize("app_type", ["SingleTenant", "singletenant", "SINGLETENANT"])
def test_single_tenant_without_a_tenant_is_refused(app_type: str) -> None:
    with pytest.raises(SettingsError):
        Settings(app_id="app", app_type=app_type).check()


def test_single_tenant_with_a_tenant_is_accepted() -> None:
    settings = load_settings(
        {
            "MicrosoftAppId": "app",
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": "tenant",
        },
        dotenv=None,
    )
    assert (settings.app_type, settings.app_tenant_id) == ("SingleTenant", "tenant")
    settings.check()
    with pytest.raises(SettingsError):  # the tenant is what lets it through
        replace(settings, app_tenant_id="").check()


def test_read_dotenv_skips_comments_and_strips_export_and_quotes(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# a comment\n"
        "\n"
        "PORT=4000\n"
        "export HOST=127.0.0.3\n"
        'MicrosoftAppPassword="quoted secret"\n'
        "LOG_LEVEL='warning'\n"
        "not a setting\n"
        "DATABASE_URL = sqlite+aiosqlite:///./x.db?mode=rwc\n",
        encoding="utf-8",
    )
    assert read_dotenv(dotenv) == {
        "PORT": "4000",
        "HOST": "127.0.0.3",
        "MicrosoftAppPassword": "quoted secret",
        "LOG_LEVEL": "warning",
        "DATABASE_URL": "sqlite+aiosqlite:///./x.db?mode=rwc",
    }


def test_dotenv_values_are_used(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nHOST=127.0.0.3\n", encoding="utf-8")
    settings = load_settings({}, dotenv=dotenv)
    assert (settings.host, settings.port) == ("127.0.0.3", 4000)


def test_the_environment_overrides_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nHOST=127.0.0.3\nMicrosoftAppId=from-dotenv\n", encoding="utf-8")
    settings = load_settings({"PORT": "5000", "MicrosoftAppId": "from-env"}, dotenv=dotenv)
    assert (settings.port, settings.host, settings.app_id) == (5000, "127.0.0.3", "from-env")


@pytest.mark.usefixtures("clean_environ")
def test_the_real_process_environment_overrides_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nHOST=127.0.0.3\n", encoding="utf-8")
    monkeypatch.setenv("PORT", "5000")
    settings = load_settings(dotenv=dotenv)
    assert (settings.port, settings.host) == (5000, "127.0.0.3")


def test_the_base_url_is_the_local_address_without_a_public_url() -> None:
    assert Settings(port=4000).base_url == "http://127.0.0.1:4000"
    assert Settings(host="::1", port=4000).base_url == "http://[::1]:4000"


def test_the_public_url_is_read_and_used_without_a_trailing_slash() -> None:
    settings = load_settings({"PUBLIC_URL": " https://etapaiva.hel.fi/ "}, dotenv=None)
    assert settings.public_url == "https://etapaiva.hel.fi/"
    assert settings.base_url == "https://etapaiva.hel.fi"
    settings.check()


@pytest.mark.parametrize("url", ["etapaiva.hel.fi", "ftp://etapaiva.hel.fi", "//x"])
def test_a_public_url_without_http_or_https_is_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        load_settings({"PUBLIC_URL": url}, dotenv=None).check()
