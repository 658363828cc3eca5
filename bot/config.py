"""Settings: read once from the environment (and `.env`), validated, passed down as one object.

Nothing else in the bot reads the environment. Every problem is reported as a one-line
`ConfigError` naming the variable, so an operator can fix a deploy without reading code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import os
import re
import urllib.parse
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers

MAX_CONCURRENCY_HARD_LIMIT = 2  # Wolkvox refuses a third simultaneous request per token.
DEFAULT_SLACK_API_URL = "https://slack.com/api/"

# The key of a Secret made outside load_settings (tests, tools): fingerprints still are HMACs.
_UNKEYED = hashlib.sha256(b"wolkvox-slack/key/v1/unkeyed").digest()

MaskMode = Literal["always", "shared", "never"]
AuditPii = Literal["masked", "full"]
Lang = Literal["es", "en"]


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class Secret:
    """A value that must never reach a log, an error or a repr (tokens, signing secrets)."""

    __slots__ = ("_key", "_value")

    def __init__(self, value: str, *, key: bytes = b"") -> None:
        self._value = value
        self._key = key or _UNKEYED

    def reveal(self) -> str:
        return self._value

    @property
    def fingerprint(self) -> str:
        """Stable id for store keys, metrics and status: an HMAC under the bot's own secret key
        (`Settings.key`, given when settings are loaded), so nobody who reads a key, a metric or
        the status can test a guessed token against it offline."""
        digest = hmac.new(self._key, b"token\x00" + self._value.encode(), hashlib.sha256)
        return digest.hexdigest()[:12]

    def masked(self) -> str:
        """What `status` shows: enough to tell tokens apart, too little to use one."""
        tail = self._value[-4:] if len(self._value) >= 12 else ""
        return f"…{tail}" if tail else "…"

    def __repr__(self) -> str:
        return f"Secret({self.masked()})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


PHONE_FORMATS = ("national", "international")  # or "prefix:<digits>"


@dataclass(frozen=True)
class Operation:
    """One Wolkvox operation (a country's contact centre): its server, tokens and ways.

    A deployment without WOLKVOX_OPERATIONS has one, built from the WOLKVOX_* settings (key "").
    `phone_format`: how the operation stores numbers, so a search matches them: `national`
    (3001234567), `international` (573001234567) or `prefix:<digits>` (a fixed prefix before
    the national number)."""

    key: str
    name: str
    server: str
    tokens: tuple[Secret, ...]
    base_url_override: str = ""
    campaign_id: str = ""
    timezone: str = "America/Bogota"
    phone_region: str = "CO"
    daily_quota: int | None = None
    max_concurrency: int = 1
    phone_format: str = "national"
    channels: frozenset[str] = field(default_factory=frozenset)
    usergroups: frozenset[str] = field(default_factory=frozenset)
    # An administrator's mapping of Slack users to their Wolkvox extension (WOLKVOX_<OP>_AGENTS)
    agents: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def base_url(self) -> str:
        if self.base_url_override:
            return self.base_url_override.rstrip("/")
        return f"https://wv{self.server}.wolkvox.com"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Settings:
    # Wolkvox
    wolkvox_server: str = ""
    wolkvox_tokens: tuple[Secret, ...] = ()
    wolkvox_base_url: str = ""
    wolkvox_campaign_id: str = ""
    max_concurrency: int = 1
    timeout: float = 55.0
    queue_timeout: float = 120.0
    stuck_after: float = 5.0  # a call in flight this long is slow: relief and a notice (0: off)
    cache_ttl: float = 300.0
    coalesce: bool = True
    daily_quota: int | None = None
    timezone: str = "America/Bogota"
    phone_region: str = "CO"
    max_response_bytes: int = 256 * 1024 * 1024
    # Slack
    slack_bot_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_app_token: Secret | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    host: str = "0.0.0.0"
    lang: Lang = "es"
    # Trust
    allowed_users: frozenset[str] = field(default_factory=frozenset)
    allowed_usergroups: frozenset[str] = field(default_factory=frozenset)
    allowed_channels: frozenset[str] = field(default_factory=frozenset)
    user_rate: int = 20
    dial_rate: int = 10  # dials a user may start an hour (WOLKVOX_DIAL_RATE)
    agent_self_link: bool = True  # users may link their own extension on the Home tab
    wolkvox_agents: dict[str, str] = field(default_factory=dict, compare=False)
    mask_phones: MaskMode = "shared"
    audit_file: str = ""
    audit_pii: AuditPii = "masked"
    shutdown_grace: float = 25.0
    # Scale-out
    allowed_teams: frozenset[str] = field(default_factory=frozenset)
    metrics_token: Secret | None = None
    # Scale-out
    redis_url: Secret | None = None
    redis_tls_verify: bool = True
    redis_prefix: str = ""  # "" = derived from the app's own secret (see `store_prefix`)
    # WOLKVOX_OPERATIONS, as read (see `operations`).
    operation_list: tuple[Operation, ...] = ()

    @property
    def operations(self) -> tuple[Operation, ...]:
        """The Wolkvox operations served: WOLKVOX_OPERATIONS, else the one the WOLKVOX_*
        settings describe (always read from them, so a changed setting is never stale)."""
        return self.operation_list or (_implicit_operation(self),)

    @property
    def key(self) -> bytes:
        """The bot's own secret key for store-key digests and token fingerprints: from a
        secret every instance of this app shares (the signing secret, else the app token, else
        the bot token); a fixed key for a bot with no Slack secret (the terminal `find`)."""
        for secret in (self.slack_signing_secret, self.slack_app_token, self.slack_bot_token):
            if secret is not None:
                seed = secret.reveal().encode()
                return hmac.new(b"wolkvox-slack/key/v1", seed, hashlib.sha256).digest()
        return hashlib.sha256(b"wolkvox-slack/key/v1/no-slack").digest()

    def digest(self, purpose: str, value: str, size: int = 32) -> str:
        """A keyed digest of personal data (a phone, a user) for a store key: the same on every
        instance, and not reversible by someone who reads the store without the key."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:size]

    @property
    def store_prefix(self) -> str:
        """Redis key prefix: REDIS_PREFIX, else one of this app's own, so two bots on one Redis
        never share keys (queues, cache, quota)."""
        if self.redis_prefix:
            return self.redis_prefix
        return f"wolkvox:{self.digest('prefix', 'app', 8)}:"

    @property
    def base_url(self) -> str:
        """Where the Wolkvox API lives: the override, else the operation's own host."""
        if self.wolkvox_base_url:
            return self.wolkvox_base_url.rstrip("/")
        return f"https://wv{self.wolkvox_server}.wolkvox.com"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def has_slack_credentials(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None

    def secrets(self) -> list[str]:
        """Every secret value, for the log redaction filter."""
        values = [t.reveal() for t in self.wolkvox_tokens]
        values += [t.reveal() for op in self.operations for t in op.tokens]
        for s in (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.redis_url,
            self.metrics_token,
        ):
            if s is not None:
                values.append(s.reveal())
        if self.redis_url is not None:  # its password alone, as a library may print it
            values.append(urllib.parse.urlsplit(self.redis_url.reveal()).password or "")
        return [v for v in values if v]

    def require_wolkvox(self) -> None:
        """Fail with a clear message when a Wolkvox call is about to be made without credentials."""
        if any(op.key for op in self.operations):
            return  # WOLKVOX_OPERATIONS: each operation's own settings were checked when read
        if not self.wolkvox_tokens:
            raise ConfigError("WOLKVOX_TOKEN", "is not set (or set WOLKVOX_TOKENS for a pool)")
        if not self.wolkvox_server and not self.wolkvox_base_url:
            raise ConfigError("WOLKVOX_SERVER", "is not set (or set WOLKVOX_BASE_URL)")

    def require_slack(self) -> None:
        if self.slack_bot_token is None:
            raise ConfigError("SLACK_BOT_TOKEN", "is not set")
        if self.slack_signing_secret is None and self.slack_app_token is None:
            raise ConfigError("SLACK_SIGNING_SECRET", "is not set")


_SERVER_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")
_CAMPAIGN_RE = re.compile(r"^[0-9]{1,12}$")
_SLACK_ID_RE = re.compile(r"^[A-Z0-9]{2,32}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str = "") -> str:
        return self.env.get(name, default).strip()

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(name, f"must be a number, got {raw!r}") from None
        if value != value or not minimum <= value <= maximum:
            raise ConfigError(name, f"must be between {minimum:g} and {maximum:g}, got {raw!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        raw = self.text(name)
        if not raw:
            return default
        if not re.fullmatch(r"[+-]?\d+", raw):
            raise ConfigError(name, f"must be a whole number, got {raw!r}")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise ConfigError(name, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigError(name, f"must be true or false, got {raw!r}")

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw not in options:
            raise ConfigError(name, f"must be one of {', '.join(options)}, got {raw!r}")
        return raw

    def secret(self, name: str, prefix: str = "") -> Secret | None:
        raw = self.text(name)
        if not raw:
            return None
        if any(c.isspace() for c in raw):
            raise ConfigError(name, "must not contain spaces")
        if prefix and not raw.startswith(prefix):
            raise ConfigError(name, f"must start with {prefix!r}")
        return Secret(raw)

    def ids(self, name: str) -> frozenset[str]:
        items = [p.strip() for p in self.text(name).split(",") if p.strip()]
        for item in items:
            if not _SLACK_ID_RE.match(item):
                raise ConfigError(name, f"{item!r} is not a Slack id (like U0123ABCD)")
        return frozenset(items)

    def url(self, name: str, default: str = "") -> str:
        raw = self.text(name)
        if not raw:
            return default
        if not re.match(r"^https?://[^\s/]+", raw):
            raise ConfigError(name, "must be an http(s) URL")
        try:
            parts = urlsplit(raw)
            port = parts.port  # raises ValueError for a port that is not 0-65535 digits
        except ValueError:
            raise ConfigError(name, "is not a valid URL (check the host and port)") from None
        if not parts.hostname:
            raise ConfigError(name, "has no host name")
        if port == 0:
            raise ConfigError(name, "port must be between 1 and 65535")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ConfigError(name, "must use https:// (plain http:// only on this machine)")
        return raw


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: the only hosts plain http may reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tokens(r: _Reader, prefix: str = "WOLKVOX_") -> tuple[Secret, ...]:
    single = r.text(prefix + "TOKEN")
    pool = r.text(prefix + "TOKENS")
    if single and pool:
        raise ConfigError(
            prefix + "TOKENS", f"set either {prefix}TOKEN or {prefix}TOKENS, not both"
        )
    name = prefix + ("TOKENS" if pool else "TOKEN")
    raw_items = (pool or single).split(",") if (pool or single) else []
    items = [t.strip() for t in raw_items]
    if pool and any(not t for t in items):
        raise ConfigError(name, "has an empty entry (check for a stray comma)")
    tokens: list[Secret] = []
    for t in items:
        if any(c.isspace() or ord(c) < 33 or ord(c) > 126 for c in t):
            raise ConfigError(name, "contains characters a token cannot have")
        secret = Secret(t)
        if secret in tokens:
            raise ConfigError(name, "lists the same token twice")
        tokens.append(secret)
    return tuple(tokens)


def _host(r: _Reader) -> str:
    host = r.text("HOST", "0.0.0.0") or "0.0.0.0"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
            raise ConfigError("HOST", f"must be an address to listen on, got {host!r}") from None
    return host


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read and validate every setting; raise `ConfigError` on the first bad one."""
    if env is None:
        if dotenv:
            from dotenv import load_dotenv

            # From the working directory (where the operator runs the bot), not from this file's.
            # `./.env` only: never a parent folder's, which could point the bot elsewhere.
            local = os.path.join(os.getcwd(), ".env")
            if os.path.isfile(local):
                load_dotenv(local, override=False)
        env = os.environ
    r = _Reader(env)

    server = r.text("WOLKVOX_SERVER")
    if server and not _SERVER_RE.match(server):
        raise ConfigError("WOLKVOX_SERVER", "may contain only letters and digits (e.g. 0042)")
    campaign = r.text("WOLKVOX_CAMPAIGN_ID")
    if campaign and not _CAMPAIGN_RE.match(campaign):
        raise ConfigError("WOLKVOX_CAMPAIGN_ID", f"must be a campaign number, got {campaign!r}")
    timezone = r.text("WOLKVOX_TIMEZONE", "America/Bogota") or "America/Bogota"
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError("WOLKVOX_TIMEZONE", f"unknown time zone {timezone!r}") from None
    region = (r.text("WOLKVOX_PHONE_REGION", "CO") or "CO").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError("WOLKVOX_PHONE_REGION", f"unknown region {region!r} (use e.g. CO, MX)")
    timeout = r.number("WOLKVOX_TIMEOUT", 55.0, minimum=1, maximum=60)
    quota_raw = r.text("WOLKVOX_DAILY_QUOTA")
    quota = (
        r.integer("WOLKVOX_DAILY_QUOTA", 0, minimum=1, maximum=10_000_000) if quota_raw else None
    )
    base_url = r.url("WOLKVOX_BASE_URL")
    if "?" in base_url or "#" in base_url:
        raise ConfigError("WOLKVOX_BASE_URL", "must not have a query (?) or fragment (#)")
    redis_url = r.secret("REDIS_URL")
    if redis_url is not None and not re.match(r"^rediss?://", redis_url.reveal()):
        raise ConfigError("REDIS_URL", "must start with redis:// or rediss://")

    settings = Settings(
        wolkvox_server=server,
        wolkvox_tokens=_tokens(r),
        wolkvox_base_url=base_url,
        wolkvox_campaign_id=campaign,
        max_concurrency=r.integer(
            "WOLKVOX_MAX_CONCURRENCY", 1, minimum=1, maximum=MAX_CONCURRENCY_HARD_LIMIT
        ),
        timeout=timeout,
        queue_timeout=r.number("WOLKVOX_QUEUE_TIMEOUT", 120.0, minimum=0, maximum=3600),
        stuck_after=r.number("WOLKVOX_STUCK_AFTER", 5.0, minimum=0, maximum=60),
        cache_ttl=r.number("WOLKVOX_CACHE_TTL", 300.0, minimum=0, maximum=86_400),
        coalesce=r.flag("WOLKVOX_COALESCE", True),
        daily_quota=quota,
        timezone=timezone,
        phone_region=region,
        max_response_bytes=int(
            r.number("WOLKVOX_MAX_RESPONSE_MB", 256, minimum=1, maximum=1024) * 1024 * 1024
        ),
        slack_bot_token=r.secret("SLACK_BOT_TOKEN", "xox"),
        slack_signing_secret=r.secret("SLACK_SIGNING_SECRET"),
        slack_app_token=r.secret("SLACK_APP_TOKEN", "xapp-"),
        slack_api_url=r.url("SLACK_API_URL", DEFAULT_SLACK_API_URL),
        port=r.integer("PORT", 3000, minimum=1, maximum=65535),
        host=_host(r),
        lang=r.choice("WOLKVOX_LANG", "es", ("es", "en")),  # type: ignore[arg-type]
        allowed_users=r.ids("WOLKVOX_ALLOWED_USERS"),
        allowed_usergroups=r.ids("WOLKVOX_ALLOWED_USERGROUPS"),
        allowed_channels=r.ids("WOLKVOX_ALLOWED_CHANNELS"),
        user_rate=r.integer("WOLKVOX_USER_RATE", 20, minimum=1, maximum=100_000),
        dial_rate=r.integer("WOLKVOX_DIAL_RATE", 10, minimum=1, maximum=10_000),
        agent_self_link=r.flag("WOLKVOX_AGENT_SELF_LINK", True),
        wolkvox_agents=_agent_map(r, "WOLKVOX_AGENTS"),
        mask_phones=r.choice(  # type: ignore[arg-type]
            "WOLKVOX_MASK_PHONES", "shared", ("always", "shared", "never")
        ),
        audit_file=r.text("WOLKVOX_AUDIT_FILE"),
        audit_pii=r.choice("WOLKVOX_AUDIT_PII", "masked", ("masked", "full")),  # type: ignore[arg-type]
        shutdown_grace=r.number("WOLKVOX_SHUTDOWN_GRACE", 25.0, minimum=0, maximum=600),
        allowed_teams=r.ids("WOLKVOX_ALLOWED_TEAMS"),
        metrics_token=r.secret("METRICS_TOKEN"),
        redis_url=redis_url,
        redis_tls_verify=r.flag("REDIS_TLS_VERIFY", True),
        redis_prefix=_redis_prefix(r),
    )
    # Token fingerprints are keyed with the bot's own key, known only once Slack's are read.
    key = settings.key
    keyed = tuple(Secret(t.reveal(), key=key) for t in settings.wolkvox_tokens)
    settings = dataclasses.replace(settings, wolkvox_tokens=keyed)
    operations = tuple(
        dataclasses.replace(op, tokens=tuple(Secret(t.reveal(), key=key) for t in op.tokens))
        for op in _operations(r, settings)
    )
    return dataclasses.replace(settings, operation_list=operations)


_OPERATION_KEY_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")
_OPERATION_FIELDS = (
    "NAME",
    "SERVER",
    "TOKEN",
    "TOKENS",
    "BASE_URL",
    "PHONE_REGION",
    "TIMEZONE",
    "DAILY_QUOTA",
    "MAX_CONCURRENCY",
    "CAMPAIGN_ID",
    "PHONE_FORMAT",
    "CHANNELS",
    "USERGROUPS",
    "AGENTS",
)
_LEGACY_PER_OPERATION = (
    "WOLKVOX_SERVER",
    "WOLKVOX_TOKEN",
    "WOLKVOX_TOKENS",
    "WOLKVOX_BASE_URL",
    "WOLKVOX_AGENTS",
)


def _implicit_operation(s: Settings) -> Operation:
    """The one operation of a deployment without WOLKVOX_OPERATIONS: exactly as before."""
    return Operation(
        key="",
        name="",
        server=s.wolkvox_server,
        tokens=s.wolkvox_tokens,
        base_url_override=s.wolkvox_base_url,
        campaign_id=s.wolkvox_campaign_id,
        timezone=s.timezone,
        phone_region=s.phone_region,
        daily_quota=s.daily_quota,
        max_concurrency=s.max_concurrency,
        agents=s.wolkvox_agents,
    )


def _operations(r: _Reader, s: Settings) -> tuple[Operation, ...]:
    """WOLKVOX_OPERATIONS=co,ec,pa and each one's WOLKVOX_<OP>_* settings; () when unset.
    What an operation leaves out (region, time zone, quota, concurrency, campaign) is the
    WOLKVOX_* setting; its server or base URL and its tokens it must name itself."""
    raw = r.text("WOLKVOX_OPERATIONS")
    if not raw:
        return ()
    keys = [k.strip().lower() for k in raw.split(",")]
    for k in keys:
        if not _OPERATION_KEY_RE.match(k):
            raise ConfigError("WOLKVOX_OPERATIONS", f"{k!r} is not an operation key (e.g. co, ec)")
    if len(set(keys)) != len(keys):
        raise ConfigError("WOLKVOX_OPERATIONS", "names an operation twice")
    for name in _LEGACY_PER_OPERATION:
        if r.text(name):
            raise ConfigError(name, "is per operation when WOLKVOX_OPERATIONS is set: use "
                              f"WOLKVOX_<OP>_{name.removeprefix('WOLKVOX_')}")  # fmt: skip
    _refuse_unknown_operations(r, keys)
    operations = tuple(_operation(r, s, k) for k in keys)
    names = [op.name.casefold() for op in operations]
    if len(set(names)) != len(names):
        raise ConfigError("WOLKVOX_OPERATIONS", "two operations have the same _NAME")
    return operations


def _refuse_unknown_operations(r: _Reader, keys: list[str]) -> None:
    """A WOLKVOX_<OP>_<FIELD> for an operation not listed is a typo that would be ignored."""
    known = {k.upper() for k in keys}
    for name in sorted(r.env):
        rest = name.removeprefix("WOLKVOX_")
        if rest == name or not r.text(name):
            continue
        for field_name in _OPERATION_FIELDS:
            op = rest[: -len(field_name) - 1] if rest.endswith("_" + field_name) else ""
            if op and "_" not in op and op not in known and op != "ALLOWED":
                # (WOLKVOX_ALLOWED_CHANNELS and _USERGROUPS are global settings)
                why = f"names operation {op.lower()!r}, which WOLKVOX_OPERATIONS does not list"
                raise ConfigError(name, why)


def _operation(r: _Reader, s: Settings, key: str) -> Operation:
    p = f"WOLKVOX_{key.upper()}_"
    server = r.text(p + "SERVER")
    if server and not _SERVER_RE.match(server):
        raise ConfigError(p + "SERVER", "may contain only letters and digits (e.g. 0042)")
    base_url = r.url(p + "BASE_URL")
    if "?" in base_url or "#" in base_url:
        raise ConfigError(p + "BASE_URL", "must not have a query (?) or fragment (#)")
    if not server and not base_url:
        raise ConfigError(p + "SERVER", "is not set (or set " + p + "BASE_URL)")
    tokens = _tokens(r, p)
    if not tokens:
        raise ConfigError(p + "TOKEN", "is not set (or set " + p + "TOKENS for a pool)")
    campaign = r.text(p + "CAMPAIGN_ID", s.wolkvox_campaign_id)
    if campaign and not _CAMPAIGN_RE.match(campaign):
        raise ConfigError(p + "CAMPAIGN_ID", f"must be a campaign number, got {campaign!r}")
    timezone = r.text(p + "TIMEZONE", s.timezone) or s.timezone
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(p + "TIMEZONE", f"unknown time zone {timezone!r}") from None
    region = (r.text(p + "PHONE_REGION", s.phone_region) or s.phone_region).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(p + "PHONE_REGION", f"unknown region {region!r} (use e.g. CO, EC)")
    phone_format = r.text(p + "PHONE_FORMAT", "national") or "national"
    if phone_format not in PHONE_FORMATS and not re.fullmatch(r"prefix:\d{1,6}", phone_format):
        raise ConfigError(p + "PHONE_FORMAT", "must be national, international or prefix:<digits>")
    quota_raw = r.text(p + "DAILY_QUOTA")
    return Operation(
        key=key,
        name=r.text(p + "NAME", key.upper())[:40] or key.upper(),
        server=server,
        tokens=tokens,
        base_url_override=base_url,
        campaign_id=campaign,
        timezone=timezone,
        phone_region=region,
        daily_quota=(
            r.integer(p + "DAILY_QUOTA", 0, minimum=1, maximum=10_000_000)
            if quota_raw
            else s.daily_quota
        ),
        max_concurrency=r.integer(
            p + "MAX_CONCURRENCY", s.max_concurrency, minimum=1, maximum=MAX_CONCURRENCY_HARD_LIMIT
        ),
        phone_format=phone_format,
        channels=r.ids(p + "CHANNELS"),
        usergroups=r.ids(p + "USERGROUPS"),
        agents=_agent_map(r, p + "AGENTS"),
    )


_AGENT_PAIR_RE = re.compile(r"^([UW][A-Z0-9]{2,20})\s*[:=,]\s*(\d{1,12})$")


def _agent_map(r: _Reader, name: str) -> dict[str, str]:
    """`U0123ABCD:12004,U0456EFGH:12005`, or `@/path/agents.txt` naming a file of such pairs
    (one a line, `#` comments): Slack user → Wolkvox extension."""
    raw = r.text(name)
    if raw.startswith("@"):
        path = raw[1:].strip()
        try:
            with open(path, encoding="utf-8") as f:
                raw = f.read(1_000_000)
        except OSError as error:
            raise ConfigError(
                name, f"cannot read {path!r} ({error.strerror or 'unreadable'})"
            ) from None
        entries = [line.split("#", 1)[0].strip() for line in raw.splitlines()]
    else:
        entries = [part.strip() for part in raw.split(",")]
    mapping: dict[str, str] = {}
    for number, entry in enumerate((e for e in entries if e), start=1):
        match = _AGENT_PAIR_RE.match(entry)
        if match is None:
            raise ConfigError(
                name, f"entry {number} is not USER_ID:EXTENSION (e.g. U0123ABCD:12004)"
            )
        mapping[match.group(1)] = match.group(2)
    return mapping


def _redis_prefix(r: _Reader) -> str:
    raw = r.text("REDIS_PREFIX")
    if raw and not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", raw):
        raise ConfigError("REDIS_PREFIX", "may hold only letters, digits and _ . : - (64 at most)")
    return raw
