"""Settings shared by every environment; each value that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("TRACKER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_filters",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "simple_history",
    "axes",
    "csp",
    "tracker",
]

MIDDLEWARE = [
    "tracker.ops.middleware.RequestMetricsMiddleware",  # first: times all the others
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tracker.api.throttling.RateLimitHeadersMiddleware",  # the API's rate-limit fields
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'tracker.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers wait for each other instead of failing with "database is locked";
    # IMMEDIATE makes every transaction take the write lock up front.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0


def postgresql_timeouts(
    connect_seconds: float, statement_seconds: float, network_seconds: float = 0
) -> dict:
    """libpq options that bound every wait for PostgreSQL: connecting (0: wait forever), each
    statement (0: no limit) and a network that stops answering (0: the kernel's minutes). A
    database that cannot be reached then fails a request within seconds, with a 503, instead
    of holding a web thread for as long as it is away.

    The statement limit is the server's: it cannot help when packets are dropped, since the
    server never hears. On an open connection the client itself gives up then: when what it
    sent is not acknowledged (`tcp_user_timeout`), or when, waiting for an answer, its
    keepalive probes are not (`keepalives_*`). Neither touches a slow statement on a live
    network (the server's kernel acknowledges both), so a long migration is not cut short."""
    options: dict = {}
    if connect_seconds > 0:
        options["connect_timeout"] = max(1, round(connect_seconds))
    if statement_seconds > 0:
        options["options"] = f"-c statement_timeout={round(statement_seconds * 1000)}"
    if network_seconds > 0:
        # Probes from half the limit on, every second, so that the connection is given up
        # about `network_seconds` after the last sign of life (Linux ends it by the user
        # timeout once a probe is out; elsewhere, by the count).
        idle = max(1, int(network_seconds / 2))
        options |= {
            "tcp_user_timeout": max(1000, round(network_seconds * 1000)),
            "keepalives": 1,
            "keepalives_idle": idle,
            "keepalives_interval": 1,
            "keepalives_count": max(1, round(network_seconds) - idle),
        }
    return options


DATABASE_CONNECT_TIMEOUT = float(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "30"))
DATABASE_NETWORK_TIMEOUT = float(os.environ.get("DATABASE_NETWORK_TIMEOUT", "10"))
# `manage.py migrate` (and the benchmark generator) may rewrite big tables: their statements
# run under this limit instead (0: none).
DATABASE_MIGRATE_STATEMENT_TIMEOUT = float(
    os.environ.get("DATABASE_MIGRATE_STATEMENT_TIMEOUT", "0")
)
# A statement run this many times on a connection is prepared there: PostgreSQL then
# parses and plans it once, not on every request (each request runs the same few). This
# needs server-side binding (the values sent apart from the SQL). 0 turns both off: behind
# a pooler that cannot carry prepared statements (PgBouncer in transaction mode before 1.21).
DATABASE_PREPARE_THRESHOLD = int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "5"))


def postgresql_prepared(threshold: int) -> dict:
    if threshold <= 0:
        return {}
    return {"server_side_binding": True, "prepare_threshold": threshold}


