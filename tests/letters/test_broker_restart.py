"""Workers and a Redis that goes away: a Redis of the test's own (tests/letters/workers.py,
`RedisServer`) killed and started again under a real worker while letters fail and are retried,
and a worker whose broker stays away exits so that its supervisor restarts it.
"""

from __future__ import annotations

import os
import uuid

import pytest
from django.db import connection

from letters import sweep
from letters.models import Letter, LetterStatus
from portal.celery import app

from .conftest import bulk_ready_people
from .test_worker_reliability import LEASE_SECONDS, LetterWorkers, issued_count
from .workers import RedisServer, database_url, publishing_to, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def workers_on_own_redis(own_redis, transactional_db, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("worker tests need PostgreSQL (set DATABASE_URL): workers share the test database")
    queue = f"letters-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    settings.LETTER_RENDER_LEASE_SECONDS = LEASE_SECONDS
    workers = LetterWorkers(own_redis.url, queue, database_url(connection.settings_dict), tmp_path)
    try:
        with publishing_to(app, own_redis.url, queue):
            yield workers
    finally:
        for worker in workers.started:
            worker.kill()
        for worker in workers.started:  # shown only when the test failed
            print(f"--- {worker.name} ---\n{worker.log()[-6000:]}")


def test_a_worker_survives_a_redis_restart_while_letters_fail_and_are_retried_and_keeps_issuing(
        workers_on_own_redis, own_redis, settings, tmp_path):
    flag = tmp_path / "template-broken"
    flag.touch()
    first = bulk_ready_people(6, surnames={0: "Onleesbaar"})
    worker = workers_on_own_redis.start("w1", PORTAL_CATCH_UP_ON_CONNECT="1", LETTER_TEST_BROKEN_SURNAME="Onleesbaar",
                                        LETTER_TEST_BREAK_FLAG=str(flag))
    worker.wait_ready()
    sweep.sweep()
    wait_until(lambda: issued_count() == 5, timeout=60, message="the 5 letters that render")
    broken = Letter.objects.get(newcomer_id=first[0])
    assert broken.status == LetterStatus.FAILED

    # Beat's sweep retries the failed letter over and over (no retry waits in the worker)…
    settings.LETTER_QUICK_RETRY_SECONDS = 0
    settings.LETTER_MAX_AUTO_RETRIES = 1000
    for _ in range(3):
        attempts = Letter.objects.get(pk=broken.pk).attempts
        sweep.sweep()
        wait_until(lambda: Letter.objects.get(pk=broken.pk).attempts > attempts
                   and Letter.objects.get(pk=broken.pk).status == LetterStatus.FAILED,
                   timeout=30, message="another failed attempt")
    # …and while it does, Redis is killed and comes back 3 s later.
    sweep.sweep()
    own_redis.restart(down_seconds=3)

    # People ready while Redis was down, and after: the worker is still there and issues theirs.
    second = bulk_ready_people(3, first_bsn=30_000_000)
    sweep.sweep()
    wait_until(lambda: issued_count() == 8, timeout=60, message="the letters after the restart")
    assert worker.process.poll() is None, "the worker died with the Redis restart"
    assert "Unrecoverable error" not in worker.log()

    # The template is repaired: the next sweep issues the failed letter too.
    flag.unlink()
    sweep.sweep()
    wait_until(lambda: issued_count() == 9, timeout=60, message="the repaired letter")
    assert set(Letter.objects.filter(status=LetterStatus.ISSUED).values_list("newcomer_id", flat=True)) == {
        *first, *second}
    assert worker.process.poll() is None


def test_letters_recorded_while_redis_was_down_are_caught_up_when_the_worker_reconnects(
        workers_on_own_redis, own_redis, new_ready_newcomer):
    worker = workers_on_own_redis.start("w1", PORTAL_CATCH_UP_ON_CONNECT="1")
    worker.wait_ready()
    own_redis.kill()
    newcomer = new_ready_newcomer(bsn="111222333")  # the letter is queued; publishing it fails
    assert Letter.objects.get(newcomer=newcomer).status == LetterStatus.QUEUED
    own_redis.start()
    # No sweep, and the queued grace period (30 s) is not over: the catch-up on reconnecting
    # hands the letter out.
    wait_until(lambda: issued_count() == 1, timeout=25, message="the letter after the reconnect")
    assert worker.process.poll() is None


def test_a_worker_whose_broker_stays_away_exits_so_it_is_restarted(workers_on_own_redis, own_redis):
    worker = workers_on_own_redis.start("w1", WORKER_STALL_EXIT_SECONDS="4", HEARTBEAT_SECONDS="1")
    worker.wait_ready()
    own_redis.kill()
    wait_until(lambda: worker.process.poll() is not None, timeout=40, message="the worker to exit")
    assert worker.process.returncode == 70
    assert "exiting so the worker is restarted" in worker.log()
