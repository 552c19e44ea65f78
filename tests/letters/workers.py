"""Real Celery worker processes for the reliability tests, and the plumbing around them.

Run as a module (`python -m tests.letters.workers worker ...`) this file *is* the worker: the
ordinary `celery worker` of our app, with three test-only additions, all switched on by
environment variables so that one harness serves every scenario:

- ``LETTER_TEST_QUEUE``: the queue the worker's own follow-up tasks (retries, e-mails) go to, so
  a test run never meets messages of another run on the same Redis;
- ``LETTER_TEST_SLOW_SURNAME``: rendering that person's letter takes a few seconds, long enough
  to kill the worker in the middle of it;
- ``LETTER_TEST_BROKEN_SURNAME`` with ``LETTER_TEST_BREAK_FLAG`` (a file): while the file
  exists, rendering that person's letter fails, as a broken template or font would;
- ``LETTER_TEST_SMTP_PORT``: e-mail goes over SMTP to the test's server on that port.

Both faults wrap the real renderer; everything else (database, broker, tasks) is the real thing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SLOW_RENDER_SECONDS = 3.0
_PR_SET_PDEATHSIG = 1


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.2,
               message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")
        time.sleep(interval)


# --- Where the workers connect ----------------------------------------------------------------


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server, another database index."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, ""))


def database_url(db_settings: dict) -> str:
    """A DATABASE_URL for the database these settings point at (during a test run: the test
    database pytest-django created), so worker processes share it with the test."""
    user = quote(db_settings.get("USER") or "", safe="")
    password = quote(db_settings.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db_settings.get("HOST") or "127.0.0.1"
    port = db_settings.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{quote(db_settings['NAME'], safe='')}"


def purge_queue(broker_url: str, queue: str) -> None:
    """Drop this run's queue and its routing entries from Redis."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    # A killed worker's message waits in kombu's "unacked" hash to be put back on the queue
    # after the visibility timeout; take ours out so it does not come back later.
    for tag, entry in client.hscan_iter("unacked"):
        if queue.encode() in entry:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@contextlib.contextmanager
def publishing_to(app, broker_url: str, queue: str):
    """Make this (test) process publish tasks to `broker_url` / `queue`, then put the app back.

    Celery takes the broker from the CELERY_BROKER_URL environment variable before any
    setting, and keeps connection pools and the routing table once built; so the variable is
    set too, and the cached pieces are dropped.
    """
    saved = {key: app.conf[key] for key in ("broker_url", "task_default_queue", "task_always_eager")}
    saved_env = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.update(broker_url=broker_url, task_default_queue=queue, task_always_eager=False)
    _drop_publisher_caches(app)
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.update(saved)
        _drop_publisher_caches(app)


def _drop_publisher_caches(app) -> None:
    # kombu keeps one pool per broker URL for the whole process: leave it open, forget it here.
    app._pool = None
    app.__dict__.pop("amqp", None)  # queues, exchange, router and task sender, built again on use


# --- The worker processes -----------------------------------------------------------------------


class WorkerProcess:
    """One `celery worker` (prefork, concurrency 1) in its own process group, logging to a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path):
        self.name = name
        self.env = env
        self.log_path = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        command = [
            sys.executable, "-m", "tests.letters.workers", "worker",
            "--pool=prefork", "--concurrency=1", "-Q", self.env["LETTER_TEST_QUEUE"],
            "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--loglevel=INFO",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 60) -> None:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(f"worker {self.name} exited early:\n{self.log()[-3000:]}")
            return " ready." in self.log()

        wait_until(ready, timeout, message=f"worker {self.name} to start")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool child, no clean-up."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def worker_environment(*, database: str, broker_url: str, queue: str, storage_root: Path,
                       **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": broker_url,
        "PRIVATE_STORAGE_ROOT": str(storage_root),
        "LETTER_TEST_QUEUE": queue,
        "LOG_LEVEL": "INFO",  # the task lines ("succeeded") show which worker did what
    }
    env.update(extra)
    return env


# --- Running as the worker ------------------------------------------------------------------------


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies, so no worker outlives a test
    run that was itself killed."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _install_faults() -> None:
    from letters import rendering

    slow = os.environ.get("LETTER_TEST_SLOW_SURNAME")
    broken = os.environ.get("LETTER_TEST_BROKEN_SURNAME")
    flag = os.environ.get("LETTER_TEST_BREAK_FLAG")
    if not (slow or broken):
        return
    real_render = rendering.render_letter_pdf

    def render_with_faults(letter):
        surname = letter.newcomer.surname
        if broken and surname == broken and flag and Path(flag).exists():
            raise rendering.LetterRenderingError(f"letter {letter.reference}: template could not be rendered")
        if slow and surname == slow:
            time.sleep(SLOW_RENDER_SECONDS)
        return real_render(letter)

    rendering.render_letter_pdf = render_with_faults


def _on_pool_child_start(**_kwargs) -> None:
    _die_with_parent()
    _install_faults()


def _send_mail_to_the_test_server() -> None:
    """With LETTER_TEST_SMTP_PORT, mail goes over SMTP to the test's server on the loopback
    interface (the test settings keep it in memory otherwise)."""
    port = os.environ.get("LETTER_TEST_SMTP_PORT")
    if not port:
        return
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(port)
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def main(argv: list[str]) -> None:
    _die_with_parent()
    from celery.signals import worker_process_init

    from portal.celery import app

    _send_mail_to_the_test_server()

    app.conf.task_default_queue = os.environ["LETTER_TEST_QUEUE"]
    worker_process_init.connect(_on_pool_child_start, weak=False)
    app.worker_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])


# --- A Redis of the test's own, to stop and start -------------------------------------------------


class RedisServer:
    """A `redis-server` on a free local port, append-only like production's (queued messages
    survive a restart), that a test may kill and start again on the same port and data."""

    def __init__(self, data_dir: Path, port: int | None = None):
        self.data_dir = data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port(6390)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        for _ in range(5):
            command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
                       "--appendonly", "yes", "--save", "", "--protected-mode", "no"]
            with open(self.data_dir / "redis.log", "ab") as log:
                self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)
            wait_until(lambda: redis_reachable(self.url) or self.process.poll() is not None, 10,
                       message=f"redis on port {self.port}")
            time.sleep(0.2)
            if self.process.poll() is None and redis_reachable(self.url):
                return self
            # Another test's Redis took the port between our probe and our start: another port.
            self.process.wait(timeout=10)
            self.port = free_port(6390)
        raise RuntimeError("could not start redis-server")

    def kill(self) -> None:
        """SIGKILL, as a crashed or OOM-killed Redis goes; what was written is in the append-only file."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self, down_seconds: float) -> None:
        self.kill()
        time.sleep(down_seconds)
        self.start()


def free_port(start: int) -> int:
    """A port from `start` on that nobody listens on, picked at random so that tests running
    at the same time rarely pick the same one."""
    import random
    import socket

    for port in random.SystemRandom().sample(range(start, start + 400), 400):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")
