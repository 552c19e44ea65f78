"""Settings for the Mijn Inburgering portal.

Everything comes from environment variables (documented in `.env.example`). `DJANGO_ENV` picks
one of three sets of defaults:

- ``demo``: the zero-setup default of ``make run``: SQLite, eager tasks, e-mail kept as files
  (readable at /dev/e-mail/), the DigiD mock switched on.
- ``test``: what the test suite runs with; like demo, but fast password hashing and in-memory mail.
- ``production``: nothing insecure is assumed; a missing secret is an error at start-up.
"""

import os
from datetime import timedelta
from pathlib import Path

import django.conf.locale
import environ
from celery.schedules import crontab

from integration.case_status import DEFAULT_STATE_PENSION_AGES
from portal.digid.oidc import providers_from_environment

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="demo")
if DJANGO_ENV not in {"demo", "test", "production"}:
    raise environ.ImproperlyConfigured(f"DJANGO_ENV must be demo, test or production, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"
IS_TEST = DJANGO_ENV == "test"

# --- Core -----------------------------------------------------------------------------------
if IS_PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise environ.ImproperlyConfigured("SECRET_KEY must be set to a random string of 50 characters or more")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="demo-only-secret-key-never-use-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "demo")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "pgtrigger",  # the database guards declared on the models (integration/guards.py)
    "portal",
    "portal.accounts",
    "portal.audit",
    "integration",
    "letters",
]

