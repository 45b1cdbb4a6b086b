"""Settings, read once from the environment (and an optional `.env` file) at start-up."""

from __future__ import annotations

import base64
import binascii
import importlib
import ipaddress
import os
import re
import resource
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

from starlette.config import Config
from starlette.datastructures import Secret
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import ConfigurationError as TortoiseConfigurationError

from core.enums import Role
from core.text import redacted_url
from core.trusted_documents import load_manifest

T = TypeVar("T")
ENVIRONMENTS = ("development", "production")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
MIN_METRICS_TOKEN_LENGTH = 16
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
INVITATION_URL_PLACEHOLDER = "{token}"
DEFAULT_WEBAUTHN_RP_ID = "localhost"
MAX_EXECUTION_SECONDS_CEILING = 3600  # a request deadline, not a way to switch it off
# Always allowed in a CORS preflight: the credentials, the body, request correlation and
# the client name and version Apollo Client sends. CORS_ALLOW_HEADERS adds to these.
DEFAULT_CORS_ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "X-Request-ID",
    "apollographql-client-name",
    "apollographql-client-version",
)


# File descriptors kept free for everything but client connections: database
# connections, log files, the listening socket, threads' pipes.
RESERVED_DESCRIPTORS = 100


def descriptor_limit() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1_048_576


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


# The settings in groups, one per part of the process that uses them. Each group is built
# from the flat fields below (one per environment variable, read and checked in `load`), so
# a consumer takes its group whole rather than copying fields one by one.


@dataclass(frozen=True)
class Argon2Settings:
    time_cost: int
    memory_cost_kib: int
    parallelism: int
    # The pool that runs the hashes off the event loop.
    concurrency: int
    queue_seconds: float


@dataclass(frozen=True)
class LoginPolicySettings:
    max_failures_per_account: int
    max_failures_per_address: int
    failure_window_seconds: int
    lock_seconds: int
    # How long an attempt waits for one in flight to end, as long as for an Argon2 slot.
    wait_seconds: float


@dataclass(frozen=True)
class LimiterSettings:
    redis_url: Secret | None
    redis_key_prefix: str
    readiness_requires_redis: bool


@dataclass(frozen=True)
class WebhookSettings:
    url: str | None
    secret: Secret | None
    expiry_warning_days: int

    @property
    def enabled(self) -> bool:
        return self.url is not None


@dataclass(frozen=True)
class QueryLimitSettings:
    max_depth: int
    max_aliases: int
    max_cost: int
    max_tokens: int
    max_anonymous_tokens: int
    max_fragments: int
    max_spreads: int
    max_execution_seconds: float
    trusted_documents: Path | None


@dataclass(frozen=True)
class ConnectionSettings:
    header_timeout_seconds: float
    max_per_address: int
    max_total: int | None
    trusted_proxies: tuple[str, ...]


@dataclass(frozen=True)
class KeyLifecycleSettings:
    max_roll_grace_seconds: int
    max_key_lifetime_days: int | None
    expiry_warning_days: int
    revoke_unused_after_days: int | None


@dataclass(frozen=True)
class InvitationSettings:
    ttl_hours: int
    # A link with `{token}` where the invitation's token goes, sent in `user.invited`.
    url_template: str | None

    def url_for(self, token: str) -> str | None:
        if self.url_template is None:
            return None
        return self.url_template.replace(INVITATION_URL_PLACEHOLDER, quote(token, safe=""))


@dataclass(frozen=True)
class WebAuthnSettings:
    rp_id: str
    rp_name: str
    origins: tuple[str, ...]
    # Off in production until WEBAUTHN_RP_ID is set: a guessed relying party would only
    # fail later, in every browser, with an error the user cannot read.
    enabled: bool


@dataclass(frozen=True)
class MfaSettings:
    # Roles whose holders must enrol a second factor before anything else; empty: none.
    required_roles: frozenset[Role]
    step_up_seconds: int
    # The issuer an authenticator app shows beside the account (WEBAUTHN_RP_NAME).
    issuer: str


