"""gunicorn for the web role (`docker/entrypoint.sh web`). Tuned by environment variables:
WEB_BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (processes, default 2), GUNICORN_THREADS
(threads per process, default 4), GUNICORN_TIMEOUT (seconds, default 30)."""

import os

from portal.logging import gunicorn_logconfig

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threaded workers: a page waits on PostgreSQL and Redis most of its time.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# The request lines come from portal.request_id (with the request id), not from gunicorn.
accesslog = None
# gunicornc's socket would go to $HOME, which the image's user does not have.
control_socket_disable = True
_production = os.environ.get("DJANGO_ENV") == "production"
logconfig_dict = gunicorn_logconfig(
    level=os.environ.get("LOG_LEVEL", "INFO"),
    json_lines=os.environ.get("LOG_FORMAT", "json" if _production else "plain") == "json",
)


def child_exit(server, worker):
    # A dead worker's live gauges must not be summed any more (portal.metrics).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
