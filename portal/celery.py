"""The Celery application. Configuration lives in Django settings under the CELERY_ prefix.

Operations (see the README, "Operating it"):

- Logging: Django's LOGGING (JSON lines, the BSN filter) stays in charge in the worker and beat;
  Celery does not install its own handlers.
- Request ids: a task published during a request (or another task) carries that request's id in
  a message header; the worker binds it while the task runs, so the task's log lines and the
  tasks it enqueues carry it too. A task without one (from beat) uses its own task id.
- Metrics: sweep runs and what they found, task failures and retries are counted for
  portal.metrics.
- Liveness: with HEARTBEAT_FILE set, a worker touches the file every HEARTBEAT_SECONDS while its
  consumer is connected to the broker, and beat on every tick; `python -m portal.health
  worker|beat` reads it. A worker whose consumer shows no sign of life for
  WORKER_STALL_EXIT_SECONDS (default 180) exits, so its supervisor restarts it.
- Database connections: a worker keeps its connection between tasks as a web process keeps it
  between requests (CONN_MAX_AGE, checked before and after each task; a broken one is replaced);
  Celery's own fixup would open a new one for every task (see CELERY_DB_REUSE_MAX).
- Catching up: every time a worker's consumer connects to the broker it publishes a catch-up
  sweep (what was published while the broker was away is not in it).
- One beat: `LeaderScheduler` holds a lock in Redis; a second beat (a second machine, a
  restarted container before the old one died) stands by and sends nothing until the lock
  expires.
"""

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler
from celery.signals import (
    before_task_publish,
    setup_logging,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
    worker_ready,
)
from django.db import close_old_connections

from . import request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.worker_hijack_root_logger = False
# Beat wakes at least this often, so its heartbeat and its leader lock stay fresh.
app.conf.beat_max_loop_interval = 15
app.conf.beat_scheduler = "portal.celery:LeaderScheduler"
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = float(os.environ.get("HEARTBEAT_SECONDS") or 15)
SWEEP_TASK = "letters.tasks.sweep_due_letters"


@setup_logging.connect
def _logging_from_django_settings(**kwargs):
    """With a receiver here Celery configures no logging of its own; Django's LOGGING applies."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


# --- Request ids ---------------------------------------------------------------------------------

@before_task_publish.connect
def _pass_on_the_request_id(headers=None, **kwargs):
    current = request_id.current()
    if current and headers is not None:
        headers.setdefault("request_id", current)


_bound: dict[str, tuple] = {}


@task_prerun.connect
def _bind_the_request_id(task_id=None, task=None, **kwargs):
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    chosen = incoming if request_id.acceptable(incoming) else (request_id.current() or task_id)
    _bound[task_id] = request_id.bind(chosen, task=(task_id, task.name if task is not None else "?"))


@task_postrun.connect
def _unbind_the_request_id(task_id=None, **kwargs):
    tokens = _bound.pop(task_id, None)
    if tokens is not None:
        # ValueError: bound in another context (should not happen); nothing to undo then.
        with contextlib.suppress(ValueError):
            request_id.unbind(tokens)


# --- Database connections ----------------------------------------------------------------------


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task=None, **kwargs):
    """What Django does around a request: close a connection past CONN_MAX_AGE or broken, keep
    one that is fine. Not for a task run eagerly inside a request (the demo without a broker):
    that request's transaction holds the connection."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    close_old_connections()


# --- Metrics ----------------------------------------------------------------------------------------

@task_success.connect
def _count_sweeps(sender=None, result=None, **kwargs):
    if sender is not None and sender.name == SWEEP_TASK:
        from . import metrics

        metrics.record_sweep(result if isinstance(result, dict) else None)


@task_failure.connect
def _count_failures(sender=None, **kwargs):
    from . import metrics

    metrics.record_task_failure(getattr(sender, "name", "unknown"))


@task_retry.connect
def _count_retries(sender=None, **kwargs):
    from . import metrics

    metrics.record_task_retry(getattr(sender, "name", "unknown"))


# --- Liveness: the heartbeat ----------------------------------------------------------------------

def touch_heartbeat(path: str | None = None) -> None:
    path = path or os.environ.get("HEARTBEAT_FILE")
    if not path:
        return
    try:
        Path(path).touch()
    except OSError:
        logger.warning("could not touch the heartbeat file %s", path, exc_info=True)


# When the consumer last showed it was alive (monotonic seconds): read by the watchdog.
_consumer_alive_at: float | None = None


def _consumer_beat(path: str | None) -> None:
    global _consumer_alive_at
    _consumer_alive_at = time.monotonic()
    if path:
        touch_heartbeat(path)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer step: it runs only while the worker is connected to the broker and its event
    loop turns, which is what "alive" means for a worker."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.path = os.environ.get("HEARTBEAT_FILE")
        self.timer_ref = None

    def start(self, consumer):
        _consumer_beat(self.path)
        self.timer_ref = consumer.timer.call_repeatedly(HEARTBEAT_SECONDS, _consumer_beat, (self.path,))

    def stop(self, consumer):
        # Connection lost or shutting down: the heartbeat goes stale.
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None

    def shutdown(self, consumer):
        self.stop(consumer)
        if self.path:
            Path(self.path).unlink(missing_ok=True)