@dataclass(frozen=True)
class Settings:
    """One field per environment variable (the README's table, in its order of reading),
    and the groups above as properties made from them."""

    database_url: str = "sqlite://data/gatehouse.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    environment: str = "development"
    admin_email: str | None = None
    admin_password: Secret | None = None
    session_ttl_hours: float = 12.0
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ()
    max_roll_grace_seconds: int = 604_800
    max_key_lifetime_days: int | None = None
    expiry_warning_days: int = 7
    revoke_unused_after_days: int | None = None
    webhook_url: str | None = None
    webhook_secret: Secret | None = None
    shutdown_grace_seconds: float = 10.0
    password_hash_concurrency: int = field(default_factory=available_cores)
    password_hash_queue_seconds: float = 5.0
    audit_retention_days: int = 365
    usage_hourly_retention_days: int = 14
    usage_daily_retention_days: int = 400
    redis_url: Secret | None = None
    redis_key_prefix: str = "gatehouse"
    trusted_proxies: tuple[str, ...] = ()
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 30
    login_failure_window_seconds: int = 900
    login_lock_seconds: int = 900
    log_format: str = "text"
    metrics_token: Secret | None = None
    otel_exporter_otlp_endpoint: str | None = None
    max_query_depth: int = 15
    max_query_aliases: int = 30
    max_query_cost: int = 25_000
    max_query_tokens: int = 4000
    max_anonymous_query_tokens: int = 1000
    max_query_fragments: int = 100
    max_query_spreads: int = 200
    max_execution_seconds: float = 10.0
    trusted_documents: Path | None = None
    cors_allow_headers: tuple[str, ...] = DEFAULT_CORS_ALLOW_HEADERS
    header_timeout_seconds: float = 10.0
    max_connections_per_address: int = 100
    max_connections: int | None = None
    min_free_disk_mb: int = 64
    readiness_requires_redis: bool = False
    allow_new_database: bool = False
    portal_enabled: bool = True
    invitation_ttl_hours: int = 72
    invitation_url: str | None = None
    session_idle_minutes: int | None = None
    max_subscriptions_per_credential: int = 20
    webauthn_rp_id: str | None = None
    webauthn_rp_name: str = "Gatehouse"
    webauthn_origins: tuple[str, ...] = ()
    mfa_required_roles: tuple[Role, ...] = ()
    step_up_seconds: int = 300

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def session_idle(self) -> timedelta | None:
        """How long a session may go unused; None: no idle timeout."""
        minutes = self.session_idle_minutes
        return None if minutes is None else timedelta(minutes=minutes)

    @property
    def argon2(self) -> Argon2Settings:
        return Argon2Settings(
            time_cost=self.argon2_time_cost,
            memory_cost_kib=self.argon2_memory_cost_kib,
            parallelism=self.argon2_parallelism,
            concurrency=self.password_hash_concurrency,
            queue_seconds=self.password_hash_queue_seconds,
        )

    @property
    def login_policy(self) -> LoginPolicySettings:
        return LoginPolicySettings(
            max_failures_per_account=self.login_max_failures_per_account,
            max_failures_per_address=self.login_max_failures_per_address,
            failure_window_seconds=self.login_failure_window_seconds,
            lock_seconds=self.login_lock_seconds,
            wait_seconds=self.password_hash_queue_seconds,
        )

    @property
    def limiter(self) -> LimiterSettings:
        return LimiterSettings(
            redis_url=self.redis_url,
            redis_key_prefix=self.redis_key_prefix,
            readiness_requires_redis=self.readiness_requires_redis,
        )

    @property
    def webhooks(self) -> WebhookSettings:
        return WebhookSettings(
            url=self.webhook_url,
            secret=self.webhook_secret,
            expiry_warning_days=self.expiry_warning_days,
        )

    @property
    def query_limits(self) -> QueryLimitSettings:
        return QueryLimitSettings(
            max_depth=self.max_query_depth,
            max_aliases=self.max_query_aliases,
            max_cost=self.max_query_cost,
            max_tokens=self.max_query_tokens,
            max_anonymous_tokens=self.max_anonymous_query_tokens,
            max_fragments=self.max_query_fragments,
            max_spreads=self.max_query_spreads,
            max_execution_seconds=self.max_execution_seconds,
            trusted_documents=self.trusted_documents,
        )

    @property
    def connections(self) -> ConnectionSettings:
        return ConnectionSettings(
            header_timeout_seconds=self.header_timeout_seconds,
            max_per_address=self.max_connections_per_address,
            max_total=self.max_connections,
            trusted_proxies=self.trusted_proxies,
        )

    @property
    def mfa(self) -> MfaSettings:
        return MfaSettings(
            required_roles=frozenset(self.mfa_required_roles),
            step_up_seconds=self.step_up_seconds,
            issuer=self.webauthn_rp_name,
        )

    @property
    def key_lifecycle(self) -> KeyLifecycleSettings:
        return KeyLifecycleSettings(
            max_roll_grace_seconds=self.max_roll_grace_seconds,
            max_key_lifetime_days=self.max_key_lifetime_days,
            expiry_warning_days=self.expiry_warning_days,
            revoke_unused_after_days=self.revoke_unused_after_days,
        )

    @property
    def invitations(self) -> InvitationSettings:
        return InvitationSettings(
            ttl_hours=self.invitation_ttl_hours, url_template=self.invitation_url
        )

    @property
    def webauthn(self) -> WebAuthnSettings:
        rp_id = self.webauthn_rp_id or DEFAULT_WEBAUTHN_RP_ID
        return WebAuthnSettings(
            rp_id=rp_id,
            rp_name=self.webauthn_rp_name,
            origins=self.webauthn_origins or _default_webauthn_origins(rp_id, self.port),
            enabled=self.webauthn_rp_id is not None or not self.is_production,
        )

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        env_file = env_file if env_file is not None and Path(env_file).is_file() else None
        config = Config(env_file=env_file, environ=os.environ if environ is None else environ)

        def read(name: str, cast: Callable[[str], T], default: T) -> T:
            raw = config(name, default=None)
            if raw is None or raw == "":
                return default
            try:
                return cast(raw)
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from None

        admin_password = config("ADMIN_PASSWORD", cast=Secret, default=None)
        settings = cls(
            database_url=read("DATABASE_URL", _database_url, cls.database_url),
            host=read("HOST", str, cls.host),
            port=read("PORT", _bounded_int(1, 65535), cls.port),
            workers=read("WORKERS", _bounded_int(1, 64), cls.workers),
            environment=read("GATEHOUSE_ENV", _one_of(ENVIRONMENTS), cls.environment),
            admin_email=read("ADMIN_EMAIL", _email, None),
            admin_password=admin_password if admin_password and str(admin_password) else None,
            session_ttl_hours=read("SESSION_TTL_HOURS", _positive_float, cls.session_ttl_hours),
            argon2_time_cost=read("ARGON2_TIME_COST", _bounded_int(1, 100), cls.argon2_time_cost),
            argon2_memory_cost_kib=read(
                "ARGON2_MEMORY_COST_KIB", _bounded_int(8, 4_194_304), cls.argon2_memory_cost_kib
            ),
            argon2_parallelism=read(
                "ARGON2_PARALLELISM", _bounded_int(1, 64), cls.argon2_parallelism
            ),
            log_level=read("LOG_LEVEL", _one_of(LOG_LEVELS, str.upper), cls.log_level),
            cors_origins=read("CORS_ORIGINS", _origins, cls.cors_origins),
            max_roll_grace_seconds=read(
                "MAX_ROLL_GRACE_SECONDS", _bounded_int(0, 31_536_000), cls.max_roll_grace_seconds
            ),
            max_key_lifetime_days=read("MAX_KEY_LIFETIME_DAYS", _bounded_int(1, 36_500), None),
            expiry_warning_days=read(
                "EXPIRY_WARNING_DAYS", _bounded_int(1, 3650), cls.expiry_warning_days
            ),
            revoke_unused_after_days=read(
                "REVOKE_UNUSED_AFTER_DAYS", _bounded_int(1, 36_500), None
            ),
            webhook_url=read("WEBHOOK_URL", _http_url, None),
            webhook_secret=read("WEBHOOK_SECRET", _webhook_secret, None),
            shutdown_grace_seconds=read(
                "SHUTDOWN_GRACE_SECONDS", _positive_float, cls.shutdown_grace_seconds
            ),
            password_hash_concurrency=read(
                "PASSWORD_HASH_CONCURRENCY", _bounded_int(1, 256), available_cores()
            ),
            password_hash_queue_seconds=read(
                "PASSWORD_HASH_QUEUE_SECONDS", _positive_float, cls.password_hash_queue_seconds
            ),
            audit_retention_days=read(
                "AUDIT_RETENTION_DAYS", _bounded_int(1, 36500), cls.audit_retention_days
            ),
            usage_hourly_retention_days=read(
                "USAGE_HOURLY_RETENTION_DAYS",
                _bounded_int(1, 3660),
                cls.usage_hourly_retention_days,
            ),
            usage_daily_retention_days=read(
                "USAGE_DAILY_RETENTION_DAYS",
                _bounded_int(1, 36500),
                cls.usage_daily_retention_days,
            ),
            redis_url=read("REDIS_URL", _redis_url, None),
            redis_key_prefix=read("REDIS_KEY_PREFIX", _key_prefix, cls.redis_key_prefix),
            trusted_proxies=read("TRUSTED_PROXIES", _networks, cls.trusted_proxies),
            login_max_failures_per_account=read(
                "LOGIN_MAX_FAILURES_PER_ACCOUNT",
                _bounded_int(1, 1000),
                cls.login_max_failures_per_account,
            ),
            login_max_failures_per_address=read(
                "LOGIN_MAX_FAILURES_PER_ADDRESS",
                _bounded_int(1, 100_000),
                cls.login_max_failures_per_address,
            ),
            login_failure_window_seconds=read(
                "LOGIN_FAILURE_WINDOW_SECONDS",
                _bounded_int(1, 86_400),
                cls.login_failure_window_seconds,
            ),
            login_lock_seconds=read(
                "LOGIN_LOCK_SECONDS", _bounded_int(1, 86_400), cls.login_lock_seconds
            ),
            log_format=read("LOG_FORMAT", _one_of(LOG_FORMATS), cls.log_format),
            metrics_token=read("METRICS_TOKEN", _metrics_token, None),
            otel_exporter_otlp_endpoint=read("OTEL_EXPORTER_OTLP_ENDPOINT", _http_url, None),
            max_query_depth=read("MAX_QUERY_DEPTH", _bounded_int(1, 50), cls.max_query_depth),
            max_query_aliases=read(
                "MAX_QUERY_ALIASES", _bounded_int(0, 10_000), cls.max_query_aliases
            ),
            max_query_cost=read("MAX_QUERY_COST", _bounded_int(1, 10**9), cls.max_query_cost),
            max_query_tokens=read(
                "MAX_QUERY_TOKENS", _bounded_int(100, 100_000), cls.max_query_tokens
            ),
            max_anonymous_query_tokens=read(
                "MAX_ANONYMOUS_QUERY_TOKENS",
                _bounded_int(50, 100_000),
                cls.max_anonymous_query_tokens,
            ),
            max_query_fragments=read(
                "MAX_QUERY_FRAGMENTS", _bounded_int(0, 150), cls.max_query_fragments
            ),
            max_query_spreads=read(
                "MAX_QUERY_SPREADS", _bounded_int(0, 10_000), cls.max_query_spreads
            ),
            max_execution_seconds=read(
                "MAX_EXECUTION_SECONDS", _execution_seconds, cls.max_execution_seconds
            ),
            trusted_documents=read("TRUSTED_DOCUMENTS", _trusted_documents, None),
            cors_allow_headers=read("CORS_ALLOW_HEADERS", _extra_headers, cls.cors_allow_headers),
            header_timeout_seconds=read(
                "HEADER_TIMEOUT_SECONDS", _positive_float, cls.header_timeout_seconds
            ),
            max_connections_per_address=read(
                "MAX_CONNECTIONS_PER_ADDRESS",
                _bounded_int(1, 1_000_000),
                cls.max_connections_per_address,
            ),
            max_connections=read("MAX_CONNECTIONS", _bounded_int(16, 1_000_000), None),
            min_free_disk_mb=read("MIN_FREE_DISK_MB", _bounded_int(0, 10**9), cls.min_free_disk_mb),
            readiness_requires_redis=read(
                "READINESS_REQUIRES_REDIS", _flag, cls.readiness_requires_redis
            ),
            allow_new_database=read("ALLOW_NEW_DATABASE", _flag, cls.allow_new_database),
            portal_enabled=read("PORTAL_ENABLED", _flag, cls.portal_enabled),
            invitation_ttl_hours=read(
                "INVITATION_TTL_HOURS", _bounded_int(1, 8760), cls.invitation_ttl_hours
            ),
            invitation_url=read("INVITATION_URL", _invitation_url, None),
            session_idle_minutes=read("SESSION_IDLE_MINUTES", _bounded_int(1, 525_600), None),
            max_subscriptions_per_credential=read(
                "MAX_SUBSCRIPTIONS_PER_CREDENTIAL",
                _bounded_int(1, 10_000),
                cls.max_subscriptions_per_credential,
            ),
            webauthn_rp_id=read("WEBAUTHN_RP_ID", _rp_id, None),
            webauthn_rp_name=read("WEBAUTHN_RP_NAME", _rp_name, cls.webauthn_rp_name),
            webauthn_origins=read("WEBAUTHN_ORIGINS", _webauthn_origins, cls.webauthn_origins),
            mfa_required_roles=read("MFA_REQUIRED_ROLES", _roles, cls.mfa_required_roles),
            step_up_seconds=read("STEP_UP_SECONDS", _bounded_int(1, 86_400), cls.step_up_seconds),
        )
        if settings.webhook_url is not None and settings.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET: required when WEBHOOK_URL is set "
                "(a Standard Webhooks secret, whsec_ followed by base64)"
            )
        if (settings.admin_email is None) != (settings.admin_password is None):
            raise ConfigError("ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither")
        if settings.admin_password is not None and not (
            MIN_PASSWORD_LENGTH <= len(str(settings.admin_password)) <= MAX_PASSWORD_LENGTH
        ):
            raise ConfigError(
                f"ADMIN_PASSWORD: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} "
                "characters long"
            )
        room = descriptor_limit() - RESERVED_DESCRIPTORS
        if settings.max_connections is not None and settings.max_connections > room:
            raise ConfigError(
                f"MAX_CONNECTIONS: {settings.max_connections} leaves fewer than "
                f"{RESERVED_DESCRIPTORS} of the process's {descriptor_limit()} file descriptors "
                "(ulimit -n) for the database and logs; lower it or raise the limit"
            )
        _check_webauthn_origins(settings.webauthn)
        if settings.workers > 1 and settings.database_url.startswith("sqlite"):
            raise ConfigError("WORKERS: SQLite serves one process; use PostgreSQL to run more")
        return settings


