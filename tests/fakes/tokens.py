"""Bot Framework JWT authentication without network: a fake OpenID provider and token minting.

How botframework-connector 4.17.1 validates an inbound Teams request (read from the SDK):

* ``ConfigurationBotFrameworkAuthentication(config)`` reads attributes of ``config``; if any of
  ``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL``, ``TO_BOT_FROM_CHANNEL_TOKEN_ISSUER``,
  ``TO_CHANNEL_FROM_BOT_OAUTH_SCOPE``, ``TO_CHANNEL_FROM_BOT_LOGIN_URL``, ``OAUTH_URL``,
  ``TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL`` or ``CALLER_ID`` is set it switches to the
  *parameterized* authentication, which uses **only** the configured values: the issuer
  must then be set too (``TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"``)
  or every token is rejected, and the outbound scope/login URL must be set as well.
  `FakeIdentityProvider.configure` sets all four.
* ``JwtTokenExtractor.metadataCache`` is a class-level dict keyed by metadata URL. Keys are
  refreshed once a day, and an unknown ``kid`` triggers at most one refresh per hour. The fetch is
  a **synchronous** ``requests.get`` on the event loop, so the provider must not be served by
  the loop under test (this one runs its own thread). Every provider gets a unique metadata URL
  (a per-instance query string), and `FakeIdentityProvider.close` drops its cache entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
from aiohttp import web
from botframework.connector.auth import (
    AppCredentials,
    JwtTokenExtractor,
    ServiceClientCredentialsFactory,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from msrest.authentication import Authentication

from tests.fakes.connector import LoopbackServer, Served

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com"
BOT_FRAMEWORK_LOGIN_URL = "https://login.microsoftonline.com/botframework.com"
CLOCK_TOLERANCE_SECONDS = 300  # botframework-connector's leeway


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def new_signing_key(key_size: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA private key for signing test tokens."""
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


