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