def _trusted_documents(value: str) -> Path:
    # Read now, so that a bad manifest stops the start with one line; the app reads it again.
    path = Path(value)
    load_manifest(path)
    return path


def _database_url(value: str) -> str:
    try:
        engine = expand_db_url(value)["engine"]
    except (TortoiseConfigurationError, ValueError, KeyError) as exc:
        raise ValueError(
            f"not a database URL ({exc}); expected e.g. sqlite://data/db.sqlite3 "
            "or postgres://user@host:5432/name"
        ) from None
    # Tortoise knows more schemes than this install has drivers for (mysql://, mssql://);
    # say so now rather than with an ImportError traceback at the first connection.
    try:
        importlib.import_module(engine)
    except ImportError as exc:
        raise ValueError(f"no driver installed for this database ({exc.name})") from None
    return value


def _bounded_int(low: int, high: int) -> Callable[[str], int]:
    def cast(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"{number} is outside {low}..{high}")
        return number

    return cast


def _flag(value: str) -> bool:
    normalised = value.strip().lower()
    if normalised in ("1", "true", "yes", "on"):
        return True
    if normalised in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not number > 0:
        raise ValueError(f"{value!r} must be greater than 0")
    return number


def _execution_seconds(value: str) -> float:
    number = _positive_float(value)
    if number > MAX_EXECUTION_SECONDS_CEILING:
        raise ValueError(f"{value!r} must be at most {MAX_EXECUTION_SECONDS_CEILING}")
    return number