class FakeIdentityProvider(Served):
    """Serves Bot Framework-style OpenID metadata + JWKS on loopback and mints channel tokens."""

    def __init__(
        self,
        *,
        endorsements: tuple[str, ...] = ("msteams",),
        kid: str | None = None,
        key_size: int = 2048,
    ) -> None:
        """Generate the signing key; serving starts in `start` / ``with`` / ``async with``."""
        self.kid = kid or uuid.uuid4().hex
        self.endorsements = list(endorsements)
        self.key_size = key_size
        self.signing_key = new_signing_key(key_size)
        self._forger_key: rsa.RSAPrivateKey | None = None
        # a second published key endorsed for other channels (see `other_channel`)
        self._other_channel: tuple[str, rsa.RSAPrivateKey, list[str]] | None = None
        self._instance = uuid.uuid4().hex
        self.fetches: list[str] = []
        app = web.Application()
        app.router.add_get("/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/.well-known/keys", self._keys)
        self._server = LoopbackServer(app, name="fake-identity-provider")

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeIdentityProvider:
        """Start serving (blocking, a few milliseconds)."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop serving and forget this provider in the SDK's metadata cache."""
        if self._server.port:
            self.forget_sdk_cache()
        self._server.stop()

    # ----------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``."""
        if not self._server.port:
            raise RuntimeError("FakeIdentityProvider is not started")
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def metadata_url(self) -> str:
        """Value for ``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL`` (unique per provider)."""
        return f"{self.url}/.well-known/openidconfiguration?provider={self._instance}"

    @property
    def jwks_url(self) -> str:
        """The ``jwks_uri`` announced in the metadata."""
        return f"{self.url}/.well-known/keys?provider={self._instance}"

    def config_attributes(self) -> dict[str, str]:
        """Bot config attributes that point inbound validation at this provider."""
        return {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": BOT_FRAMEWORK_ISSUER,
            "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": BOT_FRAMEWORK_SCOPE,
            "TO_CHANNEL_FROM_BOT_LOGIN_URL": BOT_FRAMEWORK_LOGIN_URL,
        }

    def configure(self, config: Any) -> Any:
        """Set `config_attributes` on a bot config object; returns it."""
        for name, value in self.config_attributes().items():
            setattr(config, name, value)
        return config

    def forget_sdk_cache(self) -> None:
        """Drop this provider's entry from ``JwtTokenExtractor.metadataCache``."""
        JwtTokenExtractor.metadataCache.pop(self.metadata_url, None)

    # ----------------------------------------------------------------- documents

    def public_jwk(
        self,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        endorsements: list[str] | None = None,
    ) -> dict[str, Any]:
        """A signing key (ours by default) as a Bot Framework JWKS entry (with endorsements)."""
        numbers = (key or self.signing_key).public_key().public_numbers()
        key_id = kid or self.kid
        return {
            "kty": "RSA",
            "use": "sig",
            "kid": key_id,
            "x5t": key_id,
            "n": _b64url_uint(numbers.n),
            "e": _b64url_uint(numbers.e),
            "endorsements": list(self.endorsements if endorsements is None else endorsements),
        }

    def public_jwks(self) -> list[dict[str, Any]]:
        """Every published key."""
        keys = [self.public_jwk()]
        if self._other_channel is not None:
            kid, key, endorsements = self._other_channel
            keys.append(self.public_jwk(key, kid, endorsements))
        return keys

    def openid_metadata(self) -> dict[str, Any]:
        """The OpenID configuration document (shape of login.botframework.com's)."""
        return {
            "issuer": BOT_FRAMEWORK_ISSUER,
            "authorization_endpoint": "https://invalid.botframework.com",
            "jwks_uri": self.jwks_url,
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        }

    async def _metadata(self, request: web.Request) -> web.Response:
        self.fetches.append("metadata")
        return web.json_response(self.openid_metadata())

    async def _keys(self, request: web.Request) -> web.Response:
        self.fetches.append("keys")
        return web.json_response({"keys": self.public_jwks()})

    # ----------------------------------------------------------------- tokens

    def issue(
        self,
        app_id: str,
        service_url: str,
        *,
        expires_in: int = 3600,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        kid: str | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        not_before: int | None = None,
        extra_claims: dict[str, Any] | None = None,
        omit: tuple[str, ...] = (),
    ) -> str:
        """A signed channel→bot RS256 token (claims aud, iss, serviceurl, nbf, exp; less omit)."""
        claims = self.claims(
            app_id,
            service_url,
            expires_in=expires_in,
            issuer=issuer,
            not_before=not_before,
            extra_claims=extra_claims,
            omit=omit,
        )
        key_id = kid or self.kid
        return jwt.encode(
            claims,
            signing_key or self.signing_key,
            algorithm="RS256",
            headers={"kid": key_id, "x5t": key_id},
        )

    @staticmethod
    def claims(
        app_id: str,
        service_url: str,
        *,
        expires_in: int = 3600,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        not_before: int | None = None,
        extra_claims: dict[str, Any] | None = None,
        omit: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The claims `issue` signs."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "serviceurl": service_url,
            "nbf": now - 5 if not_before is None else not_before,
            "exp": now + expires_in,
            "iss": issuer,
            "aud": app_id,
        }
        claims.update(extra_claims or {})
        return {name: value for name, value in claims.items() if name not in omit}

    def unsigned(self, app_id: str, service_url: str) -> str:
        """The claims of `issue` with ``alg: none`` and no signature."""
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        return f"{_b64url_json(header)}.{_b64url_json(self.claims(app_id, service_url))}."

    def hmac_with_public_key(self, app_id: str, service_url: str) -> str:
        """An HS256 token whose secret is our published public key (the key-confusion attack)."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_b64url_json(header)}.{_b64url_json(self.claims(app_id, service_url))}"
        secret = self.signing_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64url(mac)}"

    def other_channel(
        self, app_id: str, service_url: str, *, endorsements: tuple[str, ...] = ("webchat",)
    ) -> str:
        """A valid token signed by a second published key endorsed only for other channels.

        Call it before the bot's first request: botbuilder caches the key set (a new kid is
        looked up at most once an hour).
        """
        if self._other_channel is None:
            self._other_channel = (uuid.uuid4().hex, new_signing_key(self.key_size), [])
        kid, key, published = self._other_channel
        published[:] = endorsements
        return self.issue(app_id, service_url, kid=kid, signing_key=key)

    def forged(
        self, app_id: str, service_url: str, *, kid: str | None = None, **kwargs: Any
    ) -> str:
        """Like `issue` but signed by a key the provider doesn't publish (same ``kid``)."""
        if self._forger_key is None:
            self._forger_key = new_signing_key(self.key_size)
        return self.issue(app_id, service_url, kid=kid, signing_key=self._forger_key, **kwargs)

    def expired(self, app_id: str, service_url: str, *, ago: int = 600, **kwargs: Any) -> str:
        """A token that expired ``ago`` seconds ago (beyond the SDK's 5-minute leeway)."""
        if ago <= CLOCK_TOLERANCE_SECONDS:
            raise ValueError("tokens within the 300 s clock tolerance still validate")
        now = int(time.time())
        return self.issue(
            app_id, service_url, expires_in=-ago, not_before=now - ago - 3600, **kwargs
        )

    @staticmethod
    def bearer(token: str) -> str:
        """``Authorization`` header value for a token."""
        return f"Bearer {token}"


class StaticTokenCredentials(AppCredentials):  # type: ignore[misc]
    """Outbound bot→connector credentials that send a fixed bearer token (no AAD call)."""

    def __init__(self, app_id: str, token: str) -> None:
        """Credentials for ``app_id`` that always present ``token``."""
        super().__init__(app_id=app_id)
        self._token = token

    def get_access_token(self, force_refresh: bool = False) -> str:
        """The fixed token."""
        return self._token


class StaticTokenCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]
    """Credentials factory for tests: app id check + `StaticTokenCredentials` (no network)."""

    def __init__(self, app_id: str, token: str = "fake-bot-token") -> None:  # noqa: S107
        """Accept only ``app_id``; outbound calls carry ``Bearer <token>``."""
        self.app_id = app_id
        self.token = token

    async def is_valid_app_id(self, app_id: str) -> bool:
        """True for the configured app id."""
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        """Authentication is always on."""
        return False

    async def create_credentials(
        self,
        app_id: str,
        oauth_scope: str,
        login_endpoint: str,
        validate_authority: bool,
    ) -> Authentication:
        """`StaticTokenCredentials` for the app id."""
        if app_id != self.app_id:
            raise PermissionError(f"Invalid app_id {app_id!r}")
        return StaticTokenCredentials(app_id, self.token)