def _watch_the_consumer(stall_seconds: float) -> None:
    """The worker's watchdog (a thread of the main process): when the consumer has shown no
    sign of life for `stall_seconds` (not connected to the broker, or its event loop stuck),
    the worker exits, and whatever supervises it (compose `restart:`) starts a fresh one. A
    worker that is still running but no longer consumes is the one failure a restart policy
    cannot see by itself."""
    interval = max(0.5, min(5.0, stall_seconds / 4))
    while True:
        time.sleep(interval)
        alive_at = _consumer_alive_at
        if alive_at is not None and time.monotonic() - alive_at > stall_seconds:
            logger.critical("worker: the consumer has been stalled or disconnected for more than %.0f s; "
                            "exiting so the worker is restarted", stall_seconds)
            logging.shutdown()
            os._exit(70)


@worker_ready.connect
def _start_the_watchdog(**kwargs):
    stall_seconds = float(os.environ.get("WORKER_STALL_EXIT_SECONDS") or 180)
    if stall_seconds > 0:
        threading.Thread(target=_watch_the_consumer, args=(stall_seconds,), name="consumer-watchdog",
                         daemon=True).start()


app.steps["consumer"].add(WorkerHeartbeat)


# --- Catching up after the broker was away ------------------------------------------------------

CATCH_UP_TASK = "letters.tasks.catch_up_after_reconnect"


class CatchUpOnConnect(bootsteps.StartStopStep):
    """A consumer step: started when the worker connects to the broker, and again every time it
    reconnects. Whatever was published while the broker was away (or lost with a Redis that
    restarted without its data) is not in the queue; the catch-up sweep hands it out again now
    instead of at the next sweep after the queued grace period."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer):
        if os.environ.get("PORTAL_CATCH_UP_ON_CONNECT", "1") == "0":
            return
        try:
            # The consumer's connection is the one that just came up; a pooled publishing
            # connection may still be the dead one from before the outage.
            consumer.app.send_task(CATCH_UP_TASK, connection=consumer.connection, retry=False)
        except Exception:
            logger.warning("could not publish the catch-up sweep; the next sweep catches up", exc_info=True)


app.steps["consumer"].add(CatchUpOnConnect)


# --- One beat ----------------------------------------------------------------------------------------

_EXTEND_IF_MINE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_IF_MINE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class LeaderScheduler(PersistentScheduler):
    """Beat's scheduler, sending only while it holds the leader lock in Redis.

    The lock lives BEAT_LOCK_SECONDS (default 60) and is renewed on every tick (at most every
    15 s), so a second beat takes over within a minute after the first one died. Without a
    broker (tasks run in-process) there is nothing to lock and it always leads.
    """

    lock_key = "portal:beat:leader"

    def __init__(self, *args, **kwargs):
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lock_ms = int(float(os.environ.get("BEAT_LOCK_SECONDS") or 60) * 1000)
        self.leading = None
        self._client = None
        super().__init__(*args, **kwargs)

    def _redis(self):
        url = self.app.conf.broker_url
        if not url or not url.startswith(("redis://", "rediss://", "unix://")):
            return None
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        return self._client

    def is_leader(self) -> bool:
        client = self._redis()
        if client is None:
            return True
        try:
            leading = bool(client.set(self.lock_key, self.identity, nx=True, px=self.lock_ms)
                           or client.eval(_EXTEND_IF_MINE, 1, self.lock_key, self.identity, self.lock_ms))
        except Exception:
            logger.warning("beat: Redis unreachable, sending nothing until it answers", exc_info=True)
            leading = False
        if leading != self.leading:
            holder = None if leading else self._holder(client)
            logger.info("beat: %s", "leading: this beat sends the schedule" if leading
                        else f"standing by: {holder or 'another beat'} holds the lock")
            self.leading = leading
        return leading

    def _holder(self, client):
        try:
            value = client.get(self.lock_key)
            return value.decode() if value else None
        except Exception:
            return None

    def tick(self, *args, **kwargs):
        touch_heartbeat()
        if not self.is_leader():
            return min(self.max_interval, self.lock_ms / 3000)
        return super().tick(*args, **kwargs)

    def close(self):
        client = self._redis()
        if client is not None and self.leading:
            try:
                client.eval(_RELEASE_IF_MINE, 1, self.lock_key, self.identity)
            except Exception:
                logger.warning("beat: could not release the leader lock", exc_info=True)
        heartbeat = os.environ.get("HEARTBEAT_FILE")
        if heartbeat:
            Path(heartbeat).unlink(missing_ok=True)
        super().close()