def _one_of(
    choices: tuple[str, ...], normalise: Callable[[str], str] = str.lower
) -> Callable[[str], str]:
    def cast(value: str) -> str:
        if normalise(value) not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return normalise(value)

    return cast


def _origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin such as https://portal.example.com")
    return origins


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{redacted_url(value)!r} is not an http:// or https:// URL")
    return value.strip()


def _invitation_url(value: str) -> str:
    template = value.strip()
    if INVITATION_URL_PLACEHOLDER not in template:
        raise ValueError(
            f"must hold {INVITATION_URL_PLACEHOLDER} where the invitation's token goes, "
            "e.g. https://portal.example.com/accept?token={token}"
        )
    _http_url(template.replace(INVITATION_URL_PLACEHOLDER, "token"))
    return template


def _webhook_secret(value: str) -> Secret:
    # Standard Webhooks: "whsec_" + base64 of 24 to 64 random bytes. The value itself never
    # goes into the message: it is a secret.
    prefix = "whsec_"
    encoded = value.strip().removeprefix(prefix)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"not {prefix} followed by base64") from None
    if not value.strip().startswith(prefix) or not 24 <= len(key) <= 64:
        raise ValueError(f"must be {prefix} followed by base64 of 24 to 64 random bytes")
    return Secret(value.strip())


