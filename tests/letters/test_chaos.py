"""A bounded randomised chaos run, in CI: two real workers, a Redis of the test's own, a real
SMTP server and the real database, while people become ready one condition at a time (in a
thread of this process, as the registry feed records them) and beat's sweep runs. Each round
kills a worker (SIGKILL, main process and pool child), restarts Redis (SIGKILL, back after a
moment), or both, at random moments.

Afterwards every ready person has exactly one issued start-date letter, with its PDF, and every
letter for a person with an address was announced by exactly one mail.

The seed is printed; `CHAOS_SEED=<seed>` replays a run's choices (timings still vary).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from integration.models import Newcomer
from letters import sweep
from letters.models import EmailStatus, Letter, LetterKind, LetterStatus, OutgoingEmail

from .conftest import make_ready_newcomer
from .test_broker_restart import own_redis, workers_on_own_redis  # noqa: F401 - fixtures
from .workers import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROUNDS = 4
PEOPLE_PER_ROUND = 4
FAULT_ENV = {"EMAIL_TIMEOUT": "2", "EMAIL_RETRY_SECONDS": "1", "EMAIL_LEASE_SECONDS": "6"}


def _record_people(first_bsn: int, count: int, recorded: list[int], errors: list[BaseException]) -> None:
    """A registry feed: people made ready one by one through the services (the last condition
    each time requests the letter), whatever the broker is doing."""
    from tests.factories import valid_bsns

    bsns = valid_bsns(first_bsn)
    try:
        for position in range(count):
            newcomer = make_ready_newcomer(bsn=next(bsns), surname=f"Chaos{first_bsn}-{position}",
                                           email=f"chaos-{first_bsn}-{position}@example.org")
            recorded.append(newcomer.pk)
            time.sleep(random.uniform(0.05, 0.4))
    except BaseException as error:  # shown by the test
        errors.append(error)
    finally:
        connection.close()


def test_random_worker_kills_and_redis_restarts_leave_one_letter_and_one_mail_per_person(
        workers_on_own_redis, own_redis, smtp_inbox, settings, tmp_path):  # noqa: F811
    seed = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1_000_000))
    print(f"chaos seed: {seed} (CHAOS_SEED={seed} replays these choices)")
    chance = random.Random(seed)
    started = time.monotonic()
    environment = {"PORTAL_CATCH_UP_ON_CONNECT": "1", "LETTER_TEST_SMTP_PORT": str(smtp_inbox.port), **FAULT_ENV}

    def start_worker(name):
        return workers_on_own_redis.start(name, **environment)

    workers = [start_worker("a"), start_worker("b")]
    for worker in workers:
        worker.wait_ready()

    settings.LETTER_QUEUED_GRACE_SECONDS = 3
    settings.LETTER_QUICK_RETRY_SECONDS = 1
    recorded: list[int] = []
    errors: list[BaseException] = []
    faults = Counter()
    for round_number in range(ROUNDS):
        feed = threading.Thread(target=_record_people, args=(40_000_000 + 1000 * round_number, PEOPLE_PER_ROUND,
                                                             recorded, errors))
        feed.start()
        time.sleep(chance.uniform(0.2, 1.5))
        fault = chance.choice(["kill worker", "restart redis", "both"])
        faults[fault] += 1
        if fault in {"kill worker", "both"}:
            victim = chance.randrange(len(workers))
            workers[victim].kill()
            workers[victim] = start_worker(f"r{round_number}")
        if fault in {"restart redis", "both"}:
            own_redis.restart(down_seconds=chance.uniform(0.5, 3.0))
        feed.join(timeout=60)
        sweep.sweep()  # beat's sweep, as every minute
        print(f"round {round_number}: {fault}; {len(recorded)} people ready so far")

    # The faults are over: the sweep keeps running as beat runs it, until everything settled.
    assert not errors, errors
    for worker in workers:
        if worker.process.poll() is None:
            worker.wait_ready()

    def settled():
        sweep.sweep()
        issued = Letter.objects.filter(newcomer_id__in=recorded, status=LetterStatus.ISSUED).count()
        return issued == len(recorded) and not OutgoingEmail.objects.filter(status=EmailStatus.PENDING).exists()

    wait_until(settled, timeout=90, interval=2, message="every letter issued and every mail sent")
    print(f"faults: {dict(faults)}; {len(recorded)} people; {time.monotonic() - started:.0f} s")

    # Exactly one issued start-date letter per ready person, its file intact.
    assert len(recorded) == ROUNDS * PEOPLE_PER_ROUND
    letters = list(Letter.objects.filter(newcomer_id__in=recorded, kind=LetterKind.START_DATE)
                   .exclude(status=LetterStatus.CANCELLED))
    assert Counter(letter.newcomer_id for letter in letters) == Counter(recorded)
    assert {letter.status for letter in letters} == {LetterStatus.ISSUED}
    assert not Newcomer.objects.filter(pk__in=recorded, start_letter_issued_on__isnull=True).exists()
    for letter in letters:
        stored = workers_on_own_redis.storage_root / "letters" / letter.pdf.name
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == letter.sha256

    # Exactly one mail per letter with an address: one outbox row each, sent, and one mail for
    # each at the server (by recipient and by Message-ID).
    received = smtp_inbox.take()
    per_recipient = Counter(recipient for mail in received for recipient in mail.recipients)
    addresses = {letter.newcomer.email for letter in letters}
    assert per_recipient == Counter(addresses), "a letter without its mail, or with two"
    assert len({mail.message["Message-ID"] for mail in received}) == len(received)
    assert OutgoingEmail.objects.filter(letter__in=letters, status=EmailStatus.SENT).count() == len(letters)
    assert time.monotonic() - started < 180, "the chaos run must stay under 3 minutes"
