"""Settings for the 巴州优才卡 portal.

Everything that differs between a laptop and production comes from the environment. With no
environment at all the portal runs as a self-contained demo: SQLite and a Celery broker on the
file system under ``var/``, e-mail printed to the console, and secrets generated once into
``var/``. Production sets the variables listed in the README (``DEBUG=0`` refuses to start
without its secrets, so a generated key can never end up serving real users).
"""

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_int,
    env_list,
    env_roles,
    env_str,
    generated_secret,
    new_fernet_key,
    new_hash_key,
    new_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _secret(name: str, filename: str, make) -> str:
    value = env_str(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set in the environment when DEBUG is off.")
    return generated_secret(VAR_DIR / filename, make)


SECRET_KEY = _secret("SECRET_KEY", "secret_key", new_secret_key)
# Field encryption for ID numbers (Fernet: AES-128-CBC + HMAC-SHA256). A comma-separated list,
# newest first: old keys still decrypt, so a key can be rotated without a big-bang migration.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in _secret("FIELD_ENCRYPTION_KEY", "field_encryption_key", new_fernet_key).split(",")
    if key.strip()
]
# Key of the HMAC that makes "one account per ID number" a database constraint. It never
# rotates with the encryption keys: changing it would let a second account in.
FIELD_HASH_KEY = _secret("FIELD_HASH_KEY", "field_hash_key", new_hash_key)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal.admin_config.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "portal",
    "cards",
    "services",
    "subsidies",
    "talents",
    "open311",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see Security headers).
    "csp.middleware.CSPMiddleware",
    "portal.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The page's language: Django's language cookie (the switch, portal:set-language), else
    # the browser's Accept-Language (API clients send `Accept-Language: en`), else Chinese.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # After sign-in, an account that must change its password or enrol a second factor can
    # reach nothing else (portal.gate).
    "portal.gate.AccountGateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "portal.navigation.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        # Persistent connections, checked before each request's first query: opening one
        # costs a request tens of milliseconds, and with threaded workers every thread holds
        # its own, so a short lifetime shows up as regular slow requests.
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # Web, worker and beat write to the same file under `make run`: WAL lets
                # readers go on during a write, IMMEDIATE makes writers queue instead of
                # failing with "database is locked" when a read transaction upgrades.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

# Timeouts, so that a database that accepts the connection and never answers cannot hang the
# portal. Every process gives up connecting after DB_CONNECT_TIMEOUT seconds (libpq's minimum
# is 2). A statement is cancelled by PostgreSQL after DB_STATEMENT_TIMEOUT seconds in a process
# that serves HTTP, and after DB_JOB_STATEMENT_TIMEOUT seconds (0: never) in every other one:
# the Celery worker and beat (exports, recomputations; Celery's time limits bound them),
# manage.py commands (migrate, rebuild_rollups, seed_demo, ...) and the benchmark, whose long
# statements are the point. /healthz/ has shorter limits of its own (portal/health.py).
DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 30)
DB_JOB_STATEMENT_TIMEOUT = env_int("DB_JOB_STATEMENT_TIMEOUT", 0)


def serves_http(argv: list[str], modules) -> bool:
    """Does this process answer web requests? A WSGI server (anything that loads config.wsgi:
    gunicorn, uWSGI, mod_wsgi), ``manage.py runserver``, and the test suite, whose clients
    drive the pages. Everything else is a job."""
    return "config.wsgi" in modules or argv[1:2] == ["runserver"] or "pytest" in modules


PROCESS_SERVES_HTTP = serves_http(sys.argv, sys.modules)


def postgres_timeouts(database: dict, connect: int, statement: int) -> dict:
    """``database`` with libpq's connect_timeout and a server-side statement_timeout (seconds;
    0 leaves the server's own setting) added to its OPTIONS; other engines are returned as
    they are."""
    if "postgresql" not in database.get("ENGINE", ""):
        return database
    options = dict(database.get("OPTIONS") or {})
    if connect:
        options["connect_timeout"] = connect
    if statement:
        extra = f"-c statement_timeout={statement * 1000}"
        options["options"] = f"{options['options']} {extra}" if options.get("options") else extra
    return {**database, "OPTIONS": options}


