"""Settings for ooh: every value comes from the environment (read through ooh/env.py), with an
embedded default.

Nothing set: SQLite under var/, the in-memory channel layer and Celery on kombu's filesystem
transport, so the whole service runs on a laptop with no servers. DATABASE_URL and REDIS_URL set:
PostgreSQL (or a SQLite file a sqlite:// URL names), the Redis channel layer, the Redis broker and the
Redis cache. Code reads django.conf.settings, never os.environ.

Importing this module writes nothing: the files it names under OOH_VAR_DIR (the SQLite folder, the
embedded secret key, the broker's folders) are made by `manage.py migrate` or `prepare_embedded` and
by the Celery worker and beat as they start (ooh/runtime_files.py). A malformed value stops the start.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from kombu import Queue

from ooh.env import StrictEnv as StrictEnv  # re-exported: tests import it from here
from ooh.env import env
from ooh.redis_urls import channel_layer_host, is_sentinel, parse_sentinel_url

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env.bool("DJANGO_DEBUG", default=False)
VAR_DIR = Path(env.str("OOH_VAR_DIR", default=str(BASE_DIR / "var")))
DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
# REDIS_URL may name Redis Sentinel instead (ooh/redis_urls.py): kombu's sentinel:// URLs joined with ";".
REDIS_SENTINEL_MASTER = env.str("OOH_REDIS_SENTINEL_MASTER", default="")
REDIS_SENTINEL_PASSWORD = env.str("OOH_REDIS_SENTINEL_PASSWORD", default="")
# Embedded: no DATABASE_URL. The laptop demo and the first CI pass run like this.
EMBEDDED = not DATABASE_URL

SECRET_KEY = env.str("SECRET_KEY", default="")
# Without one (embedded, or DEBUG): the key kept in this file so sessions survive restarts. `manage.py
# migrate` writes it; until then (the first migrate itself) this process gets a random key of its own,
# never written: unguessable, it only costs the admin sessions signed with it (API tokens are hashed
# in the database and need no key).
SECRET_KEY_FILE = None if SECRET_KEY else VAR_DIR / "secret_key"
if SECRET_KEY_FILE is not None:  # no SECRET_KEY
    if not (DEBUG or EMBEDDED):
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set and DJANGO_DEBUG is off")
    _kept_key = SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.exists() else ""
    SECRET_KEY = _kept_key or get_random_secret_key()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
BEHIND_TLS_PROXY = env.bool("OOH_BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Behind TLS: secure cookies, HSTS and a redirect to https, except for the probes on the pod network.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BEHIND_TLS_PROXY
SECURE_SSL_REDIRECT = BEHIND_TLS_PROXY
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("OOH_HSTS_SECONDS", default=31_536_000 if BEHIND_TLS_PROXY else 0)

INSTALLED_APPS = [
    "ooh.apps.OohAdminConfig",  # django.contrib.admin with the site in ooh/admin_site.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "channels",
    "ooh.accounts",
    "ooh.access",
    "ooh.audit",
    "ooh.demo",
    "ooh.people",
    "ooh.flags",
    "ooh.plans",
    "ooh.incidents",
    "ooh.referrals",
    "ooh.records",
    "alerts",
    "api",
    "board",
]

MIDDLEWARE = [
    "ooh.observability.RequestIdMiddleware",
    "ooh.observability.MetricsMiddleware",
    "api.middleware.NoStoreMiddleware",
    "api.middleware.RequestLimitsMiddleware",
    "api.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ooh.urls"
ASGI_APPLICATION = "ooh.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
# PostgreSQL, or a SQLite file: the embedded one (no DATABASE_URL) or the one a sqlite:// URL names.
# Any other database stops the start: the linked picture's SQL, the pool and prepared statements are
# PostgreSQL's, and SQLite is the only other database the tests run on.
DATABASE_SCHEMES = ("postgres", "postgresql", "sqlite")


def _sqlite(name: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        # IMMEDIATE takes the write lock at BEGIN, so select_for_update-style sections serialise
        # instead of failing with "database is locked" when the web and worker processes race.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        # Per process, so two test runs on one checkout never share (and break) one file.
        "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
    }


_database = env.database_url("DATABASE_URL", DATABASE_SCHEMES) if DATABASE_URL else {}
if EMBEDDED:
    DATABASES = {"default": _sqlite(env.str("OOH_SQLITE_PATH", default=str(VAR_DIR / "ooh.sqlite3")))}
elif _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] in ("", ":memory:"):
        raise ImproperlyConfigured(
            "DATABASE_URL names an in-memory SQLite database, which every process would open empty: "
            "name a file, e.g. sqlite:////srv/ooh/ooh.sqlite3 (four slashes for an absolute path)"
        )
    # sqlite:///relative/path is relative to the source directory, so the web, the worker and
    # manage.py, started from anywhere, open one file; the URL's ?options add to the embedded ones.
    DATABASES = {"default": _sqlite(str(BASE_DIR / _database["NAME"]))}
    DATABASES["default"]["OPTIONS"].update(_database.get("OPTIONS", {}))
else:
    DATABASES = {"default": _database}
    DATABASES["default"].setdefault("OPTIONS", {})
    # 0 under ASGI, as Django advises: request threads come and go. Celery workers may raise it.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # With CONN_MAX_AGE 0 (the web) connections come from psycopg's pool, one per process, instead of a
    # new connection per request; DATABASE_POOL_MAX_SIZE=0 turns the pool off.
    _pool_max = env.non_negative_int("DATABASE_POOL_MAX_SIZE", default=10)
    if _pool_max and not DATABASES["default"]["CONN_MAX_AGE"]:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(2, _pool_max),
            "max_size": _pool_max,
            "timeout": env.positive_float("DATABASE_POOL_TIMEOUT_SECONDS", default=10),
        }
    # Statements run on a server-binding cursor (the linked picture) are prepared on a connection after
    # this many runs and then skip planning. "none" disables it (a transaction-mode pgbouncer older
    # than 1.21). The ORM's own client-binding cursors never prepare.
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env.int_or_none(
        "DATABASE_PREPARE_THRESHOLD", default="5"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: channel layer, cache, broker ------------------------------------------------------
CHANNEL_LAYER_BACKEND = env.choice(
    "OOH_CHANNEL_LAYER",
    default="redis" if REDIS_URL else "memory",
    choices=("memory", "redis", "redis_pubsub"),
)
if CHANNEL_LAYER_BACKEND == "memory":
    CHANNEL_LAYERS: dict[str, object] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    if not REDIS_URL:
        raise ImproperlyConfigured("OOH_CHANNEL_LAYER=redis needs REDIS_URL")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if CHANNEL_LAYER_BACKEND == "redis_pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            # redis-py 8 reads with a 5 s socket timeout by default, the same as the layer's blocking pop:
            # an idle consumer would time out and drop its socket. Reads wait longer; connecting fails fast.
            "CONFIG": {
                "hosts": [
                    channel_layer_host(
                        REDIS_URL,
                        REDIS_SENTINEL_MASTER,
                        REDIS_SENTINEL_PASSWORD,
                        socket_timeout=30,
                        socket_connect_timeout=2,
                    )
                ],
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # A list: Django would split a string at the ";" between sentinels.
            "LOCATION": [REDIS_URL],
            "KEY_PREFIX": "ooh",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}
            | (
                {
                    "pool_class": "ooh.redis_urls.SentinelCachePool",
                    "sentinel_master": REDIS_SENTINEL_MASTER,
                    "sentinel_password": REDIS_SENTINEL_PASSWORD,
                }
                if is_sentinel(REDIS_URL)
                else {}
            ),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (  # kombu reads folders, flags and timeouts
    {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # Delayed tasks are redelivered after this; every scheduled delay stays well short of it.
        "visibility_timeout": env.int("OOH_BROKER_VISIBILITY_TIMEOUT_SECONDS", default=3600),
        "socket_connect_timeout": 2,
    }
    | (
        {
            "master_name": REDIS_SENTINEL_MASTER,
            "sentinel_kwargs": parse_sentinel_url(
                CELERY_BROKER_URL, REDIS_SENTINEL_MASTER, REDIS_SENTINEL_PASSWORD
            ).sentinel_options(socket_connect_timeout=2),
        }
        if is_sentinel(CELERY_BROKER_URL)
        else {}
    )
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ALWAYS_EAGER = env.bool("OOH_CELERY_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Every task on a named queue (a test fails when one is not); workers consume all three by default.
CELERY_TASK_ROUTES = {
    "alerts.tasks.sweep": {"queue": "escalations"},
    "alerts.tasks.check_subject": {"queue": "escalations"},
    "alerts.tasks.climb": {"queue": "escalations"},
    "alerts.tasks.resolve_ended": {"queue": "escalations"},
    "alerts.tasks.resolve_casework": {"queue": "escalations"},
    "alerts.tasks.deliver_push": {"queue": "notifications"},
}
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "escalations", "notifications")]
CELERY_TASK_CREATE_MISSING_QUEUES = False
# A broker outage must not hold an HTTP write: publishing gives up fast and the sweeper catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# --- Escalations -------------------------------------------------------------------------------
# Minutes each rule waits before it raises (fractions allowed: 0.05 is three seconds).
_minutes = env.non_negative_float
ESCALATION_MINUTES = {
    "attendance_not_answered": _minutes("OOH_ATTENDANCE_NOT_ANSWERED_MINUTES", 0),  # after respond_by
    "eta_overdue": _minutes("OOH_ETA_OVERDUE_MINUTES", 10),  # after the ETA
    "no_decision_maker": _minutes("OOH_NO_DECISION_MAKER_MINUTES", 15),  # after opening
    "birth_plan_not_ready": _minutes("OOH_BIRTH_PLAN_NOT_READY_MINUTES", 28 * 24 * 60),  # before the due date
    "flag_review_overdue": _minutes("OOH_FLAG_REVIEW_OVERDUE_MINUTES", 0),  # after review_by
}
ESCALATION_LEVEL_WAIT_MINUTES = env.positive_float("OOH_ESCALATION_LEVEL_WAIT_MINUTES", default=10)
ESCALATION_MAX_LEVEL = env.int("OOH_ESCALATION_MAX_LEVEL", default=3)
SWEEP_SECONDS = env.positive_float("OOH_SWEEP_SECONDS", default=30)

# --- Casework deadlines (concerns, referrals, the pre-birth protocol) ---------------------------------
# Counted in working days: weekdays that are not bank holidays of the nation (the `holidays` package)
# nor closure days. Dates are local to LOCAL_TIME_ZONE. README "Deadlines" gives each one's source.
LOCAL_TIME_ZONE = env.str("OOH_LOCAL_TIME_ZONE", default="Europe/London")
BANK_HOLIDAYS_NATION = env.choice(
    "OOH_BANK_HOLIDAYS_NATION",
    default="england",
    choices=("england", "wales", "scotland", "northern_ireland"),
)
CLOSURE_DAYS = env.dates("OOH_CLOSURE_DAYS")  # e.g. 2026-12-24,2026-12-31: extra days the offices close
REFERRAL_DEADLINE_WORKING_DAYS = {
    "concern_not_referred": env.int("OOH_CONCERN_NOT_REFERRED_WORKING_DAYS", default=1),  # after raising
    "referral_unallocated": env.int("OOH_REFERRAL_UNALLOCATED_WORKING_DAYS", default=3),  # after referring
    "agency_response_overdue": env.int("OOH_AGENCY_RESPONSE_WORKING_DAYS", default=5),  # after referring
}
# How long each level of a casework chain waits for an acknowledgement before the next rung is told.
CASEWORK_LEVEL_WAIT_WORKING_DAYS = env.int("OOH_CASEWORK_LEVEL_WAIT_WORKING_DAYS", default=1)
# The pre-birth protocol: the week of pregnancy by which each milestone is due (40 weeks at the
# expected date). Defaults follow published local unborn-baby protocols (README "Deadlines").
PREBIRTH_MILESTONE_WEEKS = {
    "referral": env.int("OOH_PREBIRTH_REFERRAL_WEEK", default=16),
    "pre_birth_assessment": env.int("OOH_PREBIRTH_ASSESSMENT_WEEK", default=24),
    "initial_conference": env.int("OOH_PREBIRTH_CONFERENCE_WEEK", default=28),
    "birth_plan_agreed": env.int("OOH_PREBIRTH_PLAN_AGREED_WEEK", default=32),
    "birth_plan_shared": env.int("OOH_PREBIRTH_PLAN_SHARED_WEEK", default=36),
}
CELERY_BEAT_SCHEDULE = {"sweep": {"task": "alerts.tasks.sweep", "schedule": SWEEP_SECONDS}}

# --- Retention (ooh/records: schedule.py gives each default's source; README "Records") ---------------
# Each class of record: kept this many years from the date its rule runs from, then deleted or
# anonymised. runs_from: "birth" (of the looked-after child), "closure" (of the incident or concern),
# "adulthood_or_closure" (the later of the youngest child's 18th birthday and the closure),
# "last_contact" (the last time any agency recorded something about the person).
_years = env.positive_int
RETENTION_SCHEDULE: dict[str, dict[str, Any]] = {
    "looked_after": {
        "years": _years("OOH_RETENTION_LOOKED_AFTER_YEARS", default=75),
        "runs_from": "birth",
        "disposal": "delete",
    },
    "child_protection": {
        "years": _years("OOH_RETENTION_CHILD_PROTECTION_YEARS", default=35),
        "runs_from": "closure",
        "disposal": "delete",
    },
    "children_in_need": {
        "years": _years("OOH_RETENTION_CHILDREN_IN_NEED_YEARS", default=3),
        "runs_from": "adulthood_or_closure",
        "disposal": "delete",
    },
    "concern_no_safeguarding": {
        "years": _years("OOH_RETENTION_CONCERN_NO_SAFEGUARDING_YEARS", default=6),
        "runs_from": "closure",
        "disposal": "delete",
    },
    "incident_no_safeguarding": {
        "years": _years("OOH_RETENTION_INCIDENT_NO_SAFEGUARDING_YEARS", default=2),
        "runs_from": "closure",
        "disposal": "delete",
    },
    "person": {
        "years": _years("OOH_RETENTION_PERSON_YEARS", default=6),
        "runs_from": "last_contact",
        "disposal": "anonymise",
    },
}


def _retention_overrides(raw: object) -> dict[str, dict[str, int]]:
    """OOH_RETENTION_AGENCY_OVERRIDES, JSON {agency code: {class: years}}, e.g. a council that keeps child
    protection records 40 years: {"vale-council": {"child_protection": 40}}. Checked here, at start."""
    name = "OOH_RETENTION_AGENCY_OVERRIDES"
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(
            f'{name} must be a JSON object such as {{"vale-council": {{"child_protection": 40}}}}'
        )
    for code, periods in raw.items():
        if not isinstance(periods, dict) or not periods:
            raise ImproperlyConfigured(f"{name}: give {code!r} an object of class: years")
        for record_class, years in periods.items():
            if record_class not in RETENTION_SCHEDULE:
                raise ImproperlyConfigured(
                    f"{name}: {record_class!r} is not a class of record; use one of {', '.join(RETENTION_SCHEDULE)}"
                )
            if isinstance(years, bool) or not isinstance(years, int) or years < 1:
                raise ImproperlyConfigured(
                    f"{name}: {code}'s {record_class} must be 1 or more years, not {years!r}"
                )
    return raw


RETENTION_AGENCY_OVERRIDES = _retention_overrides(env.json("OOH_RETENTION_AGENCY_OVERRIDES", default={}))
# Nightly, at this hour (UTC), when the board is quiet.
RETENTION_HOUR_UTC = env.int("OOH_RETENTION_HOUR_UTC", default=2)
if not 0 <= RETENTION_HOUR_UTC <= 23:
    raise ImproperlyConfigured(
        f"OOH_RETENTION_HOUR_UTC must be an hour from 0 to 23, not {RETENTION_HOUR_UTC}"
    )
CELERY_BEAT_SCHEDULE["apply_retention"] = {
    "task": "ooh.records.tasks.apply_retention",
    "schedule": crontab(minute=30, hour=RETENTION_HOUR_UTC),
}
CELERY_TASK_ROUTES["ooh.records.tasks.apply_retention"] = {"queue": "default"}
# --- End of retention ------------------------------------------------------------------------------

# --- Push ----------------------------------------------------------------------------------------
PUSH_BACKEND = env.choice("OOH_PUSH_BACKEND", default="log", choices=("log", "webhook", "fcm", "apns"))
PUSH_MAX_ATTEMPTS = env.int("OOH_PUSH_MAX_ATTEMPTS", default=5)
PUSH_WEBHOOK_URL = env.str("OOH_PUSH_WEBHOOK_URL", default="")
PUSH_WEBHOOK_SECRET = env.str("OOH_PUSH_WEBHOOK_SECRET", default="")
FCM_ENDPOINT = env.str("OOH_FCM_ENDPOINT", default="https://fcm.googleapis.com")
FCM_PROJECT_ID = env.str("OOH_FCM_PROJECT_ID", default="")
FCM_ACCESS_TOKEN = env.str("OOH_FCM_ACCESS_TOKEN", default="")  # OAuth2 token, refreshed by the platform
APNS_ENDPOINT = env.str("OOH_APNS_ENDPOINT", default="https://api.push.apple.com")
APNS_TOPIC = env.str("OOH_APNS_TOPIC", default="")
APNS_AUTH_TOKEN = env.str("OOH_APNS_AUTH_TOKEN", default="")  # provider JWT, refreshed by the platform

# --- Auth --------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How often each process re-checks its websockets against the database (api/resync.py): closes sockets
# whose access ended, and fills in an event whose wake-up the channel layer dropped (or, embedded, that
# another process wrote) - within two intervals, as a seq is first given the time to arrive live.
WS_RESYNC_SECONDS = env.positive_float(
    "OOH_WS_RESYNC_SECONDS", default=1 if CHANNEL_LAYER_BACKEND == "memory" else 4
)
# Snapshots kept ready (ooh/picture/ready.py): each process keeps the rendered snapshots it built, per
# incident seq and reader's view, for at most this many seconds (what changes without an event shows
# within it; 0 builds every read) and at most this many of them.
READY_SNAPSHOT_MAX_AGE_SECONDS = env.non_negative_float("OOH_READY_SNAPSHOT_MAX_AGE_SECONDS", default=5)
READY_SNAPSHOTS_KEPT = env.positive_int("OOH_READY_SNAPSHOTS_KEPT", default=2_000)
# Admission control (api/admission.py): beyond these a process refuses a socket at once with 4503 and a
# retry delay spread over [R/2, 3R/2]; a user beyond its own limit on a process gets 4429.
WS_MAX_SOCKETS = env.positive_int("OOH_WS_MAX_SOCKETS", default=10_000)
WS_MAX_CONNECTING = env.positive_int("OOH_WS_MAX_CONNECTING", default=1_000)
WS_OVERLOAD_LAG_MS = env.positive_float("OOH_WS_OVERLOAD_LAG_MS", default=1_000)
WS_RETRY_AFTER_MS = env.positive_int("OOH_WS_RETRY_AFTER_MS", default=2_000)
WS_MAX_SOCKETS_PER_USER = env.positive_int("OOH_WS_MAX_SOCKETS_PER_USER", default=20)
# Threads (each with its own database connection) for the sockets' work on connecting (api/socket_threads.py).
WS_DB_THREADS = env.positive_int("OOH_WS_DB_THREADS", default=3)
# HTTP reads a process serves at a time (the rest wait in the event loop, holding no thread or database
# connection) and how many may wait before the next is answered 503 busy; writes never wait for reads.
HTTP_MAX_CONCURRENT_READS = env.positive_int("OOH_HTTP_MAX_CONCURRENT_READS", default=4)
HTTP_MAX_WAITING_READS = env.positive_int("OOH_HTTP_MAX_WAITING_READS", default=2_000)
# Sockets on a closed incident stay open this long, so phones see the outcome.
CLOSED_INCIDENT_GRACE = timedelta(minutes=env.positive_float("OOH_CLOSED_INCIDENT_GRACE_MINUTES", default=10))

# The longest a reviewer's access to one record's chronology may be granted for (ooh/access/actions.py).
REVIEWER_GRANT_MAX_DAYS = env.positive_int("OOH_REVIEWER_GRANT_MAX_DAYS", default=180)

TOKEN_TTL_HOURS = env.positive_float("OOH_TOKEN_TTL_HOURS", default=12)
WS_TICKET_TTL_SECONDS = env.int("OOH_WS_TICKET_TTL_SECONDS", default=30)
KNOX_TOKEN_MODEL = "knox.AuthToken"  # nosec B105 # a model label, not a secret
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=TOKEN_TTL_HOURS),
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": env.int("OOH_TOKENS_PER_USER", default=20),
    "USER_SERIALIZER": None,
}

REST_FRAMEWORK: dict[str, Any] = {
    # A phone's token header; else the board's session (ooh.accounts.browser), CSRF checked.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.BrowserSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsAgencyMember"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "api.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env.rate("OOH_LOGIN_RATE_PER_IP", default="30/min"),
        # Failed attempts only: logging in on several phones never locks an officer out.
        "login_username": env.rate("OOH_LOGIN_RATE_PER_USERNAME", default="10/min"),
        # Per signed-in user; generous for a busy control room, a brake on anyone scraping.
        "search": env.rate("OOH_SEARCH_RATE_PER_USER", default="120/min"),
        "picture": env.rate("OOH_PICTURE_RATE_PER_USER", default="120/min"),
        "ws_ticket": env.rate("OOH_WS_TICKET_RATE_PER_USER", default="30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": None,
    # The client address is REMOTE_ADDR, which uvicorn --proxy-headers sets from trusted proxies only;
    # a client-supplied X-Forwarded-For never picks the throttle bucket.
    "NUM_PROXIES": 0,
}

# API.md: a body over 1 MiB is refused with 413 (api/middleware.py, api/parsers.py), the admin's forms too.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

DRF_STANDARDIZED_ERRORS = {
    # Adds the domain's errors: Django ValidationError -> 400 naming the field, Conflict -> 409.
    "EXCEPTION_HANDLER_CLASS": "api.errors.ExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "409", "415", "429"],
    "ERROR_SCHEMAS": {"409": "api.openapi.ConflictErrorResponseSerializer"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ooh API",
    "DESCRIPTION": "Out-of-hours incident decision support for police, ambulance, midwifery and social care.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "AgencyKindEnum": "ooh.accounts.models.AgencyKind",
        "RoleEnum": "ooh.accounts.models.Role",
        "RelationshipKindEnum": "ooh.people.models.RelationshipKind",
        "PersonStatusEnum": "ooh.people.models.PersonStatus",
        "FlagStatusEnum": "ooh.flags.models.FlagStatus",
        "SeverityEnum": "ooh.flags.models.Severity",
        "IncidentStatusEnum": "ooh.incidents.models.IncidentStatus",
        "IncidentKindEnum": "ooh.incidents.models.IncidentKind",
        "AttendanceStatusEnum": "ooh.incidents.models.AttendanceStatus",
        "PresenceStatusEnum": "ooh.incidents.models.PresenceStatus",
        "BirthPlanStatusEnum": "ooh.plans.models.PlanStatus",
        "EscalationStatusEnum": "alerts.models.EscalationStatus",
        "MilestoneEnum": "ooh.referrals.models.Milestone",
        "ConcernStatusEnum": "ooh.referrals.models.ConcernStatus",
        "ReferralStatusEnum": "ooh.referrals.models.ReferralStatus",
        "ReferralOutcomeEnum": "ooh.referrals.models.ReferralOutcome",
        "TransferStatusEnum": "ooh.referrals.models.TransferStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "api.openapi.open_error_codes",
    ],
}

# --- I18N, static ------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# The admin's and Swagger UI's files, served by the app itself (whitenoise) after collectstatic.
STATIC_ROOT = Path(env.str("OOH_STATIC_ROOT", default=str(BASE_DIR / "static")))
# collectstatic writes the manifest; without one (the demo, the tests) files come straight from the packages.
_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _COLLECTED

# --- Metrics: GET /metrics for a Prometheus scraper holding this token (unset: /metrics answers 404) ---
METRICS_TOKEN = env.str("OOH_METRICS_TOKEN", default="")

# --- Logging: one line per record, with the request id; JSON unless DEBUG ----------------------
LOG_LEVEL = env.str("OOH_LOG_LEVEL", default="INFO")
LOG_JSON = env.bool("OOH_LOG_JSON", default=not DEBUG)
ACCESS_LOG = env.bool("OOH_ACCESS_LOG", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "ooh.observability.RequestIdFilter"},
        "no_query_strings": {"()": "ooh.observability.ServerQueryStringFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "at", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "no_query_strings"],
            "formatter": "json" if LOG_JSON else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint narrates every step of every PDF (ooh/records) at INFO: only its warnings.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # uvicorn's own lines (starting, a socket accepted, shutting down) in the same format once the app
        # is loaded; they name paths but never their query strings (a socket's one-use ticket).
        "uvicorn": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "uvicorn.error": {"level": LOG_LEVEL},
        # One line per request only when asked for (OOH_ACCESS_LOG): uvicorn's --no-access-log cannot hold
        # once this configuration is applied, and a storm of phones would log each read.
        "uvicorn.access": {
            "handlers": ["console"] if ACCESS_LOG else [],
            "level": LOG_LEVEL,
            "propagate": False,
        },
    },
}
