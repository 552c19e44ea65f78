"""Health for operators and orchestrators.

- `/health/live`: the process answers. No dependency is touched, so a database outage never
  makes an orchestrator restart healthy web processes.
- `/health/ready` (and `/health/`, its old name): this process can serve: the database answers
  and all migrations are applied, the broker and the cache (when Redis) answer, and the letter
  storage takes a write. 503 with the failing check named otherwise; never an error text, which
  could carry a connection string.
- `/metrics`: portal.metrics.

`InternalEndpointsMiddleware` answers these paths before host validation and the HTTPS
redirect: health checks and scrapers call the container by its internal name over plain HTTP
(`http://web:8000/health/ready`), which is neither an allowed host nor https. They build no
URLs and set no cookies, so the Host header cannot be abused through them.

Worker and beat have no HTTP server: they touch a heartbeat file (portal.celery), and
`python -m portal.health worker|beat` (the entrypoint's `health` role) says whether it is fresh.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid

from django.http import JsonResponse

logger = logging.getLogger(__name__)

# Until the database says all migrations are applied, every probe asks again; after that this
# process never needs to (its code cannot need more migrations than it shipped with).
_migrations_applied = False


def live(request):
    return _no_store(JsonResponse({"status": "ok"}))


def ready(request):
    checks = {
        "database": _check(_database),
        "migrations": _check(_migrations),
        "broker": _check(_broker),
        "cache": _check(_cache),
        "letter_storage": _check(_letter_storage),
    }
    healthy = all(result in {"ok", "not used"} for result in checks.values())
    return _no_store(JsonResponse({"status": "ok" if healthy else "unavailable", "checks": checks},
                                  status=200 if healthy else 503))


def _no_store(response):
    response["Cache-Control"] = "no-cache, no-store, must-revalidate, max-age=0"
    return response


def _check(probe) -> str:
    try:
        return probe()
    except Exception:
        # The reason goes to the log (redacted, with the request id), not to the caller.
        logger.warning("readiness check %s failed", probe.__name__.strip("_"), exc_info=True)
        return "unavailable"


def _database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _migrations() -> str:
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "pending"
    _migrations_applied = True
    return "ok"


def _redis_ping(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _broker() -> str:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "not used"  # tasks run in-process (the demo)
    return _redis_ping(settings.CELERY_BROKER_URL)


def _cache() -> str:
    from django.core.cache import cache

    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    return "ok" if value == "ok" else "unavailable"


def _letter_storage() -> str:
    from django.core.files.base import ContentFile

    from letters.storage import letter_storage

    storage = letter_storage()
    name = storage.save(f".health/{uuid.uuid4().hex}", ContentFile(b"ok"))
    storage.delete(name)
    return "ok"


INTERNAL_ENDPOINTS = {
    "/health/live": ("health_live", live),
    "/health/ready": ("health_ready", ready),
    "/health/": ("health", ready),
}


class InternalEndpointsMiddleware:
    """Second in MIDDLEWARE (after the request id): answers health and metrics whatever the
    Host header and scheme, before SecurityMiddleware would redirect to https and before
    CommonMiddleware would refuse the host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        endpoint = INTERNAL_ENDPOINTS.get(path) or INTERNAL_ENDPOINTS.get(path.rstrip("/"))
        if endpoint is None and path.rstrip("/") == "/metrics":
            from . import metrics

            endpoint = ("metrics", metrics.metrics_view)
        if endpoint is None:
            return self.get_response(request)
        request.endpoint_name, view = endpoint
        if request.method not in {"GET", "HEAD"}:
            response = JsonResponse({"status": "method not allowed"}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)


# --- worker and beat: the heartbeat ---------------------------------------------------------------

DEFAULT_HEARTBEAT_MAX_AGE = 90.0


def heartbeat_age(path: str) -> float | None:
    """Seconds since the heartbeat file was last touched, or None when there is none."""
    try:
        return max(0.0, time.time() - os.stat(path).st_mtime)
    except FileNotFoundError:
        return None


def main(argv: list[str]) -> int:
    """`python -m portal.health worker|beat [heartbeat file]`: exit 0 when the heartbeat is fresh.

    The file defaults to $HEARTBEAT_FILE; a heartbeat older than $HEARTBEAT_MAX_AGE seconds
    (default 90) means the process is stuck, even though it still runs.
    """
    if not argv or argv[0] not in {"worker", "beat"}:
        print("usage: python -m portal.health worker|beat [heartbeat file]", file=sys.stderr)
        return 2
    path = argv[1] if len(argv) > 1 else os.environ.get("HEARTBEAT_FILE", "")
    if not path:
        print("no heartbeat file: set HEARTBEAT_FILE", file=sys.stderr)
        return 2
    max_age = float(os.environ.get("HEARTBEAT_MAX_AGE") or DEFAULT_HEARTBEAT_MAX_AGE)
    age = heartbeat_age(path)
    if age is None:
        print(f"{argv[0]}: no heartbeat yet ({path})")
        return 1
    if age > max_age:
        print(f"{argv[0]}: heartbeat is {age:.0f} s old (more than {max_age:.0f} s)")
        return 1
    print(f"{argv[0]}: alive, heartbeat {age:.0f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
