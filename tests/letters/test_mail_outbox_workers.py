"""The e-mail outbox with real workers, a real SMTP server (tests/letters/smtp_server.py) and a
real database: a mail server that hangs, a worker killed in the middle of a send, and the
database connection dropped right after the server took the mail. Each ends with exactly one
mail per letter.
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from letters import sending, sweep
from letters.models import EmailStatus, Letter, LetterStatus, OutgoingEmail

from .test_worker_reliability import issued_count, letter_workers, start_all  # noqa: F401 - a fixture
from .workers import database_url, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

EMAIL_TIMEOUT = "2"
EMAIL_LEASE = 5


def start_mailing_worker(letter_workers, smtp_inbox, name="w1"):  # noqa: F811
    return start_all(letter_workers, name, LETTER_TEST_SMTP_PORT=str(smtp_inbox.port), EMAIL_TIMEOUT=EMAIL_TIMEOUT,
                     EMAIL_RETRY_SECONDS="1", EMAIL_LEASE_SECONDS=str(EMAIL_LEASE))[0]


def sent_count() -> int:
    return OutgoingEmail.objects.filter(status=EmailStatus.SENT).count()


def assert_one_mail_per_letter(received, letters: int) -> None:
    message_ids = [mail.message["Message-ID"] for mail in received]
    assert len(received) == letters, f"{len(received)} mails for {letters} letters"
    expected = {sending.message_id_header(email) for email in OutgoingEmail.objects.all()}
    assert set(message_ids) == expected
    assert not Letter.objects.filter(status=LetterStatus.ISSUED, email_sent_at__isnull=True).exists()


def test_a_hanging_mail_server_holds_up_no_letter_and_the_mails_go_out_when_it_answers(
        letter_workers, smtp_inbox, ready_people, settings):  # noqa: F811
    smtp_inbox.hanging.set()
    start_mailing_worker(letter_workers, smtp_inbox)
    ready_people(3)
    sweep.sweep()  # requests the letters; each is enqueued after commit

    wait_until(lambda: issued_count() == 3, timeout=60, message="3 letters while the mail server hangs")
    wait_until(lambda: OutgoingEmail.objects.filter(attempts__gte=1, claim__isnull=True).count() == 3,
               timeout=60, message="every mail tried once")
    assert smtp_inbox.received == [] and sent_count() == 0
    assert all("timed out" in email.last_error for email in OutgoingEmail.objects.all())

    smtp_inbox.hanging.clear()
    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    wait_until(lambda: sweep.sweep()["emails"] == 0 and sent_count() == 3, timeout=60, interval=1.5,
               message="the mails, as beat's sweep hands them out")
    assert_one_mail_per_letter(smtp_inbox.take(), 3)


def test_a_worker_killed_in_the_middle_of_a_send_leaves_exactly_one_mail(
        letter_workers, smtp_inbox, ready_people, settings):  # noqa: F811
    smtp_inbox.hold_at_recipient.set()
    first = start_mailing_worker(letter_workers, smtp_inbox)
    ready_people(1)
    sweep.sweep()
    wait_until(smtp_inbox.at_recipient.is_set, timeout=60, message="the send to begin")
    first.kill()  # SIGKILL, main process and pool child, while the server holds the mail
    smtp_inbox.hold_at_recipient.clear()
    [email] = OutgoingEmail.objects.all()
    assert email.status == EmailStatus.PENDING and email.attempts == 1 and email.claim is not None

    # Another worker; beat's sweep hands the mail out again once the dead sender's lease is over.
    start_mailing_worker(letter_workers, smtp_inbox, name="w2")
    wait_until(lambda: sweep.sweep()["emails"] == 0 and sent_count() == 1, timeout=60, interval=1.5,
               message="the mail after the lease")
    email.refresh_from_db()
    assert email.attempts == 2
    assert_one_mail_per_letter(smtp_inbox.take(), 1)


def test_a_database_connection_dropped_right_after_the_send_leaves_exactly_one_mail(
        letter_workers, smtp_inbox, ready_people, settings):  # noqa: F811
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (own_backend,) = cursor.fetchone()
    dropped = []

    def drop_the_workers_connections():
        """Just before the server accepts the first mail: every other connection to the test
        database (the workers') is terminated, as a database restart or failover would."""
        if dropped:
            return
        with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as admin:
            rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid NOT IN (pg_backend_pid(), %s)", [own_backend]).fetchall()
        dropped.append(len(rows))

    smtp_inbox.before_accepting = drop_the_workers_connections
    start_mailing_worker(letter_workers, smtp_inbox)
    ready_people(1)
    sweep.sweep()

    wait_until(lambda: sent_count() == 1, timeout=60, message="the mail marked sent")
    assert dropped and dropped[0] >= 1
    [email] = OutgoingEmail.objects.all()
    assert email.attempts == 1  # marked sent by the sender that sent it, on a new connection
    settings.LETTER_QUEUED_GRACE_SECONDS = 0
    assert sweep.sweep()["emails"] == 0
    assert_one_mail_per_letter(smtp_inbox.take(), 1)