def _redis_url(value: str) -> Secret:
    # A Secret, because the URL may carry the Redis password.
    if not value.startswith(("redis://", "rediss://")):
        raise ValueError("expected redis://[:password@]host:6379/0 or rediss://…")
    return Secret(value)


def _key_prefix(value: str) -> str:
    if not value.replace("-", "").replace("_", "").replace(":", "").isalnum():
        raise ValueError(f"{value!r} may hold only letters, digits, '-', '_' and ':'")
    return value


def _networks(value: str) -> tuple[str, ...]:
    # uvicorn quietly treats a mistyped address as a literal that never matches; refuse it
    # here instead. No "*": trusting everyone lets any client choose its own address.
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ValueError(
                f"{item!r} is not an IP address or network such as 10.0.0.0/8"
            ) from None
    return tuple(networks)


def _metrics_token(value: str) -> Secret:
    if len(value) < MIN_METRICS_TOKEN_LENGTH or any(c.isspace() for c in value):
        raise ValueError(
            f"must be at least {MIN_METRICS_TOKEN_LENGTH} characters without spaces "
            "(e.g. from `openssl rand -hex 32`)"
        )
    return Secret(value)


_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def _extra_headers(value: str) -> tuple[str, ...]:
    extra = [name.strip() for name in value.split(",") if name.strip()]
    for name in extra:
        if not _HEADER_NAME.match(name):
            raise ValueError(f"{name!r} is not an HTTP header name")
    known = {name.lower() for name in DEFAULT_CORS_ALLOW_HEADERS}
    added = [name for name in dict.fromkeys(extra) if name.lower() not in known]
    return DEFAULT_CORS_ALLOW_HEADERS + tuple(added)


