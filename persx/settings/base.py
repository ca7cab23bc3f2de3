"""Settings shared by every environment. Environment specifics live beside this file."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE

from .install_secret import install_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PERSX_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or install_secret_key(VAR_DIR)
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "persx.catalog",
    "persx.profiles",
    "persx.content",
    "persx.personalization",
    "persx.demo",
    "persx.leads",
    "persx.newsletter",
    "persx.campaigns",
    "persx.email_delivery",
    "persx.accounts",
    "persx.outcomes",
    "persx.experiments",
    "persx.events",
    "persx.eventstore",
    "persx.privacy",
    "persx.charts",
    "persx.inference",
    "persx.personas",
    "persx.analytics",
    "persx.health",
    "persx.monitoring",
    "persx.studio",
    "persx.factorial",
    "persx.generation",
    "persx.jobs",
    "persx.headless",
    "django_tasks",
    "django_tasks.backends.database",
    "wagtail.contrib.forms",
    "persx.startup.wagtail_apps.RedirectsWithoutApiConfig",  # wagtail.contrib.redirects
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "persx.startup.wagtail_apps.SnippetsWithoutApiConfig",  # wagtail.snippets
    "persx.startup.wagtail_apps.DocumentsWithoutApiConfig",  # wagtail.documents
    "persx.startup.wagtail_apps.ImagesWithoutApiConfig",  # wagtail.images
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",  # django-csp: the Content-Security-Policy header (persx/http/content_security_policy.py)
    "ninja",  # serves the /api/docs Swagger UI from its own static files (works offline)
    # Last: its ready() turns garbage collection back on after every app's (persx/startup).
    "persx.startup",
]

MIDDLEWARE = [
    "persx.http.request_id.RequestIdMiddleware",
    "persx.http.head_requests.HeadWithoutBodyMiddleware",
    "persx.http.cache_privacy.SharedCachePrivacyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "persx.http.content_security_policy.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "persx.http.body_limit.ApiBodyLimitMiddleware",
    "persx.http.field_limit.FieldLimitMiddleware",
    "persx.http.method_not_allowed.ApiMethodNotAllowedMiddleware",
    "persx.http.database_unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "persx.http.trailing_slash.TrailingSlashMiddleware",  # CommonMiddleware, 308 not 301
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "persx.privacy.middleware.ConsentMiddleware",
    "persx.inference.middleware.SignalsMiddleware",
    "persx.profiles.middleware.VisitorProfileMiddleware",
    "persx.personalization.middleware.PersonalizationMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "persx.urls"
WSGI_APPLICATION = "persx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "persx" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "persx.personalization.context_processors.personalization",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'persx.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        # EXCLUSIVE is IMMEDIATE in WAL mode; named so, django-tasks' worker locks its queue
        # with Django's own transaction (and so inside a test's transaction too).
        "transaction_mode": "EXCLUSIVE",
        "timeout": 20,
    }
# A read replica for the report pages (docs/operations.md, "A read replica for reports"):
# the alias "replica", used by persx.database_routing; the primary keeps every write. In
# tests it mirrors the test database (TEST MIRROR): the same data, through its own connection.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=600, conn_health_checks=True
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["persx.database_routing.ReplicaRouter"]

# Background jobs (draft batches, rollups, monitor passes, bandit updates) are django-tasks
# tasks on its database backend ("jobs"): the queue is a table, a worker is
# `manage.py persx_worker` (persx/jobs; `make run` starts it); docs/operations.md,
# "Background jobs". "default" stays immediate: Wagtail's own tasks (search and reference
# index updates) run inline when a page is saved, as before.
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "jobs": {
        "BACKEND": "django_tasks.backends.database.DatabaseBackend",
        # drafts: the studio's long batches, email: sends; each apart from the periodic jobs
        "QUEUES": ["default", "drafts", "email"],
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis down or stalled degrades to misses, never to a 500 (see the module).
            "BACKEND": "persx.caching.resilient_redis.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "persx",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Static files are served by WhiteNoise (collected or, with WHITENOISE_USE_FINDERS, from
# the apps directly), so any WSGI server serves a complete site without a separate web server.
WHITENOISE_USE_FINDERS = True

# Content-Security-Policy (persx/http/content_security_policy.py says why each part is there).
# The public site: nothing inline except the start form's nonce'd <style>.
_CSP_REPORT_URI = "/api/csp-reports"
_CSP_COMMON = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
    "report-uri": _CSP_REPORT_URI,
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
    }
}
# The Wagtail admin renders inline scripts and styles: 'unsafe-inline' there, only there.
ADMIN_CONTENT_SECURITY_POLICY = {
    "PATH_PREFIXES": ["/cms/"],
    "DIRECTIVES": {
        **_CSP_COMMON,
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "persx" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Parameters per request (query string, form body), counted before anything parses them:
# more is refused at once with a 400 that says why (persx/http/field_limit.py).
# The Wagtail admin: sized from the largest page an editor can build, every personalizable
# block with a variant for each of the demo's 20 audiences (tests/web/largest_page.py),
# whose edit form posts 2,843 fields (measured in Chromium; Contact posts 833). The same
# page with an AI challenger beside every variant posts 5,543. 8,000 leaves 2.8x headroom
# over the first and 1.4x over the second. Django enforces it on every path as the ceiling.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 8_000
FIELD_LIMIT_ADMIN_PREFIXES = ("/cms/",)
# The site and the API: no page or form there takes more than ~50 parameters (the start
# form with every goal and tool: tests/web/test_field_limits.py); far more is an attack.
PERSX_PUBLIC_MAX_NUMBER_FIELDS = 200

# Outgoing email (incident notifications, the weekly report).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "persx@localhost")

WAGTAIL_SITE_NAME = "PersX"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
# The admin makes no calls outside the site: no Gravatar avatars, no release check.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# --- PersX ---------------------------------------------------------------------------
PERSX = {
    # Master switch: off renders every block's generic base (the benchmark baseline).
    "PERSONALIZATION_ENABLED": True,
    # CPU-time budget for all block decisions of one page; over it, the page serves generic.
    "DECISION_BUDGET_MS": 25.0,
    # Signed profile cookie.
    "PROFILE_COOKIE_NAME": "persx_profile",
    "PROFILE_COOKIE_MAX_AGE": 7 * 24 * 3600,
    "PROFILE_COOKIE_MAX_BYTES": 3000,
    # Re-confirm profiles older than this many days.
    "PROFILE_RECONFIRM_DAYS": 90,
    # Catalog and content indexes cached in-process for this long (also dropped on publish).
    "CACHE_TTL_SECONDS": float(os.environ.get("PERSX_CACHE_TTL_SECONDS", "60")),
    # Largest JSON body accepted by /api/ (bytes); /api/events takes batches up to 500.
    # The largest valid batch (500 events, each with a 300-character page and 2 KB of
    # properties) is 1,263,012 bytes as JSON: 1.5 MiB leaves 25% (tests/web/test_field_limits.py).
    "API_MAX_BODY_BYTES": 16_384,
    "EVENTS_MAX_BODY_BYTES": 1_572_864,
    # Exposures and page views are written by a background thread (persx/events/exposure_writer.py).
    "EVENTS_WRITER_THREAD": True,
    # PostgreSQL: months of events kept beside the current one; older monthly partitions
    # are dropped whole by `manage.py persx_events_partitions` (persx/events/partitions.py;
    # their rollups stay). "" or "none" keeps every month.
    "EVENTS_RETENTION_MONTHS": os.environ.get("PERSX_EVENTS_RETENTION_MONTHS", "13"),
    # Where raw events go and reports are computed (persx/eventstore, docs/scaling.md):
    # "relational" (this database; rollups) or "clickhouse" (CLICKHOUSE_URL:
    # clickhouse://user:password@host:8123/persx, https://..., or chdb:// in-process).
    "EVENT_STORE": os.environ.get("PERSX_EVENT_STORE", "") or "relational",
    "CLICKHOUSE_URL": os.environ.get("PERSX_CLICKHOUSE_URL", ""),
    # PostgreSQL: a visitor's own writes (events, profile, lead, forget-me) run as the role
    # persx_web under row-level security (persx/http/row_security.py). No effect on SQLite.
    "ROW_SECURITY": os.environ.get("PERSX_ROW_SECURITY", "on") != "off",
    # Global holdout: this share of profiled visitors always sees generic content.
    "HOLDOUT_SHARE": float(os.environ.get("PERSX_HOLDOUT_SHARE", "0.10")),
    "HOLDOUT_SEED": "persx-global-holdout",
    # Incident notifications (persx.monitoring): email addresses and a Slack-compatible
    # webhook URL; a channel without a value is off.
    "ALERT_EMAILS": [
        e.strip() for e in os.environ.get("PERSX_ALERT_EMAILS", "").split(",") if e.strip()
    ],
    "ALERT_WEBHOOK_URL": os.environ.get("PERSX_ALERT_WEBHOOK_URL", ""),
    # The weekly report goes to these addresses (default: the alert addresses).
    "REPORT_EMAILS": [
        e.strip() for e in os.environ.get("PERSX_REPORT_EMAILS", "").split(",") if e.strip()
    ],
    # AI drafting (persx/generation; the key is the SDK's own ANTHROPIC_API_KEY): the model,
    # and its list prices in USD per million tokens (input, output) for the batch estimate.
    "DRAFT_MODEL": os.environ.get("PERSX_DRAFT_MODEL", "") or "claude-sonnet-5-5",
    "DRAFT_PRICE_INPUT": float(os.environ.get("PERSX_DRAFT_PRICE_INPUT", "") or "3.0"),
    "DRAFT_PRICE_OUTPUT": float(os.environ.get("PERSX_DRAFT_PRICE_OUTPUT", "") or "15.0"),
    # Inference for visitors who skip the start form (persx/inference).
    "INFERENCE_ENABLED": True,
    "INFERENCE_TARGET_PRECISION": 0.9,
    "SIGNALS_COOKIE_NAME": "persx_signals",
    "SIGNALS_COOKIE_MAX_AGE": 30 * 24 * 3600,
    # IP range -> company -> industry (CSV); "" switches the firmographic lookup off.
    "FIRMOGRAPHIC_CSV": str(BASE_DIR / "persx" / "inference" / "data" / "firmographic_demo.csv"),
    # The client's address behind your own proxies (persx/http/client_address.py): the
    # request.META key of the header they append to (e.g. "HTTP_X_FORWARDED_FOR") and how
    # many of them append. Empty: REMOTE_ADDR is the client and such headers are ignored.
    "TRUSTED_PROXY_HEADER": os.environ.get("PERSX_TRUSTED_PROXY_HEADER", ""),
    "TRUSTED_PROXY_HOPS": int(os.environ.get("PERSX_TRUSTED_PROXY_HOPS", "1")),
    # Rate limits per minute, counted in the shared cache (0 = off): event batches per
    # visitor and per client address, durable profile writes per client address.
    "EVENTS_RATE_LIMIT_PER_MINUTE": int(os.environ.get("PERSX_EVENTS_RATE_LIMIT", "60")),
    "EVENTS_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_EVENTS_RATE_LIMIT_PER_ADDRESS", "600")
    ),
    "PROFILE_WRITES_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_PROFILE_WRITES_PER_ADDRESS", "60")
    ),
    # Content-Security-Policy violation reports per client address (persx/http/csp_report.py).
    "CSP_REPORTS_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_CSP_REPORTS_PER_ADDRESS", "30")
    ),
    # POST /api/outcomes batches per CRM integration (persx/outcomes/api.py): a CRM sync
    # sends a few batches of up to 1,000 outcomes a minute; a runaway loop is stopped here.
    "OUTCOME_BATCHES_PER_INTEGRATION_PER_MINUTE": int(
        os.environ.get("PERSX_OUTCOME_BATCHES_PER_INTEGRATION", "120")
    ),
    # The newsletter (persx/newsletter; docs/newsletter.md): how long a confirmation link
    # works, signups one client address may post a minute (0 = off), and the quiet time
    # before a pending address gets another confirmation email.
    "NEWSLETTER_CONFIRM_DAYS": int(os.environ.get("PERSX_NEWSLETTER_CONFIRM_DAYS", "7")),
    "NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE": int(
        os.environ.get("PERSX_NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_MINUTE", "20")
    ),
    "NEWSLETTER_RESEND_MINUTES": int(os.environ.get("PERSX_NEWSLETTER_RESEND_MINUTES", "10")),
    # Email (persx/campaigns, persx/email_delivery; docs/email.md, docs/email-sending.md):
    # the site's origin in links ('' = WAGTAILADMIN_BASE_URL), how long a tracked link
    # restores a profile, how long after a click a conversion counts for the email, an
    # optional mailto: beside the one-click unsubscribe URL, and every email's postal line.
    "EMAIL_BASE_URL": os.environ.get("PERSX_EMAIL_BASE_URL", ""),
    "EMAIL_LINK_MAX_AGE_DAYS": int(os.environ.get("PERSX_EMAIL_LINK_MAX_AGE_DAYS", "60")),
    "EMAIL_ATTRIBUTION_DAYS": int(os.environ.get("PERSX_EMAIL_ATTRIBUTION_DAYS", "7")),
    "EMAIL_UNSUBSCRIBE_MAILTO": os.environ.get("PERSX_EMAIL_UNSUBSCRIBE_MAILTO", ""),
    "EMAIL_POSTAL_ADDRESS": os.environ.get(
        "PERSX_EMAIL_POSTAL_ADDRESS", "PersX GmbH · Example Street 1 · 10115 Berlin · Germany"
    ),
    # Reports fold new events into the rollups on load when the last update is older than
    # this (seconds); 0 = never. On for the demo (`make run`); production schedules
    # `manage.py persx_rollup` (docs/operations.md) and switches this off.
    "ROLLUP_REFRESH_SECONDS": float(os.environ.get("PERSX_ROLLUP_REFRESH_SECONDS", "30")),
    # Analytics consent (persx/privacy/consent.py, docs/privacy.md): "opt_in" (EU-style: only
    # visitors who accepted are measured) or "opt_out" (measured unless they declined or
    # their browser sends Global Privacy Control). The demo is opt_in: the stricter rule,
    # and the one that shows the banner doing its job.
    "CONSENT_MODE": os.environ.get("PERSX_CONSENT_MODE", "opt_in"),
}

# Every log line is one JSON object with the request id; Django's own request errors (the
# traceback of a 500) go to the same handler in every environment, DEBUG or not.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "persx.http.request_id.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "ts", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "persx": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
