"""Settings of the agentos host project: everything that varies comes from the environment,
or from the `.env` file at the repository root (see `.env.example`)."""

import os
from pathlib import Path

from agentos.environment import (
    cache,
    database,
    env_bool,
    env_list,
    json_list,
    memory_databases,
    memory_tables,
    metrics_path,
    read_env_file,
    seconds_or_off,
    secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# First: every setting below may come from the file. The environment wins over it.
ENV_FILE = read_env_file(BASE_DIR / ".env")

DEBUG = env_bool("DJANGO_DEBUG")
# Without DJANGO_SECRET_KEY a development key is used; `check --deploy` reports it.
SECRET_KEY = secret("DJANGO_SECRET_KEY", BASE_DIR / ".dev-secret-key") or (
    "django-insecure-agentos-memories-development-only"
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "memories",
]

# Sessions, users and messages serve the browser pages (the admin, the documentation): the
# memory API's bearer-token requests skip them (agentos/middleware.py).
MIDDLEWARE = [
    # First: request latency covers every other middleware.
    "memories.metrics.MetricsMiddleware",
    # Then the request's id, in every later line and in the response (X-Request-ID).
    "memories.requests.RequestIdMiddleware",
    "agentos.logs.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "agentos.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "agentos.middleware.BrowserAuthenticationMiddleware",
    "agentos.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "agentos.urls"
WSGI_APPLICATION = "agentos.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: DATABASE_URL is `default` (db_id and alias); AGENTOS_MEMORY_DATABASES adds
# `db_id=URL` pairs, each an alias of the same name holding memory tables only. PostgreSQL
# URLs get the app's optional engine `memories.db.postgresql` (agentos/environment.py), chosen
# here for its health check without a round trip; hosts may keep Django's stock engine.
_memory_urls = memory_databases("AGENTOS_MEMORY_DATABASES")
DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    **{db_id: database(url) for db_id, url in _memory_urls.items()},
}
DATABASE_ROUTERS = ["memories.routers.MemoryRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _pem(value: str | None) -> str | None:
    # PEM keys in one-line environment variables often carry literal "\n".
    return value.replace("\\n", "\n") if value else value


MEMORIES = {
    "DATABASES": {"default": "default", **{db_id: db_id for db_id in _memory_urls}},
    # Repeated `db_id=table` pairs, e.g. `pg=ai.agno_memories,pg=agno_memories`.
    "TABLES": memory_tables("AGENTOS_MEMORY_TABLES"),
    # The agents' bearer tokens (the project has no SIMPLE_JWT: its users sign in to the admin).
    "JWT_ALGORITHM": os.environ.get("AGENTOS_JWT_ALGORITHM", "HS256"),
    # Never SECRET_KEY (check memories.E009): without a key every token is refused.
    "JWT_SIGNING_KEY": _pem(secret("AGENTOS_JWT_SIGNING_KEY", BASE_DIR / ".dev-jwt-key")) or "",
    "JWT_VERIFYING_KEY": _pem(os.environ.get("AGENTOS_JWT_VERIFYING_KEY")) or "",
    "JWT_JWK_URL": os.environ.get("AGENTOS_JWT_JWK_URL") or None,
    "JWT_AUDIENCE": os.environ.get("AGENTOS_JWT_AUDIENCE") or None,
    "JWT_ISSUER": os.environ.get("AGENTOS_JWT_ISSUER") or None,
    "JWT_LEEWAY": int(os.environ.get("AGENTOS_JWT_LEEWAY", "0")),
    "USER_ID_CLAIM": os.environ.get("AGENTOS_JWT_USER_CLAIM", "sub"),
    "SCOPES_CLAIM": os.environ.get("AGENTOS_JWT_SCOPES_CLAIM", "scopes"),
    "ADMIN_SCOPE": os.environ.get("AGENTOS_ADMIN_SCOPE", "agent_os:admin"),
    # A JSON list of rules, e.g. '[{"db_id": "default", "max_age_days": 365}]'.
    "RETENTION": json_list("AGENTOS_MEMORY_RETENTION"),
    # Requests per token subject, e.g. "600/minute"; counted in the default cache below.
    "THROTTLE_RATE": os.environ.get("AGENTOS_THROTTLE_RATE") or None,
    "THROTTLE_FAIL_CLOSED": env_bool("AGENTOS_THROTTLE_FAIL_CLOSED"),
    # Exports each worker process streams at once (503 beyond), and for how long at most.
    "EXPORT_MAX_CONCURRENT": int(os.environ.get("AGENTOS_EXPORT_MAX_CONCURRENT") or 2),
    "EXPORT_MAX_SECONDS": float(os.environ.get("AGENTOS_EXPORT_MAX_SECONDS") or 900),
    # Seconds a statement of the app may run while serving a request; `off` sets no limit.
    "STATEMENT_TIMEOUT": seconds_or_off(os.environ.get("AGENTOS_STATEMENT_TIMEOUT", ""), 30.0),
    # Prometheus metrics, for every worker process (bin/serve sets PROMETHEUS_MULTIPROC_DIR).
    "METRICS_PATH": metrics_path(os.environ.get("AGENTOS_METRICS_PATH", "/prometheus/metrics")),
}

# Throttling counts in this cache: each process has its own unless AGENTOS_CACHE_URL names a
# shared one (`redis://127.0.0.1:6379/0`), as several workers or machines need.
# Each Redis operation waits at most AGENTOS_CACHE_TIMEOUT seconds; then throttling lets the
# request through unthrottled, or with AGENTOS_THROTTLE_FAIL_CLOSED=1 answers 503.
CACHES = {
    "default": cache(
        os.environ.get("AGENTOS_CACHE_URL") or "locmemcache://",
        timeout=float(os.environ.get("AGENTOS_CACHE_TIMEOUT") or 0.25),
    )
}


# The memory API's document and viewers need no DEFAULT_SCHEMA_CLASS nor SPECTACULAR_SETTINGS.
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind TLS in production: DJANGO_SECURE=1 turns on the HTTPS-only settings.
if env_bool("DJANGO_SECURE"):
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# AGENTOS_LOG_FORMAT=json: one JSON object per line, for every logger and the access log
# (bin/serve formats granian's own lines alike). Each line of a request has its id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "agentos.logs.PlainFormatter"},
        "json": {"()": "agentos.logs.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "memories.requests.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("AGENTOS_LOG_FORMAT") == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