DATABASES["default"] = postgres_timeouts(
    DATABASES["default"],
    DB_CONNECT_TIMEOUT,
    DB_STATEMENT_TIMEOUT if PROCESS_SERVES_HTTP else DB_JOB_STATEMENT_TIMEOUT,
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")


def _env_seconds(name: str, default: float) -> float:
    value = env_str(name)
    return float(value) if value else default


# Seconds: connecting to Redis (cache and broker), then each cache read/write and each broker
# socket operation (the worker's blocking reads poll every second, so that one stays longer).
REDIS_CONNECT_TIMEOUT = _env_seconds("REDIS_CONNECT_TIMEOUT", 0.5)
REDIS_SOCKET_TIMEOUT = _env_seconds("REDIS_SOCKET_TIMEOUT", 1)
BROKER_SOCKET_TIMEOUT = _env_seconds("BROKER_SOCKET_TIMEOUT", 5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
# A web request that enqueues while Redis is down must not hang: one connection attempt
# (kombu would otherwise retry for ~2 s), a short timeout; the row stays in the database and
# the periodic retry delivers it later. See portal.delivery.enqueue.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "max_retries": 0,
    # A task taken by a worker that died (acks_late) goes back to the queue after this long.
    "visibility_timeout": env_int("BROKER_VISIBILITY_TIMEOUT", 3600),
    "unacked_restore_interval": env_int("BROKER_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
}
if not REDIS_URL:
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _control = VAR_DIR / "celery" / "control"
    for _folder in (_queue, _processed, _control):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "control_folder": str(_control),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = REDIS_BROKER_TRANSPORT_OPTIONS
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {
        "task": "services.tasks.sla_sweep",
        "schedule": timedelta(minutes=5),
    },
    "retry-deliveries": {
        "task": "portal.tasks.retry_deliveries",
        "schedule": timedelta(minutes=1),
    },
    # Deadline recomputations after a calendar change whose task was lost or failed.
    "calendar-recomputes-retry": {
        "task": "services.tasks.calendar_recomputes_retry",
        "schedule": timedelta(minutes=1),
    },
    "purge-login-throttle": {
        "task": "portal.tasks.purge_login_throttle",
        "schedule": timedelta(hours=1),
    },
    "purge-expired-tokens": {
        "task": "portal.tasks.purge_expired_tokens",
        "schedule": timedelta(hours=1),
    },
    "purge-idempotency-keys": {
        "task": "portal.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    # 02:40 Beijing time: phone numbers and e-mail addresses of old deliveries erased.
    "erase-delivery-addresses": {
        "task": "portal.tasks.erase_delivery_addresses",
        "schedule": crontab(hour=2, minute=40),
    },
    # Background jobs (big exports): expired files deleted, lost jobs sent again.
    "upkeep-jobs": {"task": "portal.jobs.upkeep_jobs", "schedule": timedelta(minutes=1)},
    "card-expiry": {"task": "cards.tasks.card_expiry", "schedule": crontab(hour=1, minute=10)},
    "auto-close": {"task": "services.tasks.auto_close", "schedule": crontab(hour=1, minute=20)},
    "rating-invitations": {
        "task": "services.tasks.rating_invitations",
        "schedule": crontab(hour=9, minute=0),
    },
    "followups-overdue": {
        "task": "services.tasks.followups_overdue",
        "schedule": timedelta(minutes=30),
    },
    # CELERY_TIMEZONE is Asia/Shanghai: 08:30 Beijing time.
    "department-digest": {
        "task": "services.tasks.department_digest",
        "schedule": crontab(hour=8, minute=30),
    },
    # 03:10 Beijing time: what the privacy texts' retention periods say is over is erased
    # (portal.retention; also manage.py retention [--dry-run]).
    "retention": {"task": "portal.tasks.retention", "schedule": crontab(hour=3, minute=10)},
    # 03:40 Beijing time: 人才画像's rollup recounted where it differs from the profiles.
    "talent-rollup-reconcile": {
        "task": "talents.rollup_reconcile",
        "schedule": crontab(hour=3, minute=40),
    },
}

# Background jobs (portal.jobs): how long a result file is kept, and a run's time limits
# (below the broker's visibility timeout, so a long export is not handed to a second worker).
JOB_FILE_HOURS = env_int("JOB_FILE_HOURS", 24)
JOB_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 45 * 60)
JOB_TIME_LIMIT = JOB_SOFT_TIME_LIMIT + 120
# The job tasks live in portal/jobs.py, not in a tasks module autodiscovery would find.
CELERY_IMPORTS = ["portal.jobs"]

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "portal.passwords.LengthAndComplexityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:account"
LOGOUT_REDIRECT_URL = "portal:home"

# Lockout (等保 2.0 requires it): this many failures for one username within the window lock
# that username for LOGIN_LOCKOUT_MINUTES. The per-address limit is higher because a whole
# department often sits behind one NAT address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = env_int("LOGIN_IP_FAILURE_LIMIT", 30)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Two-factor sign-in (TOTP, django-otp) is required for these roles. Production (DEBUG=0)
# default: admin and auditor (等保 2.0 level 3); the demo (DEBUG=1) requires it of nobody, so
# its accounts stay two clicks away. Set it, even to empty, to override either default.
OTP_REQUIRED_ROLES = env_roles("OTP_REQUIRED_ROLES", [] if DEBUG else ["admin", "auditor"])
OTP_TOTP_ISSUER = "巴州优才卡"
# SMS verification codes (password reset, phone change): lifetime, wrong guesses allowed,
# codes per account per hour.
VERIFICATION_CODE_MINUTES = env_int("VERIFICATION_CODE_MINUTES", 10)
VERIFICATION_CODE_TRIES = env_int("VERIFICATION_CODE_TRIES", 5)
VERIFICATION_CODES_PER_HOUR = env_int("VERIFICATION_CODES_PER_HOUR", 5)
# Reveals of full personal information per staff member per day (then 429).
REVEAL_DAILY_LIMIT = env_int("REVEAL_DAILY_LIMIT", 50)
# Registrations per address per hour (pages and API).
REGISTER_RATE_LIMIT = env_int("REGISTER_RATE_LIMIT", 20)
# Lookups of the public card verification page /v/<ref>/ per address per minute (then 429).
PUBLIC_VERIFY_RATE_LIMIT = env_int("PUBLIC_VERIFY_RATE_LIMIT", 30)
# A font file with Chinese glyphs for the card's phone image (cards.card_image), tried before
# the usual system paths.
CJK_FONT = env_str("CJK_FONT", "")
# Number of reverse proxies in front of the portal whose X-Forwarded-For is trusted.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env_int("TOKEN_TTL_HOURS", 12)),
    "AUTO_REFRESH": True,
    "AUTH_HEADER_PREFIX": "Token",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.gate.GatedTokenAuthentication",
        "portal.gate.GatedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, documenting every operation's error answers (portal.api.responses).
    "DEFAULT_SCHEMA_CLASS": "portal.api.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "NUM_PROXIES": NUM_PROXIES or None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # API.md gives "?format=csv|xlsx" to the export; DRF would take it for content negotiation.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "巴州优才卡 API",
    "DESCRIPTION": "巴中市巴州区人才服务卡（巴州优才卡）门户的 HTTP 接口，版本 1。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.document_signed_photo",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TierEnum": "cards.models.criteria.Tier.choices",
        "ApplicationKindEnum": "cards.models.applications.ApplicationKind.choices",
        "DocumentKindEnum": "cards.models.criteria.DocumentKind.choices",
        "ApplicationStatusEnum": "cards.models.applications.ApplicationStatus.choices",
        "CardStatusEnum": "cards.models.cards.CardStatus.choices",
        "RequestStatusEnum": "services.models.requests.RequestStatus.choices",
        "RoleEnum": "portal.models.users.Role.choices",
        "ManagedRoleEnum": "portal.api.staff.ROLE_CHOICES",
        "PolicyKindEnum": "subsidies.models.policies.PolicyKind.choices",
        "EntitlementStatusEnum": "subsidies.models.entitlements.EntitlementStatus.choices",
        "InstalmentStatusEnum": "subsidies.models.entitlements.InstalmentStatus.choices",
        "OutputKindEnum": "talents.models.profiles.OutputKind.choices",
        "IndustryChainEnum": "talents.models.profiles.IndustryChain.choices",
        "DimensionEnum": "talents.models.profiles.Dimension.choices",
        "VisitModeEnum": "talents.models.liaison.VisitMode.choices",
        "ConcernStatusEnum": "talents.models.liaison.ConcernStatus.choices",
    },
}

