"""Prometheus metrics at `/metrics`, behind a bearer token (METRICS_TOKEN; the endpoint answers
404 while no token is set).

Three sources, so that one scrape of any web replica tells the state of the whole service:

- Per web process: request latency and counts by view (prometheus_client; in gunicorn's
  multiprocess mode all workers of the replica are summed, see PROMETHEUS_MULTIPROC_DIR in the
  entrypoint). Scrape every replica for these.
- The database, read at scrape time (at most every METRICS_STATE_SECONDS): letters by status and
  the age of the oldest queued letter. Durable state, so the same on every replica.
- Events in the workers and beat (sweep runs and what they found, task failures and retries):
  counters in Redis (METRICS_REDIS_URL, by default the broker), shared by every process on every
  machine. Without Redis (the demo) they count in this process only.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds", "Time from the first middleware to the response, by view.",
    ["method", "view"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
REQUESTS = Counter("portal_http_requests", "Responses by view and status code.", ["method", "view", "status"])

SHARED_COUNTERS_KEY = "portal:metrics"
_SWEEP_KINDS = ("requested", "dispatched", "issued", "emails")


def observe_request(method: str, view: str, status: int, seconds: float) -> None:
    method = method if method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} else "other"
    REQUEST_SECONDS.labels(method, view).observe(seconds)
    REQUESTS.labels(method, view, str(status)).inc()


# --- Shared counters (Redis) ------------------------------------------------------------------------

_local_counters: dict[str, float] = {}
_local_lock = threading.Lock()
_redis_clients: dict[str, object] = {}


def _redis():
    from django.conf import settings

    url = getattr(settings, "METRICS_REDIS_URL", "")
    if not url:
        return None
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _redis_clients[url]


def _add(field: str, amount: float = 1) -> None:
    client = _redis()
    if client is not None:
        try:
            client.hincrbyfloat(SHARED_COUNTERS_KEY, field, amount)
            return
        except Exception:
            # A metric is never worth a failed task; the count is lost, the line says so.
            logger.warning("metrics: could not count %s in Redis", field, exc_info=True)
            return
    with _local_lock:
        _local_counters[field] = _local_counters.get(field, 0) + amount


def _set(field: str, value: float) -> None:
    client = _redis()
    if client is not None:
        try:
            client.hset(SHARED_COUNTERS_KEY, field, value)
        except Exception:
            logger.warning("metrics: could not set %s in Redis", field, exc_info=True)
        return
    with _local_lock:
        _local_counters[field] = value


def shared_values() -> dict[str, float]:
    client = _redis()
    if client is None:
        with _local_lock:
            return dict(_local_counters)
    raw = client.hgetall(SHARED_COUNTERS_KEY)
    return {key.decode(): float(value) for key, value in raw.items()}


def record_sweep(found: dict | None) -> None:
    """One run of the letter sweep (beat's `sweep_due_letters`) and what it found."""
    _add("sweep_runs")
    for kind, count in (found or {}).items():
        if kind in _SWEEP_KINDS and count:
            _add(f"sweep_found|{kind}", count)
    _set("sweep_last_run", time.time())


def record_task_failure(task_name: str) -> None:
    _add(f"task_failures|{task_name}")


def record_task_retry(task_name: str) -> None:
    _add(f"task_retries|{task_name}")


# --- What the scrape reads ------------------------------------------------------------------------

_state_cache: tuple[float, list] | None = None
_state_lock = threading.Lock()


def _letter_state_families() -> list:
    from django.db.models import Count, Min
    from django.utils import timezone

    from letters.models import Letter, LetterStatus

    by_status = dict(Letter.objects.order_by().values_list("status").annotate(n=Count("id")))
    letters = GaugeMetricFamily("portal_letters", "Letters by status (from the database).", labels=["status"])
    for status in LetterStatus.values:
        letters.add_metric([status], by_status.get(status, 0))
    oldest = Letter.objects.filter(status=LetterStatus.QUEUED).aggregate(oldest=Min("queued_at"))["oldest"]
    age = GaugeMetricFamily("portal_letters_oldest_queued_age_seconds",
                            "Age of the oldest letter still queued; 0 when none is.")
    age.add_metric([], max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0)
    return [letters, age]


def _cached_letter_state() -> list:
    from django.conf import settings

    global _state_cache
    with _state_lock:
        now = time.monotonic()
        if _state_cache is None or now - _state_cache[0] > settings.METRICS_STATE_SECONDS:
            _state_cache = (now, _letter_state_families())
        return _state_cache[1]


def _shared_families(values: dict[str, float]) -> list:
    runs = CounterMetricFamily("portal_letter_sweep_runs", "Runs of the letter sweep (all workers).")
    runs.add_metric([], values.get("sweep_runs", 0))
    found = CounterMetricFamily("portal_letter_sweep_found",
                                "What the sweeps found and handed on, by kind (all workers).", labels=["kind"])
    for kind in _SWEEP_KINDS:
        found.add_metric([kind], values.get(f"sweep_found|{kind}", 0))
    last = GaugeMetricFamily("portal_letter_sweep_last_run_timestamp_seconds",
                             "When the letter sweep last finished (Unix time); 0 before the first run.")
    last.add_metric([], values.get("sweep_last_run", 0))
    failures = CounterMetricFamily("portal_celery_task_failures",
                                   "Celery tasks that ended in an error, by task (all workers).", labels=["task"])
    retries = CounterMetricFamily("portal_celery_task_retries",
                                  "Celery tasks that were retried, by task (all workers).", labels=["task"])
    for field, value in sorted(values.items()):
        kind, _, task = field.partition("|")
        if kind == "task_failures":
            failures.add_metric([task], value)
        elif kind == "task_retries":
            retries.add_metric([task], value)
    return [runs, found, last, failures, retries]


class _Families:
    def __init__(self, families):
        self.families = families

    def collect(self):
        yield from self.families


def render() -> bytes:
    """The whole exposition: this process (or this replica's gunicorn workers), the database
    state and the shared counters."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = REGISTRY
    families = []
    up = GaugeMetricFamily("portal_metrics_source_up", "1 when the source could be read for this scrape.",
                           labels=["source"])
    for source, read in (("database", _cached_letter_state), ("redis", lambda: _shared_families(shared_values()))):
        try:
            families.extend(read())
            up.add_metric([source], 1)
        except Exception:
            logger.warning("metrics: could not read the %s", source, exc_info=True)
            up.add_metric([source], 0)
    families.append(up)
    state_registry = CollectorRegistry()
    state_registry.register(_Families(families))
    return generate_latest(process_registry) + generate_latest(state_registry)


def metrics_view(request):
    from django.conf import settings
    from django.http import HttpResponse, JsonResponse

    token = settings.METRICS_TOKEN
    if not token:
        return JsonResponse({"status": "metrics are off (METRICS_TOKEN is not set)"}, status=404)
    supplied = request.headers.get("Authorization", "")
    if not hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode()):
        response = JsonResponse({"status": "unauthorised"}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
