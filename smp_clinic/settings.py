"""Settings for SMP Clinic, read from environment variables.

Every variable is listed, with its default, in `.env.example`. With no variables set the
app runs embedded: SQLite and a filesystem Celery broker under `var/`, emails written
to `var/outbox/` as .eml files. Production sets DATABASE_URL, CELERY_BROKER_URL,
EMAIL_HOST, SECRET_KEY and SITE_URL (see README.md).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable's value; unset and empty both mean the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), not {value!r}"
    )


def env_path(name: str, default: Path) -> Path:
    """A path; a relative one is taken from the project folder."""
    return BASE_DIR / env(name, str(default))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Local state of the embedded run: database, broker folders, email outbox, uploads.
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production refuses to start without one: set "
            "SECRET_KEY to a long random string, or DEBUG=1 for a local development "
            "run."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"  # noqa: S105

# The public address of the app, used for links in emails and for the HTTPS settings:
# an https:// SITE_URL switches on secure cookies, HSTS and the redirect to HTTPS.
# Unset, it is this host at PORT, the port the web server is given (the Makefile
# passes `make run`'s to the worker and beat too, whose PORT honcho numbers apart).
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.hostname:
    raise ImproperlyConfigured(f"SITE_URL must be an http(s) URL, not {SITE_URL!r}")
HTTPS = _site.scheme == "https"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f"{_site.hostname},localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", f"{_site.scheme}://{_site.netloc}"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    # Serves the API docs' Swagger UI from static files, never a CDN.
    "ninja",
    "csp",
    "axes",
    "auditlog",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The project's own apps, base first (docs/architecture.md has the layers).
    "core",
    "pigments",
    "clients",
    "appointments",
    "treatments",
    "messaging",
    "portal",
    "payments",
    "operations",
    "privacy",
    "smp_clinic",
]

MIDDLEWARE = [
    # Request latency by view for /metrics: outermost, so it times all the rest.
    "operations.metrics.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, with the verifying device from the cache.
    "core.two_factor.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Cache-Control, Permissions-Policy, Clear-Site-Data; outside the session
    # lifetime, so a session it ends gets them too.
    "core.headers.PrivacyHeadersMiddleware",
    "core.sessions.SessionLifetimeMiddleware",
    "core.two_factor.TwoFactorMiddleware",
    # Who did it and from where, for every audit entry the request writes.
    "core.audit.AuditMiddleware",
    # A date outside 1900..2200 raised by a view: a 400 page (422 from the API).
    "core.date_input.DateInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its own answer.
    "axes.middleware.AxesMiddleware",
]

# Content Security Policy: scripts and styles from this site only, no inline
# scripts at all. The one inline <style> (practitioner colours) carries a nonce.
# data: images are Bootstrap's form icons and drawn signatures being previewed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "smp_clinic.urls"
WSGI_APPLICATION = "smp_clinic.wsgi.application"

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
                "core.context_processors.clinic",
            ],
            # {% icon "name" %} on every page without a {% load %} (core.icons).
            "builtins": ["core.templatetags.icons"],
        },
    },
]

# Database: PostgreSQL in production, SQLite under var/ by default.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock when a transaction starts, so a booking's check
    # and insert cannot interleave with another writer's; WAL lets readers go on.
    # Connections persist (DATABASE_CONN_MAX_AGE, as on PostgreSQL): opening one and
    # setting its pragmas cost each request of the embedded default about a
    # millisecond; now the pragmas are set once per connection (bench/RESULTS.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory: Celery workers and the browser tests' server share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "core.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Login protection (django-axes): after LOGIN_FAILURE_LIMIT failures a username is
# locked for LOGIN_LOCKOUT_MINUTES, from the address that failed only, so a stranger
# elsewhere cannot lock a real user out. Success clears the count; each attempt while
# locked starts the lockout again.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading a request's user with their roles in one query.
    "core.backends.StaffBackend",
]
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_address"
AXES_USERNAME_CALLABLE = "core.ratelimit.login_username"
# Behind TRUSTED_PROXY_COUNT reverse proxies the client's address is read from
# X-Forwarded-For as the nearest trusted proxy saw it; with none, REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# Two-factor login (core.two_factor): required for managers, open to all
# staff. Not an environment variable on purpose: no deployment can switch it off.
TWO_FACTOR_REQUIRED = True

# The audit trail (core.audit): values of free-text and personal fields are
# masked, changes stored as JSON.
AUDITLOG_MASK_CALLABLE = "core.audit.mask"
AUDITLOG_STORE_JSON_CHANGES = True

# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS
# after login (smp_clinic/sessions.py).
SESSION_IDLE_MINUTES = int(env("SESSION_IDLE_MINUTES", "30"))
SESSION_MAX_HOURS = int(env("SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
# Sessions in the database, read through the cache (CACHES below): a request costs no
# query for its session. The signed-in user with their roles and the two-factor
# device that verified the session are cached too (core/backends.py,
# core/two_factor.py), forgotten at once when they change, and kept this long at most.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTH_CACHE_SECONDS = int(env("AUTH_CACHE_SECONDS", "300"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
# Password reset emails: at most this many an hour to one account, and reset requests
# from one address an hour. Over either, the page answers as always and sends nothing.
PASSWORD_RESET_PER_ACCOUNT_HOUR = int(env("PASSWORD_RESET_PER_ACCOUNT_HOUR", "3"))
PASSWORD_RESET_PER_ADDRESS_HOUR = int(env("PASSWORD_RESET_PER_ADDRESS_HOUR", "10"))

LANGUAGE_CODE = "en-gb"
# The zone pages fall back to when a location gives none; times are stored in UTC.
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Private files (below); the clinic's logo is stored here too (core.models).
    "private": {"BACKEND": "clients.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Private files (photos, signatures, clearance letters): under MEDIA_ROOT/private by
# default; MEDIA_STORAGE=s3 keeps them in an S3-compatible bucket instead (needed when
# several web hosts serve the app). Never public: no URLs, objects written private,
# files streamed by the app after its permission checks (clients/storage.py).
MEDIA_STORAGE = env("MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE not in {"filesystem", "s3"}:
    raise ImproperlyConfigured(
        f"MEDIA_STORAGE must be filesystem or s3, not {MEDIA_STORAGE!r}"
    )
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET")
MEDIA_S3_ENDPOINT_URL = env("MEDIA_S3_ENDPOINT_URL")
MEDIA_S3_REGION = env("MEDIA_S3_REGION")
MEDIA_S3_ACCESS_KEY_ID = env("MEDIA_S3_ACCESS_KEY_ID")
MEDIA_S3_SECRET_ACCESS_KEY = env("MEDIA_S3_SECRET_ACCESS_KEY")
# "path" for MinIO and most self-hosted stores; empty: the SDK's default.
MEDIA_S3_ADDRESSING_STYLE = env("MEDIA_S3_ADDRESSING_STYLE")
if MEDIA_STORAGE == "s3" and not MEDIA_S3_BUCKET:
    raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET.")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: SMTP when EMAIL_HOST is set, otherwise .eml files in var/outbox/ that any mail
# program opens.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
    EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))
else:
    EMAIL_BACKEND = "core.mail.EmlFileBackend"
EMAIL_FILE_PATH = env_path("EMAIL_FILE_PATH", VAR_DIR / "outbox")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "SMP Clinic <clinic@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text messages: Twilio when TWILIO_ACCOUNT_SID is set, otherwise one readable .txt
# file per message in var/sms/ (messaging/sms.py).
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
# A sender: a number in E.164, or a messaging service (which picks one).
TWILIO_FROM = env("TWILIO_FROM")
TWILIO_MESSAGING_SERVICE_SID = env("TWILIO_MESSAGING_SERVICE_SID")
# Only for tests and regional set-ups: where the Twilio API answers.
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL")
SMS_BACKEND = env(
    "SMS_BACKEND",
    "messaging.sms.TwilioBackend"
    if TWILIO_ACCOUNT_SID
    else "messaging.sms.FileBackend",
)
SMS_FILE_PATH = env_path("SMS_FILE_PATH", VAR_DIR / "sms")
if SMS_BACKEND == "messaging.sms.TwilioBackend" and not (
    TWILIO_ACCOUNT_SID
    and TWILIO_AUTH_TOKEN
    and (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID)
):
    raise ImproperlyConfigured(
        "Twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM or "
        "TWILIO_MESSAGING_SERVICE_SID."
    )
# No text message between these local hours at a location (21:00 to 08:00), unless
# it is about a change to an appointment within SMS_URGENT_HOURS.
SMS_QUIET_FROM = int(env("SMS_QUIET_FROM", "21"))
SMS_QUIET_UNTIL = int(env("SMS_QUIET_UNTIL", "8"))
SMS_URGENT_HOURS = int(env("SMS_URGENT_HOURS", "12"))

CLINIC_NAME = env("CLINIC_NAME", "SMP Clinic")
# The name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = CLINIC_NAME

# Booking: the grid free start times are offered on, and how soon a booking may start.
BOOKING_SLOT_STEP_MINUTES = int(env("BOOKING_SLOT_STEP_MINUTES", "15"))
BOOKING_MIN_NOTICE_MINUTES = int(env("BOOKING_MIN_NOTICE_MINUTES", "15"))

# Clients: phone numbers without a +country code are read in this region (ISO 3166).
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", "GB")
# A service that needs a patch test is bookable only with a passed (or waived) test
# applied at most this many days before the appointment, read at least 48 hours later.
PATCH_TEST_VALID_DAYS = int(env("PATCH_TEST_VALID_DAYS", "180"))
PATCH_TEST_READ_AFTER_HOURS = int(env("PATCH_TEST_READ_AFTER_HOURS", "48"))
# Uploaded documents (a doctor's clearance): PDF, JPEG or PNG up to this size.
DOCUMENT_MAX_BYTES = int(env("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))

# The cache holds rate-limit counters and rendered day calendars. Files under VAR_DIR
# by default (one machine); set CACHE_URL (redis://...) when the web runs on several.
# A Redis outage is a cache miss, never a server error (smp_clinic/cache.py): sockets
# give up after CACHE_TIMEOUT_SECONDS and, after a failure, Redis is left alone for
# CACHE_RETRY_SECONDS.
CACHE_URL = env("CACHE_URL")
CACHE_TIMEOUT_SECONDS = float(env("CACHE_TIMEOUT_SECONDS", "1"))
CACHE_RETRY_SECONDS = float(env("CACHE_RETRY_SECONDS", "5"))
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {
            "socket_connect_timeout": CACHE_TIMEOUT_SECONDS,
            "socket_timeout": CACHE_TIMEOUT_SECONDS,
            # One try: the back-off above, not redis-py's retries, paces reconnects.
            "retry": Retry(NoBackoff(), 0),
        },
    }
    if CACHE_URL
    else {
        # Files, not per-process memory: the web workers and the Celery worker share
        # rate-limit counts and the calendar's version (appointments/calendar_cache.py).
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache",
    }
}
# A rendered day calendar is served from the cache until something it shows changes,
# and for this many seconds at most.
CALENDAR_CACHE_SECONDS = int(env("CALENDAR_CACHE_SECONDS", "60"))
# With the cache down, the rate limits of anonymous public forms (online booking,
# email links) let requests through (logged); 1 refuses them instead.
RATE_LIMIT_FAIL_CLOSED = env_bool("RATE_LIMIT_FAIL_CLOSED", False)

# Client messages (the outbox). Reminders go this many hours before an appointment;
# a preparation note (shave, no alcohol or blood thinners) before a treatment.
MESSAGE_REMINDER_HOURS = [
    int(hours) for hours in env("MESSAGE_REMINDER_HOURS", "48,24").split(",") if hours
]
MESSAGE_PREPARATION_HOURS = int(env("MESSAGE_PREPARATION_HOURS", "48"))
# Days the preparation note asks a client to pause topical minoxidil before (and
# after) a session (DOMAIN.md: about 7).
MESSAGE_MINOXIDIL_PAUSE_DAYS = int(env("MESSAGE_MINOXIDIL_PAUSE_DAYS", "7"))
# A failed send is retried with a doubling delay, then marked failed for staff to see.
MESSAGE_MAX_ATTEMPTS = int(env("MESSAGE_MAX_ATTEMPTS", "5"))
MESSAGE_SWEEP_BATCH = int(env("MESSAGE_SWEEP_BATCH", "500"))
# The beat sends a sweep this often.
MESSAGE_SWEEP_SECONDS = float(env("MESSAGE_SWEEP_SECONDS", "60"))
# A claim older than this belonged to a sweep that died; its messages are due again.
# It must be longer than the slowest sweep, or a live sweep's rows are taken from it.
MESSAGE_CLAIM_TIMEOUT_SECONDS = int(env("MESSAGE_CLAIM_TIMEOUT_SECONDS", "600"))

# Retention (manage.py purge_expired_records, daily on the beat). Treatment records
# are kept this many years after a client's last appointment (body-art codes ask
# for 2 to 5; health records often longer), then purged, as are erased clients'
# anonymised session and pigment-lot facts and audit entries as old.
RECORD_RETENTION_YEARS = int(env("RECORD_RETENTION_YEARS", "6"))
# Login attempts and logins (django-axes) are kept this many days.
LOGIN_LOG_RETENTION_DAYS = int(env("LOGIN_LOG_RETENTION_DAYS", "365"))
# Links in emails (confirm, cancel, ask to reschedule) expire after this many days.
MESSAGE_LINK_MAX_AGE_DAYS = int(env("MESSAGE_LINK_MAX_AGE_DAYS", "14"))
# Requests to those links allowed from one address in ten minutes.
MESSAGE_LINK_RATE_LIMIT = int(env("MESSAGE_LINK_RATE_LIMIT", "30"))
# Online consultation bookings (public page /book/) tried from one address in an hour.
ONLINE_BOOKING_LIMIT = int(env("ONLINE_BOOKING_LIMIT", "10"))
# A freed time is offered to at most this many waiting clients at once (first added,
# first offered); the first to accept has it.
WAITLIST_OFFERS_PER_TIME = int(env("WAITLIST_OFFERS_PER_TIME", "5"))

# Card deposits through Stripe Checkout (payments/stripe_api.py), on when both keys
# are set: an online booking of a service with a deposit is held (awaiting deposit)
# for DEPOSIT_HOLD_MINUTES until paid, and the front desk can email a deposit link.
# Without them the deposit is due at the desk. Events arrive at
# SITE_URL/payments/stripe/webhook/. STRIPE_API_BASE: only for tests and local
# stand-ins, where the Stripe API answers.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env("STRIPE_API_BASE")
DEPOSIT_HOLD_MINUTES = int(env("DEPOSIT_HOLD_MINUTES", "15"))

# The client portal (/my/, portal/). A sign-in link works once, for this many
# minutes; links are sent to one email address at most PORTAL_SIGN_IN_PER_EMAIL_HOUR
# times an hour and asked for from one network address PORTAL_SIGN_IN_PER_ADDRESS_HOUR
# times an hour (over either, the page answers as always and nothing is sent). A
# client's session ends like a staff one (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS).
PORTAL_LINK_MINUTES = int(env("PORTAL_LINK_MINUTES", "15"))
PORTAL_SIGN_IN_PER_EMAIL_HOUR = int(env("PORTAL_SIGN_IN_PER_EMAIL_HOUR", "3"))
PORTAL_SIGN_IN_PER_ADDRESS_HOUR = int(env("PORTAL_SIGN_IN_PER_ADDRESS_HOUR", "10"))
# The clinic's notice policy: a client moves or cancels an appointment in the portal
# up to this many hours before it; closer to it, the portal asks them to call.
PORTAL_NOTICE_HOURS = int(env("PORTAL_NOTICE_HOURS", "48"))
# The sales account the accounting export codes invoices to (Xero's default: 200).
ACCOUNTING_SALES_ACCOUNT = env("ACCOUNTING_SALES_ACCOUNT", "200")
# django-sesame makes and checks the links' tokens (portal/links.py): signed with
# SECRET_KEY, expiring, single use (the client's last sign-in is in the signature),
# void once the client's email address changes. Nothing else uses it.
SESAME_MAX_AGE = PORTAL_LINK_MINUTES * 60
SESAME_ONE_TIME = True
SESAME_INVALIDATE_ON_PASSWORD_CHANGE = False
SESAME_INVALIDATE_ON_EMAIL_CHANGE = True
# Client ids are 64-bit (DEFAULT_AUTO_FIELD).
SESAME_PACKER = "sesame.packers.LongLongPacker"

# Treatments. Scar camouflage starts no sooner than this after the surgery.
SCAR_WAIT_MONTHS = int(env("SCAR_WAIT_MONTHS", "9"))
# Suitability and the gates before treatment (README: Gates before treatment).
# Pigment in the skin from this age only (UK Tattooing of Minors Act 1969).
TREATMENT_MINIMUM_AGE = int(env("TREATMENT_MINIMUM_AGE", "18"))
# SMP on or around a hair transplant (FUE or FUT) waits this long after it,
# whatever the stated cause of hair loss.
TRANSPLANT_WAIT_MONTHS = int(env("TRANSPLANT_WAIT_MONTHS", "9"))
# Treatment waits this long after chemotherapy ends.
CHEMOTHERAPY_WAIT_MONTHS = int(env("CHEMOTHERAPY_WAIT_MONTHS", "6"))
# Recalls after a completed course, in months: permanent SMP gets a check and a
# touch-up; temporary SMP gets fade checks.
RECALL_PERMANENT_CHECK_MONTHS = [
    int(m) for m in env("RECALL_PERMANENT_CHECK_MONTHS", "12").split(",") if m
]
RECALL_PERMANENT_TOUCH_UP_MONTHS = [
    int(m) for m in env("RECALL_PERMANENT_TOUCH_UP_MONTHS", "36").split(",") if m
]
RECALL_TEMPORARY_FADE_CHECK_MONTHS = [
    int(m) for m in env("RECALL_TEMPORARY_FADE_CHECK_MONTHS", "6,12,18").split(",") if m
]
# A client whose next course session is not booked this many days after a session
# gets a nudge to book it.
COURSE_NUDGE_DAYS = int(env("COURSE_NUDGE_DAYS", "2"))
# Photos: JPEG, PNG or WEBP up to this size and pixel count (decompression bombs).
PHOTO_MAX_BYTES = int(env("PHOTO_MAX_BYTES", str(15 * 1024 * 1024)))
PHOTO_MAX_PIXELS = int(env("PHOTO_MAX_PIXELS", str(40_000_000)))

# Backups (operations/, README: Backup and restore). `manage.py backup`, and the beat
# daily at BACKUP_HOUR_UTC, write one archive of the database and the private media to
# BACKUP_DIR, encrypted with age to the public keys in BACKUP_AGE_RECIPIENTS (age1...;
# `manage.py backup_keygen FILE` makes a pair), so the host that makes backups cannot
# read them. The private key (BACKUP_AGE_IDENTITY_FILE) is needed only to restore.
BACKUP_DIR = env_path("BACKUP_DIR", VAR_DIR / "backups")
BACKUP_AGE_RECIPIENTS = env_list("BACKUP_AGE_RECIPIENTS")
BACKUP_AGE_IDENTITY_FILE = env("BACKUP_AGE_IDENTITY_FILE")
BACKUP_HOUR_UTC = int(env("BACKUP_HOUR_UTC", "2"))
# Retention: the newest archive of each of the last 7 days, 4 weeks and 12 months
# that have one.
BACKUP_KEEP_DAILY = int(env("BACKUP_KEEP_DAILY", "7"))
BACKUP_KEEP_WEEKLY = int(env("BACKUP_KEEP_WEEKLY", "4"))
BACKUP_KEEP_MONTHLY = int(env("BACKUP_KEEP_MONTHLY", "12"))
# The manager's dashboard turns red after this many hours without a good backup.
BACKUP_STALE_HOURS = int(env("BACKUP_STALE_HOURS", "26"))

# Celery: Redis in production; a filesystem broker under var/ needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "smp_clinic")
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# A task is acknowledged after it ran, and given back if its worker dies, so a crash
# never loses one; each worker holds one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# HTTPS: on when SITE_URL is https://. Behind a TLS-terminating proxy, set
# TRUST_X_FORWARDED_PROTO=1 so Django knows the original request was secure.
if env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(
    env("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365) if HTTPS else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "filters": {"secret_paths": {"()": "core.logs.RedactSecretPaths"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # They log the path of failed requests, which for email links holds a token.
        "django.request": {"filters": ["secret_paths"]},
        "django.server": {"filters": ["secret_paths"]},
        # At INFO it logs every API request's URL and query (phone numbers).
        "twilio.http_client": {"level": "WARNING"},
    },
}

# Error reports (optional): to Sentry when SENTRY_DSN is set, scrubbed of names,
# contact details, health data, tokens and request bodies before they leave
# (operations/error_reports.py).
SENTRY_DSN = env("SENTRY_DSN")
if SENTRY_DSN:
    from operations.error_reports import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT"),
        release=env("SENTRY_RELEASE"),
        traces=float(env("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# Prometheus metrics at /metrics, for a scraper that sends
# "Authorization: Bearer <METRICS_TOKEN>"; without a token the URL is a 404.
METRICS_TOKEN = env("METRICS_TOKEN")