# --- Internationalisation -------------------------------------------------------------------
# Simplified Chinese by default, English on request (API.md "Languages"). The Chinese source
# text is the msgid; locale/en/LC_MESSAGES/django.po translates it (`make messages` extracts,
# the install step compiles). No URL prefixes: the choice is kept in Django's language cookie.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# 回访整改: working days a department lead has to follow up a rating of 2 stars or less.
FOLLOWUP_DAYS = env_int("FOLLOWUP_DAYS", 5)

# Uploaded evidence lives outside any served folder; it is streamed by permission-checked
# views only, never through a MEDIA_URL.
PRIVATE_UPLOAD_ROOT = Path(env_str("UPLOAD_ROOT") or VAR_DIR / "uploads")
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 5 * 1024 * 1024)  # the card holder's 证件照
# The most pixels an uploaded image may declare, read from its header before anything is
# decoded (portal.uploads); also Pillow's own bomb limit. 40 million is a 7300×5500 scan.
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if env_str("EMAIL_BACKEND"):
    # An explicit backend, e.g. django.core.mail.backends.filebased.EmailBackend with
    # EMAIL_FILE_PATH for a staging server that must not send real mail.
    EMAIL_BACKEND = env_str("EMAIL_BACKEND")
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
elif EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 465)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL and EMAIL_PORT == 587)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "巴州优才卡 <noreply@localhost>")
# Absolute links in e-mails and in the e-certificate's QR code.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# SMS: a dotted path to a backend class (portal/sms.py explains how to plug in a provider).
SMS_BACKEND = env_str("SMS_BACKEND", "portal.sms.OutboxSmsBackend")
# Delivery retries: attempts before a delivery is marked failed, and the backoff in minutes.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 6)
DELIVERY_BACKOFF_MINUTES = [1, 5, 15, 60, 240, 720]
# Days a sent or failed delivery keeps its (encrypted) phone number or e-mail address; then the
# daily erase-delivery-addresses task blanks it and records when (PIPL art. 19: no longer
# than needed).
DELIVERY_ADDRESS_RETENTION_DAYS = env_int("DELIVERY_ADDRESS_RETENTION_DAYS", 30)
# The nightly retention job handles at most this many rows per rule (the rest the next night).
RETENTION_MAX_ROWS = env_int("RETENTION_MAX_ROWS", 50000)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security headers -----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and fetches
# from the portal itself only, no inline script or style (pages use static/js and
# static/css/site.css; nothing needs a nonce), images also as data: URIs (the QR code and
# Pico's icons), no plugins, no <base>, forms post back to the portal, no framing. A view
# relaxes it for itself only: card evidence may be framed by the review page's previews
# (cards.views.talent.document_download); uploaded files other than PDFs carry a stricter,
# sandboxed policy of their own (portal.uploads.serve_upload). Under DEBUG django-csp leaves
# 404 and 500 answers alone, so Django's technical pages (inline styles) still show.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Permissions-Policy (portal.headers): features the portal never uses are off; the verifier's
# page turns the camera on for itself (QR scanning, cards.views.verify).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
SESSION_COOKIE_HTTPONLY = True
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    LANGUAGE_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # /healthz/ is polled over plain HTTP by load balancers inside the intranet.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Open311 partners' keys travel in query strings: never write them (open311.logging).
    "filters": {"redact_keys": {"()": "open311.logging.RedactKeys"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_keys"],
        },
        "django.request": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_keys"],
        },
    },
}