def _roles(value: str) -> tuple[Role, ...]:
    names = [name.strip().upper() for name in value.split(",") if name.strip()]
    known = {role.value for role in Role}
    for name in names:
        if name not in known:
            raise ValueError(f"{name!r} is not one of {', '.join(sorted(known))}")
    return tuple(Role(name) for name in dict.fromkeys(names))


def _rp_name(value: str) -> str:
    name = value.strip()
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise ValueError("must be 1 to 100 printable characters")
    return name


def _email(value: str) -> str:
    if "@" not in value.strip():
        raise ValueError(f"{value!r} is not an email address")
    return value.strip().lower()


_RP_ID = re.compile(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def _rp_id(value: str) -> str:
    # A WebAuthn relying party is a domain (never an address, a port or a scheme).
    rp_id = value.strip().lower()
    if not _RP_ID.match(rp_id) or rp_id.replace(".", "").isdigit():
        raise ValueError(f"{value!r} is not a domain name such as example.com or localhost")
    return rp_id


def _webauthn_origins(value: str) -> tuple[str, ...]:
    origins = tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
            raise ValueError(f"{origin!r} is not an origin such as https://portal.example.com")
    return origins


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def _default_webauthn_origins(rp_id: str, port: int) -> tuple[str, ...]:
    if _is_localhost(rp_id):
        return (f"http://{rp_id}:{port}",)
    return (f"https://{rp_id}",)


def _check_webauthn_origins(webauthn: WebAuthnSettings) -> None:
    """Browsers refuse a passkey ceremony on a page outside the relying party's domain, or
    on plain http anywhere but localhost: refuse such settings at the start, not in every
    browser later."""
    for origin in webauthn.origins:
        host = urlsplit(origin).hostname or ""
        if host != webauthn.rp_id and not host.endswith("." + webauthn.rp_id):
            raise ConfigError(
                f"WEBAUTHN_ORIGINS: {origin} is not on WEBAUTHN_RP_ID {webauthn.rp_id} "
                "or one of its subdomains"
            )
        if origin.startswith("http://") and not _is_localhost(host):
            raise ConfigError(
                f"WEBAUTHN_ORIGINS: {origin} must be https (only localhost may be http)"
            )
