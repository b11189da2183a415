"""Django settings, read from the environment (twelve-factor).

The same code runs embedded on a laptop (SQLite and a file-system broker under the data dir,
nothing else to install) and in production (PostgreSQL, Redis): only environment variables
differ. Every variable is listed in README.md. Importing this module creates the data dir and,
on first start, the secret key inside it. (The PKI and the kubeconfig are made by ``runapi``,
which needs the database: see ``cluster.api.pki`` and ``cluster.api.kubeconfig``.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

from cluster.dburl import database_config
from cluster.secret_key import load_or_create_secret_key

REPO_ROOT = Path(__file__).resolve().parent.parent


_Number = TypeVar("_Number", int, float)


def _env_number(name: str, default: _Number) -> _Number:
    """An integer or a number (as ``default`` is) from the environment, else ``default``."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    kind = type(default)
    try:
        return kind(raw)
    except ValueError as e:
        what = "an integer" if kind is int else "a number"
        raise ImproperlyConfigured(f"{name} must be {what}, got {raw!r}") from e


CLUSTER_DATA_DIR = Path(os.environ.get("CLUSTER_DATA_DIR") or REPO_ROOT / ".cluster").resolve()
CLUSTER_DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("CLUSTER_SECRET_KEY") or load_or_create_secret_key(
    CLUSTER_DATA_DIR / "secret_key"
)
DEBUG = os.environ.get("CLUSTER_DEBUG") == "1"
# Clients reach the API by whatever name or address the node has (kubeconfig, agents, compose
# service names); like kube-apiserver we do not filter on Host. Narrow it with the variable.
ALLOWED_HOSTS = os.environ.get("CLUSTER_ALLOWED_HOSTS", "*").split(",")

CLUSTER_API_BIND = os.environ.get("CLUSTER_API_BIND", "127.0.0.1:6443")
# HTTPS with the generated CA unless this is set: plain HTTP is for debugging only, since
# bearer tokens then cross the network in the clear.
CLUSTER_API_INSECURE = os.environ.get("CLUSTER_API_INSECURE") == "1"
# Names and addresses the serving certificate carries besides loopback, localhost, the host
# name and the bind address, comma-separated (as k3s's --tls-san).
CLUSTER_API_SANS = [
    name.strip() for name in os.environ.get("CLUSTER_API_SANS", "").split(",") if name.strip()
]
CLUSTER_PKI_DIR = CLUSTER_DATA_DIR / "pki"
CLUSTER_KUBECONFIG = CLUSTER_DATA_DIR / "kubeconfig"
# Under ASGI every sync view of a process runs on one thread, so concurrency comes from
# processes (ARCHITECTURE.md).
CLUSTER_API_WORKERS = _env_number("CLUSTER_API_WORKERS", 4)
# Non-watch requests one API process works on or queues at once before answering 429, as
# kube-apiserver's --max-requests-inflight.
CLUSTER_API_MAX_REQUESTS_INFLIGHT = _env_number("CLUSTER_API_MAX_REQUESTS_INFLIGHT", 400)
# How much event-log history compaction keeps, as etcd's default of five minutes.
CLUSTER_STORE_COMPACTION_WINDOW_SECONDS = _env_number(
    "CLUSTER_STORE_COMPACTION_WINDOW_SECONDS", 300
)
# Where Service ClusterIPs and NodePorts come from (kube-apiserver's --service-cluster-ip-range
# and --service-node-port-range).
CLUSTER_SERVICE_CIDR = os.environ.get("CLUSTER_SERVICE_CIDR") or "10.96.0.0/12"
CLUSTER_NODE_PORT_RANGE = os.environ.get("CLUSTER_NODE_PORT_RANGE") or "30000-32767"

DATABASES = {
    "default": database_config(
        os.environ.get("DATABASE_URL") or f"sqlite:///{CLUSTER_DATA_DIR / 'cluster.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's file-system transport needs no server: producers and consumers share a folder.
    _broker_dir = CLUSTER_DATA_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables; kombu's default is ./control, wherever the process was started.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # How often an idle worker looks for messages (kombu: 1 s). Each hop of a chain of
        # reconciles (an RC scaled, its pods deleted, their Endpoints rewritten) waited up to
        # that long; a folder listing ten times a second costs the worker next to nothing.
        "polling_interval": 0.1,
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Controllers are level-triggered: a task only says "look at this key" and returns nothing.
CELERY_TASK_IGNORE_RESULT = True
# A message is acknowledged only once its reconcile finished; a worker that dies mid-task has
# it redelivered (after the visibility timeout on Redis).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}

# The control plane (kube-controller-manager's flags, in seconds unless named otherwise).
CLUSTER_CONTROLLER_RESYNC_SECONDS = _env_number("CLUSTER_CONTROLLER_RESYNC_SECONDS", 30.0)
CLUSTER_EVENT_TTL_SECONDS = _env_number("CLUSTER_EVENT_TTL_SECONDS", 3600.0)
CLUSTER_NODE_MONITOR_PERIOD_SECONDS = _env_number("CLUSTER_NODE_MONITOR_PERIOD_SECONDS", 5.0)
CLUSTER_NODE_MONITOR_GRACE_SECONDS = _env_number("CLUSTER_NODE_MONITOR_GRACE_SECONDS", 40.0)
# Pods get tolerations of not-ready and unreachable nodes for this long by default
# (kube-apiserver's --default-unreachable-toleration-seconds).
CLUSTER_DEFAULT_TOLERATION_SECONDS = _env_number("CLUSTER_DEFAULT_TOLERATION_SECONDS", 300)
CLUSTER_CIDR = os.environ.get("CLUSTER_CIDR") or "10.244.0.0/16"
CLUSTER_NODE_CIDR_MASK_SIZE = _env_number("CLUSTER_NODE_CIDR_MASK_SIZE", 24)
CLUSTER_TERMINATED_POD_GC_THRESHOLD = _env_number("CLUSTER_TERMINATED_POD_GC_THRESHOLD", 12500)
# Pod GC deletes the pods of a missing node this long after it first saw it missing (kube: 40 s).
CLUSTER_POD_GC_QUARANTINE_SECONDS = _env_number("CLUSTER_POD_GC_QUARANTINE_SECONDS", 40.0)

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
    "cluster.apps.ClusterConfig",
    "cluster.store.apps.StoreConfig",
    "cluster.api.apps.ApiConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves /static/ (the admin's CSS and JS, the API docs' assets) before anything else runs.
    "cluster.api.staticfiles.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session and auth middleware, whose session user it falls back to for reads.
    "cluster.api.authentication.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cluster.urls"
ASGI_APPLICATION = "cluster.asgi.application"
WSGI_APPLICATION = "cluster.wsgi.application"

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

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # BearerTokenMiddleware already refused every request without valid credentials (except
    # the public paths), so no default permission class is needed to keep anonymous users out.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cluster.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pilothouse",
    "DESCRIPTION": "A Kubernetes-compatible control plane.",
    "VERSION": "0.1.0",
    # Swagger UI and ReDoc assets come from the sidecar package: these machines are offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Kubernetes has one component per type: no "Patched<Type>" variant for PATCH bodies.
    "COMPONENT_SPLIT_PATCH": False,
    # Keep the order the serializers and operations are declared in, as kube-apiserver does.
    "SORT_OPERATION_PARAMETERS": False,
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from their packages (it indexes them once
# at start-up), so there is no collectstatic step and no STATIC_ROOT: the cluster serves its
# admin and API docs from a plain `pip install`, with DEBUG off (cluster.api.staticfiles).
WHITENOISE_USE_FINDERS = True
