"""Handing work to the Celery workers.

The tasks are named here and looked up in Celery's registry, so the modules that request,
issue and sweep letters never import `letters.tasks`: the tasks import them, never the reverse.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from celery import current_app
from django.conf import settings

logger = logging.getLogger(__name__)

ISSUE_LETTER = "letters.tasks.issue_letter"
ISSUE_LETTERS = "letters.tasks.issue_letters"
SEND_EMAIL = "letters.tasks.send_email"
# Published by a worker's consumer when it (re)connects to the broker (portal.celery).
CATCH_UP_AFTER_RECONNECT = "letters.tasks.catch_up_after_reconnect"
CATCH_UP_LOCK_SECONDS = 10


def enqueue(letter_id: int) -> bool:
    """Hand a letter to the workers. A broker outage is not the caller's problem: the letter
    is already stored as queued and the sweep enqueues it again once the broker is back."""
    return publish_or_log(ISSUE_LETTER, letter_id, what=f"letter {letter_id}")


def enqueue_many(letter_ids: list[int]) -> int:
    """Hand many letters to the workers in batches of LETTER_ISSUE_BATCH_SIZE: a worker claims
    and stores a batch in two transactions instead of two per letter (letters.issuing). Returns
    how many letters were handed out; the rest wait for the sweep, as with `enqueue`."""
    handed_out = 0
    for batch in issue_batches(letter_ids):
        if publish_or_log(ISSUE_LETTERS, batch, what=f"{len(batch)} letters"):
            handed_out += len(batch)
    return handed_out


def issue_batches(letter_ids: list[int]) -> Iterator[list[int]]:
    """The letters in batches of LETTER_ISSUE_BATCH_SIZE, as one worker issues them together."""
    size = settings.LETTER_ISSUE_BATCH_SIZE
    for start in range(0, len(letter_ids), size):
        yield list(letter_ids[start:start + size])


def publish_or_log(task_name: str, *args, what: str, then: str = "the sweep will pick it up") -> bool:
    """`publish`, but a broker outage is logged instead of raised: for callers whose work is
    already stored. `what` names it and `then` says what happens next, in the log; never with
    personal data."""
    try:
        publish(task_name, *args)
    except Exception as exc:  # kombu raises several kinds of connection errors
        logger.warning("Could not hand %s to the workers (%s); %s.", what, exc.__class__.__name__, then)
        return False
    return True


def publish(task_name: str, *args) -> None:
    """Send a task to the broker, failing at once when the broker cannot be reached.

    Left to itself kombu keeps reconnecting for several seconds before it gives up; the caller
    here is a request that has just recorded a condition, and the sweep makes up for a lost
    message anyway, so one connection attempt is all a publish gets.
    """
    app = current_app
    task = app.tasks[task_name]  # registered when the letters app is ready (apps.py)
    if app.conf.task_always_eager:  # no broker (the demo): run in-process
        task.apply_async(args)
        return
    with app.pool.acquire(block=True) as connection:
        connection.ensure_connection(max_retries=0)
        task.apply_async(args, connection=connection, retry=False)


def first_catch_up_in_a_while() -> bool:
    """Whether this catch-up is the first in CATCH_UP_LOCK_SECONDS against this Redis: several
    workers reconnect at once after an outage, and one catch-up is enough. True without Redis,
    or when Redis cannot say."""
    app = current_app
    url = app.conf.broker_url
    if not url or not url.startswith(("redis://", "rediss://", "unix://")):
        return True
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            # Per Redis run: the catch-up after a Redis restart is never skipped because of
            # one just before it (the lock may survive in the append-only file).
            run_id = client.info("server").get("run_id", "")
            key = f"portal:letters:catch-up:{app.conf.task_default_queue}:{run_id}"
            return bool(client.set(key, "1", nx=True, ex=CATCH_UP_LOCK_SECONDS))
        finally:
            client.close()
    except redis.RedisError:
        return True