if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        **postgresql_timeouts(
            DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT, DATABASE_NETWORK_TIMEOUT
        ),
        **postgresql_prepared(DATABASE_PREPARE_THRESHOLD),
        **DATABASES["default"].get("OPTIONS", {}),  # what DATABASE_URL says wins
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("uk", _("Ukrainian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Kyiv"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracker",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered API pages (tracker/api/response_cache.py), in each process's memory: they are
# keyed by the data version, so a worker never needs to hear of another's entries.
CACHES["responses"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "api-responses",
    # At most 1,000 pages of at most 128 KiB (API_RESPONSE_CACHE_MAX_BYTES) per worker.
    "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("API_RESPONSE_CACHE_ENTRIES", "1000"))},
}

# --- Celery -----------------------------------------------------------------
# With REDIS_URL unset, the broker is a folder on disk: no server to install.


def filesystem_broker_options(folder: Path) -> dict:
    """kombu's file transport, its folders created (it does not create them itself)."""
    options = {
        "data_folder_in": folder / "queue",
        "data_folder_out": folder / "queue",
        "processed_folder": folder / "processed",
        "control_folder": folder / "control",
    }
    for path in options.values():
        path.mkdir(parents=True, exist_ok=True)
    return {**{k: str(v) for k, v in options.items()}, "store_processed": False}


CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", VAR_DIR / "broker"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Tasks carry ids only and finish in well under a minute (15 s HTTP timeout); the visibility
# timeout is far above that, and long waits live in the database, never as broker countdowns.
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS.update({"socket_connect_timeout": 2, "socket_timeout": 10})
# Celery's Django fixup would close every database connection before and after each task
# (a new PostgreSQL connection per task); config/celery_app.py applies CONN_MAX_AGE instead.
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits out a broker outage
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing happens after commit; if the broker is down, give up quickly: the sweep re-queues.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
NOTIFICATIONS_SWEEP_SECONDS = float(os.environ.get("NOTIFICATIONS_SWEEP_SECONDS", "60"))
# Deadline alerts (docs/deadlines.md): how many days before a deadline it is announced as
# approaching, and how often the job looks (each alert is sent once whatever the interval).
DEADLINES_APPROACHING_DAYS = int(os.environ.get("DEADLINES_APPROACHING_DAYS", "7"))
DEADLINES_ALERTS_SECONDS = float(os.environ.get("DEADLINES_ALERTS_SECONDS", "3600"))
CELERY_BEAT_SCHEDULE: dict = {
    "notifications-sweep": {
        "task": "notifications.sweep",
        "schedule": NOTIFICATIONS_SWEEP_SECONDS,
        "options": {"expires": NOTIFICATIONS_SWEEP_SECONDS},
    },
    "deadline-alerts": {
        "task": "deadlines.alerts",
        "schedule": DEADLINES_ALERTS_SECONDS,
        "options": {"expires": DEADLINES_ALERTS_SECONDS},
    },
    # Staff writes' Idempotency-Keys past their window, whoever used them.
    "idempotency-keys": {
        "task": "idempotency.forget",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
    # Digest mails go out once a period is over; a run each quarter hour sends them soon
    # after midnight (each period once, whatever the interval).
    "email-digests": {
        "task": "notifications.digests",
        "schedule": 900.0,
        "options": {"expires": 900.0},
    },
}
# Webhook delivery (see tracker/notifications/).
WEBHOOKS_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOKS_TIMEOUT_SECONDS", "15"))
# How long a worker owns an attempt; after it the sweep assumes the worker died.
WEBHOOKS_CLAIM_LEASE_SECONDS = float(
    os.environ.get("WEBHOOKS_CLAIM_LEASE_SECONDS", str(WEBHOOKS_TIMEOUT_SECONDS + 45))
)
# Deliveries per `deliver_batch` task, and how many of a batch are sent at once. A batch's
# lease grows by one timeout per further round of sends, up to as many rounds as fit in
# CELERY_TASK_SOFT_TIME_LIMIT if every endpoint hangs until the timeout; what a batch of slow
# endpoints cannot start in that time is handed back and queued again.
WEBHOOKS_BATCH_SIZE = int(os.environ.get("WEBHOOKS_BATCH_SIZE", "250"))
WEBHOOKS_BATCH_THREADS = int(os.environ.get("WEBHOOKS_BATCH_THREADS", "8"))
WEBHOOKS_SECRET_GRACE_HOURS = float(os.environ.get("WEBHOOKS_SECRET_GRACE_HOURS", "24"))
WEBHOOKS_DISABLE_AFTER_DAYS = float(os.environ.get("WEBHOOKS_DISABLE_AFTER_DAYS", "5"))
# Certificates to trust for https endpoints; empty means the system's.
WEBHOOKS_CA_BUNDLE = os.environ.get("WEBHOOKS_CA_BUNDLE", "") or None
# Egress proxy for webhooks, e.g. "http://proxy.internal:3128"; empty: connect directly.
# The target is resolved and checked against the SSRF rules first; the proxy is then asked
# for a tunnel to the checked address.
WEBHOOKS_PROXY = os.environ.get("WEBHOOKS_PROXY", "") or None
# Seconds to wait after failed attempt 1, 2, ...; after the last one the delivery has failed.
WEBHOOKS_RETRY_SCHEDULE = tuple(
    float(seconds)
    for seconds in env_list("WEBHOOKS_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000")
)

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
# A mail server that stops answering must not hold a delivery past its claim's lease.
EMAIL_TIMEOUT = WEBHOOKS_TIMEOUT_SECONDS
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tracker@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
STAFF_NOTIFICATION_EMAILS = env_list("STAFF_NOTIFICATION_EMAILS")

# --- Tracker ----------------------------------------------------------------
# Public base URL used in links inside notifications and feeds.
TRACKER_BASE_URL = os.environ.get("TRACKER_BASE_URL", "http://127.0.0.1:8000")
# Development only: let webhooks reach loopback and private addresses.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", True)
# The check a webhook URL must pass to be subscribed: the notification side's SSRF rule
# (services sit below notifications and are told where it is, not importing it).
WEBHOOKS_URL_CHECK = "tracker.notifications.ssrf.check_url"

LOGIN_URL = "admin:login"

# --- Security: login lockout, Content-Security-Policy, webhook ports ------------------------
# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one user from one address, that
# pair is refused (even with the right password) until AXES_COOLOFF_HOURS pass or a superuser
# deletes the attempt in Admin -> Axes -> Access attempts.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1")) or None  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password"]
# The client address: REMOTE_ADDR, unless AXES_PROXY_COUNT says how many proxies of ours
# append to X-Forwarded-For (a header a client could otherwise forge to dodge the lockout).
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)

# django-csp: nothing loads from outside; inline scripts and styles only with the response's
# nonce (`nonce="{{ request.csp_nonce }}"` in templates).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# Staff API tokens (`Authorization: Bearer tst_...`) live at most this many days.
STAFF_API_TOKEN_MAX_DAYS = int(os.environ.get("STAFF_API_TOKEN_MAX_DAYS", "365"))

# Ports a webhook URL may name (numbers or ranges like 8000-8999); 443 and 80 by default.
WEBHOOKS_ALLOWED_PORTS = env_list("WEBHOOKS_ALLOWED_PORTS", "443,80")

# --- Operations (tracker/ops; README "Operating it") ----------------------------------------
# "json": one JSON object per log line (requests, delivery attempts with event id, delivery
# id and webhook-id, everything else), for a log collector; "plain": for people.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("Set LOG_FORMAT to plain or json.")
# Prometheus metrics at /metrics: off unless enabled; each guard that is set must pass (a
# bearer token, client addresses or networks); with neither set nobody is let in.
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "").strip()
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
# /readyz: a worker must have finished a sweep within this many seconds (two intervals by
# default), no delivery may be due for longer than the threshold, the broker must answer
# within the timeout.
READYZ_HEARTBEAT_MAX_AGE_SECONDS = float(
    os.environ.get("READYZ_HEARTBEAT_MAX_AGE_SECONDS", str(2 * NOTIFICATIONS_SWEEP_SECONDS))
)
READYZ_DUE_DELIVERY_MAX_AGE_SECONDS = float(
    os.environ.get("READYZ_DUE_DELIVERY_MAX_AGE_SECONDS", "600")
)
READYZ_TIMEOUT_SECONDS = float(os.environ.get("READYZ_TIMEOUT_SECONDS", "2"))
# A request that fails because the database cannot be reached (or /readyz failing) is a 503
# that tells the client to try again after this many seconds.
SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS = int(
    os.environ.get("SERVICE_UNAVAILABLE_RETRY_AFTER_SECONDS", "5")
)
# Where the worker's heartbeat is kept without Redis (one machine: the embedded mode).
OPS_HEARTBEAT_FILE = VAR_DIR / "worker-heartbeat"
# A worker's log lines go through the formatter below, not Celery's own, in JSON mode.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Partner REST API (tracker/api) ------------------------------------------
# Throttle rates are per API key, per staff user and per anonymous client address;
# counters live in the default cache (Redis when REDIS_URL is set).
INSTALLED_APPS += ["drf_spectacular_sidecar"]
API_PAGE_SIZE = 25
API_MAX_PAGE_SIZE = 100
API_EVENTS_MAX_LIMIT = 500
# Request bodies (tracker/api/parsers.py): nesting deeper than this is a 400; a body larger
# than DATA_UPLOAD_MAX_MEMORY_SIZE (Django's, 2.5 MB by default) a 413.
API_JSON_MAX_DEPTH = 32
# Rendered partner and public read pages are kept this long, or until anything changes
# (tracker/api/response_cache.py); 0 turns the cache off.
API_RESPONSE_CACHE_SECONDS = float(os.environ.get("API_RESPONSE_CACHE_SECONDS", "300"))
API_RESPONSE_CACHE_MAX_BYTES = 128 * 1024  # larger pages are built each time
# A staff write sent again with the same Idempotency-Key and body within this many hours
# gets the first answer back instead of making a second change.
IDEMPOTENCY_KEY_HOURS = float(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: a `Bearer tst_...` staff token must never be taken for a partner key.
        "tracker.api.authentication.StaffAPITokenAuthentication",
        "tracker.api.authentication.PartnerAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["tracker.api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.api.throttling.PartnerKeyThrottle",
        "tracker.api.throttling.StaffThrottle",
        "tracker.api.throttling.AnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "partner": os.environ.get("API_THROTTLE_PARTNER", "1200/min"),
        "staff": os.environ.get("API_THROTTLE_STAFF", "1200/min"),
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "tracker.api.problems.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Co-production legislation tracker API",
    "DESCRIPTION": (
        "Read access for partner governments to the draft laws, tax measures, partner "
        "cooperation and joint production facilities behind joint defense production, "
        "the change feed, and (for staff) recording status changes. Authenticate with "
        "`Authorization: Api-Key <key>` or `Authorization: Bearer <key>`; any other "
        "`Authorization` header is a 401. Every error is an RFC 9457 problem document "
        "(`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LawStatus": "tracker.workflows.LawStatus",
        "TaxMeasureStatus": "tracker.workflows.TaxMeasureStatus",
        "FacilityStatus": "tracker.workflows.FacilityStatus",
        "CooperationStatus": "tracker.workflows.CooperationStatus",
        "Visibility": "tracker.models.common.Visibility",
        "Currency": "tracker.models.common.Currency",
        "Initiator": "tracker.models.laws.Initiator",
        "DocumentKind": "tracker.models.laws.DocumentKind",
        "TaxMeasureKind": "tracker.models.tax_measures.TaxMeasureKind",
        "ProductCategory": "tracker.models.facilities.ProductCategory",
    },
}

# --- The Rada's open data (python manage.py sync_rada; the daily job) ----------------------
# The full dump of bill cards of the ninth convocation; `skl10` for the next.
RADA_SYNC_URL = os.environ.get(
    "RADA_SYNC_URL", "https://data.rada.gov.ua/ogd/zpr/skl9/billinfo-skl9.json"
)
# A bill's human-readable card (the source of each imported step) and a document's file.
RADA_CARD_URL = os.environ.get("RADA_CARD_URL", "https://itd.rada.gov.ua/billInfo/Bills/Card/{id}")
RADA_FILE_URL = os.environ.get(
    "RADA_FILE_URL", "https://itd.rada.gov.ua/billInfo/Bills/pubFile/{id}"
)
# The daily job: off unless enabled; its time is local (TIME_ZONE), HH:MM.
RADA_SYNC_ENABLED = env_bool("RADA_SYNC_ENABLED", False)
RADA_SYNC_TIME = os.environ.get("RADA_SYNC_TIME", "05:30")
# The download as a whole (connecting, TLS, every byte) and its size are bounded.
RADA_DOWNLOAD_TIMEOUT_SECONDS = float(os.environ.get("RADA_DOWNLOAD_TIMEOUT_SECONDS", "900"))
RADA_MAX_DUMP_BYTES = int(os.environ.get("RADA_MAX_DUMP_BYTES", str(300 * 1024 * 1024)))
# One bill's card larger or deeper than this is skipped with a warning.
RADA_MAX_CARD_BYTES = int(os.environ.get("RADA_MAX_CARD_BYTES", str(2 * 1024 * 1024)))
RADA_MAX_CARD_DEPTH = int(os.environ.get("RADA_MAX_CARD_DEPTH", "12"))
# The user the sync's changes are attributed to in the history (inactive, cannot log in).
RADA_SYNC_USERNAME = os.environ.get("RADA_SYNC_USERNAME", "rada-sync")