MIDDLEWARE = [
    "portal.request_id.RequestIdMiddleware",  # a request id on every log line, and the latency metric
    # Health and metrics answer on the internal host name over plain HTTP (portal.health).
    "portal.health.InternalEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.sessions.IdleTimeoutSessionMiddleware",  # renews the idle timeout at most once a minute
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "portal.hostile_input.RefuseHostileInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.sessions.AbsoluteSessionLifetimeMiddleware",
    "portal.accounts.middleware.NewcomersOnlyThroughDigiDMiddleware",
    "portal.languages.AudienceLanguageMiddleware",  # a newcomer's own language; staff nl/en
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "django.template.context_processors.i18n",
                "portal.context_processors.site",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is only the zero-setup default of `make run`; CI and production use PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep connections open between requests (a new PostgreSQL connection costs more than most
# pages); the health check drops a connection that went bad.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0 if IS_TEST else 600))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The work-list and sweep indexes carry extra (INCLUDE) columns for PostgreSQL's index-only
    # scans; SQLite builds them without those columns, which is all the demo needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # The portal runs short indexed queries; PostgreSQL's JIT compiler adds more to them
    # (measured: 1.4 s on the municipal work list) than it can save.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Accounts and login ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Staff log in with e-mail + password (+ TOTP); newcomers only through DigiD. Each backend
# restores only its own audience's sessions (portal/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.StaffPasswordBackend",
    "portal.accounts.backends.DigiDBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if IS_TEST:
    # Hashing strength is not what the tests are about; speed is.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "/inloggen/"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
# Nobody signs up (the adapter closes sign-up); administrators invite staff, DigiD brings newcomers.
ACCOUNT_ADAPTER = "portal.accounts.adapter.PortalAccountAdapter"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}
# Production sits behind a TLS proxy that appends the client's address to X-Forwarded-For: the
# rate limits count per client, not per proxy (one client could otherwise lock out all staff).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if IS_PRODUCTION else 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Mijn Inburgering"

# DigiD for newcomers in production: an OpenID Connect broker configured only from DIGID_OIDC_*
# (portal/digid/oidc.py). The DigiD app exists only when DIGID_OIDC_SERVER_URL is set; the provider
# class is always ours. Staff keep e-mail + password + TOTP, so SOCIALACCOUNT_ONLY stays False.
SOCIALACCOUNT_PROVIDERS = providers_from_environment(os.environ)
SOCIALACCOUNT_ADAPTER = "portal.digid.adapter.DigiDSocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_QUERY_EMAIL = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False

# --- Cache and sessions ---------------------------------------------------------------------
# Redis when CACHE_URL is set (production, benchmarks); a per-process memory cache otherwise.
# Tests always get their own memory cache, so they never empty a shared Redis.
CACHES = {"default": env.cache_url_config("locmemcache://") if IS_TEST
          else env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "portal.sessions.RedisCache"  # one redis-py client, not one per call
# Sessions are read from the cache; cached_db keeps them in the database as well, so a cache
# restart logs no one out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# DigiD sessions end after 15 minutes without activity (DOMAIN.md §7).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=15 * 60)
# The idle timeout is renewed by IdleTimeoutSessionMiddleware at most once a minute, not by a
# session write on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_RENEW_SECONDS = env.int("SESSION_RENEW_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# However active, a session ends this long after its login (portal.sessions).
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)

# The DigiD mock lets demo users pick a BSN. A system check refuses it in production.
DIGID_MOCK_ENABLED = env.bool("DIGID_MOCK_ENABLED", default=not IS_PRODUCTION)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "nl"
# The nine languages DUO publishes in (DOMAIN.md §7), each named in itself. Newcomers choose any
# of them; staff pages stay Dutch and English (portal.languages).
LANGUAGES = [
    ("nl", "Nederlands"), ("en", "English"), ("es", "Español"), ("fa", "فارسی"), ("ti", "ትግርኛ"),
    ("so", "Soomaali"), ("ar", "العربية"), ("prs", "دری"), ("ps", "پښتو"),
]
STAFF_LANGUAGES = ["nl", "en"]
# Right to left: Arabic, Farsi, Dari and Pashto (Django's default list knows only ar and fa of these).
LANGUAGES_BIDI = ["ar", "fa", "prs", "ps"]
# Django's LANG_INFO lacks Tigrinya, Somali, Dari and Pashto; merged into it below so that
# `get_language_info` (the language switcher, `get_language_info_list`) knows them.
EXTRA_LANG_INFO = {
    "ti": {"bidi": False, "code": "ti", "name": "Tigrinya", "name_local": "ትግርኛ"},
    "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
    "prs": {"bidi": True, "code": "prs", "name": "Dari", "name_local": "دری"},
    "ps": {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"},
}
django.conf.locale.LANG_INFO.update(EXTRA_LANG_INFO)
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates written out and 24-hour times in every language (portal/formats/).
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# --- Static files and private storage -------------------------------------------------------
STATIC_URL = "/static/"
# Collected once, when the image is built (`collectstatic` in the Dockerfile), into a folder the
# running processes only read.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Letters are personal data: they live outside any public URL and are served by an
# authorised view only.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": PRIVATE_STORAGE_ROOT / "uploads"}},
    "letters": {"BACKEND": "letters.storage.PrivateLetterStorage",
                "OPTIONS": {"location": PRIVATE_STORAGE_ROOT / "letters"}},
    "attachments": {"BACKEND": "integration.storage.PrivateAttachmentStorage",
                    "OPTIONS": {"location": PRIVATE_STORAGE_ROOT / "attachments"}},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Cases ----------------------------------------------------------------------------------
# One person's case facts are read with a query compiled once per process (integration.case_facts);
# False reads them through the plain ORM, should a Django upgrade change the compiler.
CASE_FACTS_COMPILED_QUERY = env.bool("CASE_FACTS_COMPILED_QUERY", default=True)

# --- E-mail ---------------------------------------------------------------------------------
if IS_TEST:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif IS_PRODUCTION or env.str("EMAIL_URL", default=""):
    # The demo too, when EMAIL_URL names a server (a mail catcher such as smtp://127.0.0.1:1025).
    # EMAIL_URL (smtp://user:password@host:port, smtp+tls://… or smtps://…) spelled out.
    _email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
else:
    # The demo keeps every e-mail it sends as an .eml file, listed at /dev/e-mail/ (portal.devmail).
    EMAIL_BACKEND = "portal.devmail.MailboxBackend"
# Seconds an SMTP connection may wait for the server before the send fails (the outbox tries
# again later). A plain setting: django-environ's EMAIL_URL puts `timeout` where Django does not
# look for it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# A mail that could not be sent is tried again after this, doubling up to an hour.
EMAIL_RETRY_SECONDS = env.int("EMAIL_RETRY_SECONDS", default=60)
# A sender holds a mail it is sending this long; after that (the sender died) another takes it.
EMAIL_LEASE_SECONDS = env.int("EMAIL_LEASE_SECONDS", default=300)
DEMO_MAILBOX_DIR = Path(env.str("DEMO_MAILBOX_DIR", default=str(BASE_DIR / "var" / "mail")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Mijn Inburgering <noreply@inburgering.example>")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# Without a broker (the demo), tasks run in-process; they are still enqueued after commit.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, so a worker that dies mid-letter gives the message
# back to the broker instead of losing it; prefetch 1 keeps a dying worker from taking others'
# messages down with it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection before and after every task unless this
# is set: a new connection (TCP, authentication, session set-up) for every letter. It closes it
# only every this many tasks instead; between them portal.celery treats each task as Django
# treats a request (close_old_connections: closed past CONN_MAX_AGE or when broken).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# A publish must fail fast when Redis is down: the request that recorded a condition succeeds
# anyway and the sweep issues the letter later.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE = {
    "issue-due-letters": {
        "task": "letters.tasks.sweep_due_letters",
        # Every minute: the sweep is the retry schedule and the safety net for lost messages,
        # and a letter is promised within a minute of the last condition.
        "schedule": timedelta(seconds=env.int("LETTER_SWEEP_SECONDS",
                                              default=60 * env.int("LETTER_SWEEP_MINUTES", default=1))),
    },
    # Birthdays, permit end dates, the 8 weeks and periods running out (DOMAIN.md §8).
    "rederive-cases": {
        "task": "integration.tasks.rederive_cases_due_today",
        "schedule": crontab(hour=0, minute=15),
    },
}

# --- Letters --------------------------------------------------------------------------------
# A letter in "rendering" longer than this is taken to belong to a dead worker.
LETTER_RENDER_LEASE_SECONDS = env.int("LETTER_RENDER_LEASE_SECONDS", default=300)
# A failed letter is tried again by the sweep (no task waits with a countdown): its first
# LETTER_MAX_AUTO_RETRIES retries after LETTER_QUICK_RETRY_SECONDS each, then one every
# LETTER_FAILED_RETRY_SECONDS.
LETTER_MAX_AUTO_RETRIES = env.int("LETTER_MAX_AUTO_RETRIES", default=3)
LETTER_QUICK_RETRY_SECONDS = env.int("LETTER_QUICK_RETRY_SECONDS", default=60)
LETTER_FAILED_RETRY_SECONDS = env.int("LETTER_FAILED_RETRY_SECONDS", default=900)
# The sweep leaves a just-queued letter (and a just-issued letter's e-mail) to the queue for
# this long before handing it out again.
LETTER_QUEUED_GRACE_SECONDS = env.int("LETTER_QUEUED_GRACE_SECONDS", default=30)
LETTER_SWEEP_BATCH_SIZE = env.int("LETTER_SWEEP_BATCH_SIZE", default=500)
# Letters handed out together to one worker (the sweep, bulk work): claimed and stored in one
# transaction each. Larger batches save little more and hold more letters behind one worker.
LETTER_ISSUE_BATCH_SIZE = env.int("LETTER_ISSUE_BATCH_SIZE", default=20)
LETTER_SENDER = {
    "organisation": "Dienst Uitvoering Onderwijs",
    "unit": "Inburgering",
    "postal_address": "Postbus 30124",
    "postal_code_town": "8003 CC  ZWOLLE",
    "website": "www.inburgeren.nl",
    "portal": "mijn.inburgeren.nl",
    "phone": "050 599 96 00",
}

# --- Uncertain domain facts (DOMAIN.md marks them ⚠: settings, not constants) -----------------
DUO_LOAN_MAXIMUM_EUR = env.int("DUO_LOAN_MAXIMUM_EUR", default=10_000)
EXTENSION_CHILDBIRTH_WEEKS = env.int("EXTENSION_CHILDBIRTH_WEEKS", default=16)
# DOMAIN.md §8 ⚠: the AOW age by calendar year, as {year: (years, months)}. Override with
# STATE_PENSION_AGE_TABLE as JSON, e.g. {"2028": [67, 3], "2029": [67, 3]}.
STATE_PENSION_AGE_TABLE = (
    {int(year): tuple(age) for year, age in env.json("STATE_PENSION_AGE_TABLE").items()}
    if env.str("STATE_PENSION_AGE_TABLE", default="") else DEFAULT_STATE_PENSION_AGES
)
# An intake is planned at least this many working days ahead, so the invitation letter arrives in time.
INTAKE_NOTICE_WORKING_DAYS = env.int("INTAKE_NOTICE_WORKING_DAYS", default=5)
# DOMAIN.md §8 ⚠: where objections (bezwaar) against DUO's letters go.
# DOMAIN.md §4: the notice that the period ended goes out within this many days after it (periods
# that ended before are not told again); an extension request's attachment is at most this big ⚠.
PERIOD_ENDED_NOTICE_DAYS = env.int("PERIOD_ENDED_NOTICE_DAYS", default=56)
EXTENSION_ATTACHMENT_MAX_BYTES = env.int("EXTENSION_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
OBJECTION_ADDRESS = env.str("OBJECTION_ADDRESS",
                            default="DUO, Servicecentrum Inburgering, Postbus 764, 9700 AT Groningen")

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Health checks and the metrics scrape come over plain HTTP from inside the network; they are
# answered before SecurityMiddleware anyway (portal.health), this keeps Django's check honest.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# --- Health and metrics ------------------------------------------------------------------------
# /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; without a token it is off.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if IS_PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise environ.ImproperlyConfigured("METRICS_TOKEN must be 32 characters or more")
# Counters of the workers and beat (sweeps, task failures) live here, shared by every process.
METRICS_REDIS_URL = env.str("METRICS_REDIS_URL", default=CELERY_BROKER_URL)
# The letters-by-status figures are read from the database at most this often per process.
METRICS_STATE_SECONDS = env.int("METRICS_STATE_SECONDS", default=15)

# --- Logging --------------------------------------------------------------------------------
# JSON lines in production (one object per line: timestamp, level, logger, message, request_id,
# role, extras, traceback), plain text elsewhere; LOG_FORMAT=json|plain overrides. Every handler
# carries the request id and blanks BSNs, in tracebacks too (portal.logging).
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if IS_PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise environ.ImproperlyConfigured("LOG_FORMAT must be json or plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "portal.logging.RequestIdFilter"},
        "no_bsn": {"()": "portal.logging.RedactBsnFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id", "no_bsn"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a DEBUG-only console, mail to ADMINS) would see records before the
        # BSN filter: everything of Django's goes through the one handler above instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint's font subsetting is chatty at INFO.
        "fontTools": {"level": "WARNING"},
    },
}
