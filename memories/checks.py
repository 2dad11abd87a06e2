"""System checks for a host project's configuration of the app (memories.E0xx)."""

from collections import Counter
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.urls import URLResolver, get_resolver

from memories.conf import memories_settings

ROUTER = "memories.routers.MemoryRouter"


# Settings only, no database is asked: not tagged `database`, which Django 6 runs only when
# the check names databases (`manage.py check --database`).
@register()
def check_memory_databases(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    databases: dict[str, str] = memories_settings.DATABASES
    for db_id, alias in databases.items():
        if alias not in settings.DATABASES:
            errors.append(
                Error(
                    f"MEMORIES['DATABASES'] maps db_id {db_id!r} to unknown alias {alias!r}.",
                    hint="Map every db_id to a key of DATABASES.",
                    id="memories.E001",
                )
            )
    if memories_settings.DEFAULT_DB_ID not in databases:
        errors.append(
            Error(
                f"MEMORIES['DEFAULT_DB_ID'] {memories_settings.DEFAULT_DB_ID!r} is not a "
                "configured db_id.",
                id="memories.E002",
            )
        )
    if ROUTER not in [str(router) for router in settings.DATABASE_ROUTERS]:
        errors.append(
            Error(
                f"{ROUTER} is missing from DATABASE_ROUTERS.",
                hint="Without it, memory tables and audit records may land in the wrong database.",
                id="memories.E003",
            )
        )
    tables: dict[str, list[str]] = memories_settings.TABLES
    for db_id, names in tables.items():
        if db_id not in databases:
            errors.append(
                Error(f"MEMORIES['TABLES'] names unknown db_id {db_id!r}.", id="memories.E004")
            )
        repeated = sorted(name for name, count in Counter(names).items() if count > 1)
        if repeated:
            errors.append(
                Error(
                    f"MEMORIES['TABLES'][{db_id!r}] lists {', '.join(repeated)} more than once.",
                    id="memories.E005",
                )
            )
    return errors


@register()
def check_retention_rules(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from memories.retention import rule_problems

    rules = memories_settings.RETENTION
    if not isinstance(rules, list | tuple):
        return [Error("MEMORIES['RETENTION'] must be a list of rules.", id="memories.E007")]
    return [
        Error(
            f"MEMORIES['RETENTION'][{index}]: {problem}.",
            hint="See the RETENTION setting in the README.",
            id="memories.E007",
        )
        for index, rule in enumerate(rules)
        for problem in rule_problems(rule)
    ]


@register()
def check_statement_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    seconds = memories_settings.STATEMENT_TIMEOUT
    if seconds is None or (
        isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 < seconds < 1e9
    ):
        return []
    return [
        Error(
            f"MEMORIES['STATEMENT_TIMEOUT'] is {seconds!r}: it must be a positive number of "
            "seconds, or None for no limit.",
            id="memories.E010",
        )
    ]


@register()
def check_large_table_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The large tables' settings are numbers: read on every admin page and summary, where a
    string would fail each request instead of the start."""
    problems = []
    rows = memories_settings.ADMIN_LARGE_TABLE_ROWS
    if not (isinstance(rows, int) and not isinstance(rows, bool) and rows >= 1):
        problems.append(f"MEMORIES['ADMIN_LARGE_TABLE_ROWS'] is {rows!r}: a whole number >= 1")
    seconds = memories_settings.AGGREGATE_CACHE_SECONDS
    if not (
        isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 <= seconds < 1e9
    ):
        problems.append(
            f"MEMORIES['AGGREGATE_CACHE_SECONDS'] is {seconds!r}: a number of seconds >= 0"
        )
    return [Error(f"{problem}.", id="memories.E011") for problem in problems]


def _missing_token_key() -> str | None:
    """The MEMORIES key that verification needs and lacks, if any."""
    if str(memories_settings.JWT_ALGORITHM).startswith("HS"):
        return None if memories_settings.JWT_SIGNING_KEY else "JWT_SIGNING_KEY"
    if memories_settings.JWT_VERIFYING_KEY or memories_settings.JWT_JWK_URL:
        return None
    return "JWT_VERIFYING_KEY"


_NO_KEY = "MEMORIES['{}'] is not set: every request to the memory API is refused."
_NO_KEY_HINT = (
    "Configure the key that verifies bearer tokens: MEMORIES['JWT_SIGNING_KEY'], or "
    "MEMORIES['JWT_VERIFYING_KEY'] or MEMORIES['JWT_JWK_URL'] for an asymmetric algorithm."
)


@register(Tags.security)
def check_token_key(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    missing = _missing_token_key()
    if missing is None:
        return []
    return [CheckWarning(_NO_KEY.format(missing), hint=_NO_KEY_HINT, id="memories.W001")]


@register(Tags.security, deploy=True)
def check_token_key_deployed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    missing = _missing_token_key()
    if missing is None:
        return []
    return [Error(_NO_KEY.format(missing), hint=_NO_KEY_HINT, id="memories.E006")]


@register(Tags.security)
def check_token_keys_apart(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The agents' key must verify none of the host's tokens, nor the host's theirs."""
    from memories.token_keys import shared_token_keys

    return [
        Error(
            f"{problem}: a token of one side would pass on the other (an agent's token as a "
            "user of the host, or a user's token on the memory API).",
            hint="Give the memory API's tokens a key of their own, used for nothing else.",
            id="memories.E009",
        )
        for problem in shared_token_keys()
    ]


# What memories.docs_urls needs: drf-spectacular's page templates, the sidecar's static files.
DOCS_APPS = ("drf_spectacular", "drf_spectacular_sidecar")


def _serves_docs(patterns: Any) -> bool:
    from memories.docs import MemoryAPIRedocView, MemoryAPISwaggerView

    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if _serves_docs(pattern.url_patterns):
                return True
        elif getattr(pattern.callback, "cls", None) in (MemoryAPISwaggerView, MemoryAPIRedocView):
            return True
    return False


@register(Tags.urls)
def check_docs_apps(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    missing = [name for name in DOCS_APPS if not apps.is_installed(name)]
    if not missing or not _serves_docs(get_resolver().url_patterns):
        return []
    return [
        Error(
            "memories.docs_urls serves Swagger UI and Redoc from drf-spectacular-sidecar's "
            f"static files, and INSTALLED_APPS lacks {', '.join(map(repr, missing))}.",
            hint=f"Add {', '.join(map(repr, missing))} to INSTALLED_APPS (the package "
            "drf-spectacular-sidecar provides drf_spectacular_sidecar).",
            id="memories.E008",
        )
    ]
