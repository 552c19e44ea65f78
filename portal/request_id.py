"""One request id for everything a request causes: its log lines, and the Celery tasks it
enqueues and their log lines in the worker (portal.celery passes it on in a message header).

The id comes from the TLS proxy's `X-Request-ID` when it sent a sane one (so the proxy's access
log and ours can be joined), otherwise it is made here; the response carries it back. Outside a
request (a worker's task, beat, a management command) the id is whatever was bound there.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import time
import uuid

HEADER = "X-Request-ID"
# What a proxy's id looks like (nginx's $request_id, a UUID, a trace id); anything else is
# replaced, so a client cannot put arbitrary text into every log line.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
# Probes and scrapes would drown the request lines; they are logged at DEBUG.
QUIET_PATHS = ("/health/", "/health/live", "/health/ready", "/metrics")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_task: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("celery_task", default=None)

logger = logging.getLogger("portal.request")


def new_request_id() -> str:
    return uuid.uuid4().hex


def acceptable(value: str | None) -> bool:
    return bool(value) and _ACCEPTABLE.match(value) is not None


def current() -> str | None:
    """The request id of the running request or task, or None."""
    return _request_id.get()


def current_task() -> tuple[str, str] | None:
    """(task id, task name) of the running Celery task, or None."""
    return _task.get()


@contextlib.contextmanager
def bound(request_id: str | None = None, *, task: tuple[str, str] | None = None):
    """Bind a request id (a new one when None) for the duration of the block."""
    request_token = _request_id.set(request_id or new_request_id())
    task_token = _task.set(task) if task is not None else None
    try:
        yield _request_id.get()
    finally:
        if task_token is not None:
            _task.reset(task_token)
        _request_id.reset(request_token)


def bind(request_id: str | None, *, task: tuple[str, str] | None = None) -> tuple:
    """Bind without a block (Celery's prerun/postrun signals); `unbind` with what this returns."""
    return _request_id.set(request_id or new_request_id()), _task.set(task)


def unbind(tokens: tuple) -> None:
    request_token, task_token = tokens
    _task.reset(task_token)
    _request_id.reset(request_token)


class RequestIdMiddleware:
    """First in MIDDLEWARE: binds the id, times the request, logs one line when it is done and
    records its latency (portal.metrics)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER)
        request_id = incoming if acceptable(incoming) else new_request_id()
        request.request_id = request_id
        started = time.perf_counter()
        with bound(request_id):
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            self._record(request, response, seconds)
        return response

    @staticmethod
    def _record(request, response, seconds: float) -> None:
        from . import metrics

        match = getattr(request, "resolver_match", None)
        # The internal endpoints answer before URL resolution and name themselves.
        view = getattr(request, "endpoint_name", None) or (
            match.view_name if match is not None and match.view_name else "<unresolved>")
        metrics.observe_request(request.method, view, response.status_code, seconds)
        quiet = request.path in QUIET_PATHS
        # The path, never the query string: queries can hold personal data (a reason, a filter).
        logger.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s %.1f ms",
                   request.method, request.path, response.status_code, seconds * 1000,
                   extra={"http_method": request.method, "path": request.path, "view": view,
                          "status": response.status_code, "duration_ms": round(seconds * 1000, 1)})
