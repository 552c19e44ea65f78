"""Exactly one start-date letter per person with real workers, a real broker and a real database.

Each test starts `celery worker` processes against the test database and Redis, and then does
what goes wrong in operation: several workers and the sweep on the same letters, a worker killed
in the middle of a batch, Redis down while a condition is recorded, a letter that fails to render.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from integration import services as case
from integration.models import Newcomer
from letters import sweep
from letters.models import Letter, LetterEvent, LetterKind, LetterStatus
from letters.publish import enqueue, enqueue_many
from portal.celery import app

from .conftest import REGISTERED_ON, utrecht
from .workers import (
    WorkerProcess,
    database_url,
    publishing_to,
    purge_queue,
    redis_reachable,
    wait_until,
    with_redis_db,
    worker_environment,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Redis database index used only by these tests, away from the broker's own index.
WORKER_TEST_REDIS_DB = 13
LEASE_SECONDS = 5


@dataclass
class LetterWorkers:
    broker_url: str
    queue: str
    database: str
    storage_root: Path
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, name: str, **faults: str) -> WorkerProcess:
        env = worker_environment(
            database=self.database, broker_url=self.broker_url, queue=self.queue,
            storage_root=self.storage_root, LETTER_RENDER_LEASE_SECONDS=str(LEASE_SECONDS),
            LETTER_MAX_AUTO_RETRIES="0", **{"PORTAL_CATCH_UP_ON_CONNECT": "0", **faults},
        )
        worker = WorkerProcess(f"{name}-{len(self.started)}", env, self.storage_root).start()
        self.started.append(worker)
        return worker


@pytest.fixture
def letter_workers(transactional_db, settings, tmp_path):
    """Starts workers on demand; kills every one of them afterwards, whatever happened."""
    if connection.vendor != "postgresql":
        pytest.skip("worker tests need PostgreSQL (set DATABASE_URL): workers share the test database")
    if not settings.CELERY_BROKER_URL:
        pytest.skip("worker tests need a Redis broker (set CELERY_BROKER_URL)")
    broker_url = with_redis_db(settings.CELERY_BROKER_URL, WORKER_TEST_REDIS_DB)
    if not redis_reachable(broker_url):
        pytest.skip(f"worker tests need Redis, which does not answer at {settings.CELERY_BROKER_URL}")
    # A queue of this run's own: a concurrent run on the same Redis cannot take our messages.
    queue = f"letters-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    purge_queue(broker_url, queue)
    settings.LETTER_RENDER_LEASE_SECONDS = LEASE_SECONDS
    workers = LetterWorkers(broker_url, queue, database_url(connection.settings_dict), tmp_path)
    try:
        with publishing_to(app, broker_url, queue):
            yield workers
    finally:
        for worker in workers.started:
            worker.kill()
        for worker in workers.started:  # shown only when the test failed
            print(f"--- {worker.name} ---\n{worker.log()[-4000:]}")
        purge_queue(broker_url, queue)


def start_all(workers: LetterWorkers, *names: str, **faults: str) -> list[WorkerProcess]:
    started = [workers.start(name, **faults) for name in names]
    for worker in started:
        worker.wait_ready()
    return started


def issued_count() -> int:
    return Letter.objects.filter(status=LetterStatus.ISSUED).count()


def queue_length(workers: LetterWorkers) -> int:
    import redis

    return redis.Redis.from_url(workers.broker_url).llen(workers.queue)


def wait_for_quiet(seconds: float = 2.0, timeout: float = 60) -> None:
    """Wait until no letter has been issued for `seconds`: the workers have nothing left to do."""
    last = {"count": -1, "since": time.monotonic()}

    def quiet():
        count = issued_count()
        if count != last["count"]:
            last.update(count=count, since=time.monotonic())
        return time.monotonic() - last["since"] >= seconds

    wait_until(quiet, timeout, message="the workers to finish")


def assert_each_issued_exactly_once(newcomer_ids: list[int], storage_root: Path) -> None:
    letters = list(Letter.objects.filter(newcomer_id__in=newcomer_ids, kind=LetterKind.START_DATE))
    per_person = Counter(letter.newcomer_id for letter in letters)
    assert set(per_person) == set(newcomer_ids), "someone ready has no letter"
    assert set(per_person.values()) == {1}, "someone has more than one start-date letter"
    assert {letter.status for letter in letters} == {LetterStatus.ISSUED}
    issued_events = Counter(LetterEvent.objects.filter(letter__in=letters, event="issued")
                            .values_list("letter_id", flat=True))
    assert set(issued_events.values()) == {1} and len(issued_events) == len(letters)
    assert not Newcomer.objects.filter(pk__in=newcomer_ids, start_letter_issued_on__isnull=True).exists()
    for letter in letters:  # workers and the test process share this folder
        pdf = (storage_root / "letters" / letter.pdf.name).read_bytes()
        assert hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert len(list((storage_root / "letters").rglob("*.pdf"))) == len(letters), "stray PDF files"


def test_two_workers_and_the_sweep_racing_on_the_same_letters_issue_each_once(
        letter_workers, ready_people, settings):
    ids = ready_people(60)
    workers = start_all(letter_workers, "w1", "w2")

    # Every letter is handed out three or four times at once: the sweep requests it (queued on
    # commit) and, with no grace period, enqueues it again; we enqueue it once more; and a
    # second sweep issues whatever is still unfinished here, in the test process.
    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    counts = sweep.sweep()
    assert counts["requested"] == 60
    for letter_id in Letter.objects.values_list("pk", flat=True):
        enqueue(letter_id)
    sweep.sweep(run_now=True)

    wait_until(lambda: issued_count() == 60, timeout=90, message="60 issued letters")
    wait_until(lambda: not Letter.objects.filter(email_sent_at__isnull=True).exists(), timeout=30,
               message="the e-mails")
    assert_each_issued_exactly_once(ids, letter_workers.storage_root)
    mails = Counter(LetterEvent.objects.filter(event="email_sent").values_list("letter_id", flat=True))
    assert len(mails) == 60 and set(mails.values()) == {1}
    for worker in workers:
        assert "succeeded" in worker.log(), f"{worker.name} did no work"


def test_overlapping_batches_handed_to_two_workers_twice_issue_each_letter_once(
        letter_workers, ready_people, settings):
    """The sweep and bulk work hand letters out in batches (a task per batch): batches that
    overlap, and the same batches again, still give each person one letter, one file, one mail."""
    ids = ready_people(45)
    workers = start_all(letter_workers, "w1", "w2")
    sweep.sweep()  # requests the 45 letters; each is enqueued on its own as well
    letter_ids = list(Letter.objects.order_by("pk").values_list("pk", flat=True))
    for batch_size in (10, 7, 10):
        settings.LETTER_ISSUE_BATCH_SIZE = batch_size
        assert enqueue_many(letter_ids) == 45

    wait_until(lambda: issued_count() == 45, timeout=90, message="45 issued letters")
    wait_until(lambda: queue_length(letter_workers) == 0, timeout=60, message="the queue to drain")
    wait_for_quiet()
    assert_each_issued_exactly_once(ids, letter_workers.storage_root)
    mails = Counter(LetterEvent.objects.filter(event="email_sent").values_list("letter_id", flat=True))
    assert set(mails.values()) <= {1}
    assert all("letters.tasks.issue_letters" in worker.log() for worker in workers), "a worker took no batch"


def test_a_worker_killed_mid_batch_loses_no_letter_and_duplicates_none(letter_workers, ready_people, settings):
    ids = ready_people(200, surnames={100: "Traag"})
    (first,) = start_all(letter_workers, "w1", LETTER_TEST_SLOW_SURNAME="Traag")
    sweep.sweep()  # requests the 200 letters; each is enqueued once
    slow = Letter.objects.get(newcomer__surname="Traag")

    # Kill -9 while that letter is being rendered, half-way through the batch.
    wait_until(lambda: Letter.objects.filter(pk=slow.pk, status=LetterStatus.RENDERING).exists(),
               timeout=90, message="the slow letter to be taken")
    first.kill()
    issued_at_kill = issued_count()
    assert 0 < issued_at_kill < 200
    slow.refresh_from_db()
    assert slow.status == LetterStatus.RENDERING and slow.attempts == 1

    # A new worker carries on with the queue, but the dead worker's message went with it: once
    # the queue is empty, that letter is still "rendering" and nothing would ever finish it…
    start_all(letter_workers, "w2", LETTER_TEST_SLOW_SURNAME="Traag")
    wait_until(lambda: queue_length(letter_workers) == 0, timeout=90, message="the queue to drain")
    wait_for_quiet()
    assert Letter.objects.get(pk=slow.pk).status == LetterStatus.RENDERING
    assert issued_count() >= 198  # the prefetch may have held one more message

    # …until the sweep finds it again after its lease has run out.
    time.sleep(max(0.0, (slow.rendering_started_at - timezone.now()).total_seconds() + LEASE_SECONDS + 0.5))
    settings.LETTER_QUEUED_GRACE_SECONDS = LEASE_SECONDS
    assert sweep.sweep()["dispatched"] >= 1
    wait_until(lambda: issued_count() == 200, timeout=60, message="all 200 letters")
    assert_each_issued_exactly_once(ids, letter_workers.storage_root)
    slow.refresh_from_db()
    assert slow.attempts == 2  # the dead worker's attempt, then the one after the sweep


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_recording_the_last_condition_while_redis_is_down_still_issues_the_letter(
        letter_workers, new_ready_newcomer, settings, caplog):
    worker = letter_workers.start("w1")
    newcomer = new_ready_newcomer(bsn="111222333", registered=False)  # all but the registration
    assert not Letter.objects.exists()

    with publishing_to(app, f"redis://127.0.0.1:{_closed_port()}/0", letter_workers.queue), \
            caplog.at_level(logging.WARNING, logger="letters.publish"):
        started = time.monotonic()
        case.record_registration(newcomer, municipality=utrecht(), street="Lange Nieuwstraat", house_number="3",
                                 postcode="3512 PH", town="Utrecht", registered_on=REGISTERED_ON)
        elapsed = time.monotonic() - started
    assert elapsed < 3, f"recording the registration waited {elapsed:.1f} s for the broker"
    letter = Letter.objects.get()
    assert letter.status == LetterStatus.QUEUED
    assert "sweep will pick it up" in caplog.text and "111222333" not in caplog.text

    worker.wait_ready()
    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    assert sweep.sweep()["dispatched"] == 1
    wait_until(lambda: issued_count() == 1, timeout=60, message="the letter")
    letter.refresh_from_db()
    assert letter.attempts == 1
    assert LetterEvent.objects.filter(letter=letter, event="issued").count() == 1


def test_a_worker_that_connects_catches_up_on_what_was_queued_while_the_broker_was_away(
        letter_workers, new_ready_newcomer):
    newcomer = new_ready_newcomer(bsn="111222333", registered=False)
    with publishing_to(app, f"redis://127.0.0.1:{_closed_port()}/0", letter_workers.queue):
        case.record_registration(newcomer, municipality=utrecht(), street="Lange Nieuwstraat", house_number="3",
                                 postcode="3512 PH", town="Utrecht", registered_on=REGISTERED_ON)
    letter = Letter.objects.get()
    assert letter.status == LetterStatus.QUEUED

    # No sweep here, and the queued grace period (30 s) has not passed: the worker's catch-up
    # on connecting hands the letter out.
    letter_workers.start("w1", PORTAL_CATCH_UP_ON_CONNECT="1").wait_ready()
    wait_until(lambda: issued_count() == 1, timeout=30, message="the letter")


def test_a_letter_that_fails_to_render_is_retried_later_and_blocks_no_other(
        letter_workers, ready_people, settings, tmp_path):
    flag = tmp_path / "template-broken"
    flag.touch()
    ids = ready_people(20, surnames={0: "Onleesbaar"})  # first in the queue
    start_all(letter_workers, "w1", LETTER_TEST_BROKEN_SURNAME="Onleesbaar", LETTER_TEST_BREAK_FLAG=str(flag))
    sweep.sweep()

    wait_until(lambda: issued_count() == 19, timeout=90, message="the 19 other letters")
    broken = Letter.objects.get(newcomer__surname="Onleesbaar")
    assert broken.status == LetterStatus.FAILED
    assert "template could not be rendered" in broken.last_error
    assert LetterEvent.objects.filter(letter=broken, event="failed").count() == 1
    assert not broken.pdf

    # The operator repairs the template; the next sweep after the retry interval issues it.
    flag.unlink()
    settings.LETTER_FAILED_RETRY_SECONDS = 0
    assert sweep.sweep()["dispatched"] == 1
    wait_until(lambda: issued_count() == 20, timeout=60, message="the repaired letter")
    broken.refresh_from_db()
    assert broken.attempts == 2 and broken.last_error == ""
    assert_each_issued_exactly_once(ids, letter_workers.storage_root)


def test_a_worker_keeps_its_database_connection_from_letter_to_letter(letter_workers, ready_people):
    """A connection per letter (TCP, authentication, session set-up) was a tenth of a worker's
    time. With CONN_MAX_AGE set, as in production, the worker's connection outlives its tasks:
    after ten letters it is still open, and it was opened before the first was issued."""
    ids = ready_people(10)
    start_all(letter_workers, "w1", DB_CONN_MAX_AGE="600")
    sweep.sweep()
    wait_until(lambda: issued_count() == 10, timeout=90, message="10 issued letters")
    wait_for_quiet(seconds=1.0)
    first_issued = Letter.objects.filter(newcomer_id__in=ids).order_by("issued_at").values_list(
        "issued_at", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT backend_start FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        worker_connections = [started for (started,) in cursor.fetchall()]
    assert worker_connections, "the worker closed its connection after its last task"
    assert min(worker_connections) < first_issued, "the worker opened a new connection after the first letter"
