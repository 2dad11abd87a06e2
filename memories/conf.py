"""memories_settings: the MEMORIES setting merged over its defaults."""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # Public db_id -> Django database alias; aliases never appear in the API.
    "DATABASES": {"default": "default"},
    # The db_id used when a request names none.
    "DEFAULT_DB_ID": "default",
    # db_id -> the memory tables it holds, its default first; "schema.table" names a
    # schema-qualified table. A db_id not listed holds DEFAULT_TABLE only.
    "TABLES": {},
    # The table of a db_id that TABLES does not list.
    "DEFAULT_TABLE": "agno_memories",
    # Bearer tokens: verified by simplejwt with the JWT_* settings below alone; the host's
    # SIMPLE_JWT (its own users' tokens) never verifies them and is never changed.
    # The algorithm: HS256/384/512 (a shared secret) or RS*, ES*, PS*, EdDSA (a key pair).
    "JWT_ALGORITHM": "HS256",
    # The HMAC secret, or the private key (PEM) that `issue_token` signs with. Never
    # SECRET_KEY nor a key of the host's SIMPLE_JWT (check memories.E009): without one, and
    # without JWT_VERIFYING_KEY or JWT_JWK_URL, every token is refused.
    "JWT_SIGNING_KEY": "",
    # The public key (PEM) that verifies RS*/ES*/PS*/EdDSA tokens.
    "JWT_VERIFYING_KEY": "",
    # A JWKS URL whose keys verify tokens (by their `kid`), instead of JWT_VERIFYING_KEY.
    "JWT_JWK_URL": None,
    # The `aud` every token must carry, when set.
    "JWT_AUDIENCE": None,
    # The `iss` every token must carry, when set.
    "JWT_ISSUER": None,
    # Seconds (or a timedelta) of clock skew allowed on `exp` and `nbf`.
    "JWT_LEEWAY": 0,
    # JWT claim naming the caller: their user_id, the owner of their memories.
    "USER_ID_CLAIM": "sub",
    # JWT claim holding the caller's scopes: a list or a space-separated string.
    "SCOPES_CLAIM": "scopes",
    # The scope that makes a token an administrator of every memory.
    "ADMIN_SCOPE": "agent_os:admin",
    # Require memories:read / memories:write / memories:delete scopes.
    "REQUIRE_SCOPES": False,
    # Write an audit record for every deletion.
    "AUDIT": True,
    # Requests per token subject, e.g. "600/minute"; None turns throttling off. Counted in
    # Django's default cache: use a shared cache (Redis, Memcached) across worker processes.
    "THROTTLE_RATE": None,
    # Largest request body accepted, in bytes; larger ones are answered 413.
    "MAX_BODY_SIZE": 2 * 1024 * 1024,
    # Retention rules, applied by `manage.py apply_memory_retention` (e.g. from cron): a list
    # of {"db_id", "max_age_days", optional "table" (default: every table of db_id),
    # "age_of" ("updated_at", the default, or "created_at"), "agent_id", "team_id"}.
    "RETENTION": [],
    # Longest query string accepted, in bytes; longer ones are answered 422. It fits, with the
    # longest path, inside what hyper-based servers such as granian take (65534 bytes of URI).
    "MAX_QUERY_LENGTH": 60 * 1024,
    # Exports each server process streams at once; more are answered 503 EXPORTS_BUSY. A
    # client that stops reading holds its thread until it goes away: keep this below the
    # threads of a process so the other requests always find one.
    "EXPORT_MAX_CONCURRENT": 2,
    # Longest an export may stream, in seconds; past it the stream is cut (the connection
    # ends without the body's end) and its audit record stays unfinished.
    "EXPORT_MAX_SECONDS": 900,
    # Where MetricsMiddleware serves the Prometheus metrics, e.g. "/prometheus/metrics";
    # None serves none (requests are timed all the same).
    "METRICS_PATH": None,
    # Longest a statement of the app may run while it serves a request (the API, the admin
    # of its models, an export's chunks), in seconds; past it the database cuts it and the
    # request fails (500 STATEMENT_TIMEOUT). None sets no limit. 30: far above what the
    # API's statements and an erasure's batches take, and below the 60 s after which
    # proxies commonly give up on a request, so the database stops soon after its client.
    "STATEMENT_TIMEOUT": 30.0,
    # Seconds GET /readyz waits for each database and the throttle cache to answer.
    "READY_TIMEOUT": 2.0,
    # When the throttle cache fails (down, stalled): False lets requests through unthrottled
    # (one warning per outage); True refuses them with 503 THROTTLE_UNAVAILABLE.
    "THROTTLE_FAIL_CLOSED": False,
    # A memory table (or audit trail) with more rows than this is large. Its admin list
    # counts no total and offers no per-filter counts (facets); past list_max_show_all
    # matches, it shows PostgreSQL's estimate of how many match, labelled as one, instead of
    # counting them (other engines count).
    "ADMIN_LARGE_TABLE_ROWS": 100_000,
    # Seconds a table's topics (GET /memory_topics for an administrator, the admin's topic
    # filter), the admin's agent and team choices and an administrator's pages of
    # GET /user_memory_stats are served from Django's default cache as they are; for as long
    # again they are served while one background refresh reads them anew: a memory written
    # meanwhile shows there at most twice this late. An owner's own are never cached; 0
    # reads every time.
    "AGGREGATE_CACHE_SECONDS": 60,
}


class MemoriesSettings:
    """Attribute access to MEMORIES, computed lazily and reset when settings change."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid MEMORIES setting: {name!r}")
        value = getattr(settings, "MEMORIES", {}).get(name, DEFAULTS[name])
        setattr(self, name, value)
        return value

    def reload(self) -> None:
        for name in DEFAULTS:
            self.__dict__.pop(name, None)


memories_settings = MemoriesSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    # Reload in place, so modules holding `memories_settings` see override_settings.
    if setting == "MEMORIES":
        memories_settings.reload()


setting_changed.connect(_reload_on_change)
