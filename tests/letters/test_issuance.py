"""Issuing the start-date letter, in one process: once, only while the person is ready, failures
recorded and retried, the sweep finding what the queue lost, and the e-mail that follows."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from integration import services as case
from integration.models import Newcomer
from letters import issuing, rendering, sending, sweep
from letters.issuing import IssueOutcome as Outcome
from letters.issuing import issue_letter
from letters.models import EmailStatus, Letter, LetterStatus, OutgoingEmail
from letters.requests import cancel_letter

from .conftest import events, stored_files

BSN = "111222333"


@pytest.fixture
def broken_letter_template(settings, tmp_path):
    """A letter template with an error in it, found before the real one, as after a bad deploy."""
    folder = tmp_path / "broken-templates" / "letters"
    folder.mkdir(parents=True)
    (folder / "start_date.html").write_text("{% load no_such_tags %}<p>{{ start_date }}</p>")
    working = settings.TEMPLATES
    settings.TEMPLATES = [{**working[0], "DIRS": [folder.parent, *working[0]["DIRS"]]}]

    class Template:
        @staticmethod
        def repair():
            settings.TEMPLATES = working

    return Template


def stored_pdf(letter: Letter) -> bytes:
    with letter.pdf.open("rb") as pdf:
        return pdf.read()


# --- Once, and only while ready ------------------------------------------------------------


def test_becoming_ready_queues_one_letter(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    assert letter.status == LetterStatus.QUEUED
    assert events(letter) == ["queued"]
    assert ready_newcomer.start_letter_issued_on is None


def test_issuing_twice_gives_one_issued_letter(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)

    assert issue_letter(letter.pk) is Outcome.ISSUED
    assert issue_letter(letter.pk) is Outcome.ALREADY_DONE

    letter.refresh_from_db()
    assert Letter.objects.filter(newcomer=ready_newcomer).count() == 1
    assert letter.status == LetterStatus.ISSUED and letter.attempts == 1
    assert events(letter) == ["queued", "rendering", "issued"]
    pdf = stored_pdf(letter)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert letter.page_count == 1
    assert letter.start_date == ready_newcomer.permits.get().decision_date
    assert BSN not in letter.pdf.name
    ready_newcomer.refresh_from_db()
    assert ready_newcomer.start_letter_issued_on == letter.letter_date == timezone.localdate()


def test_a_second_request_for_a_ready_person_reuses_the_letter(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    case.record_decision(ready_newcomer, regime=letter.regime, outcome="OBLIGED", reason="OBLIGED_BY_RULE",
                         decided_on=timezone.localdate(), source="REGISTRY_FEED")
    assert list(Letter.objects.filter(newcomer=ready_newcomer)) == [letter]


def test_an_issued_letter_stays_as_it_is(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    issue_letter(letter.pk)
    letter.refresh_from_db()
    before = (letter.sha256, letter.issued_at, letter.pdf.name, letter.attempts)

    # Even when the person stops being ready afterwards, the issued letter is not touched.
    case.withdraw_permit(ready_newcomer.permits.get(), timezone.localdate())
    assert issue_letter(letter.pk) is Outcome.ALREADY_DONE
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED
    assert (letter.sha256, letter.issued_at, letter.pdf.name, letter.attempts) == before


def test_a_letter_another_worker_is_rendering_is_left_to_it(ready_newcomer, settings):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    Letter.objects.filter(pk=letter.pk).update(status=LetterStatus.RENDERING, attempts=1,
                                               rendering_started_at=timezone.now())
    assert issue_letter(letter.pk) is Outcome.BUSY
    letter.refresh_from_db()
    assert letter.status == LetterStatus.RENDERING and letter.attempts == 1

    # Once the lease has run out that worker is presumed dead and the letter is taken over.
    Letter.objects.filter(pk=letter.pk).update(
        rendering_started_at=timezone.now() - timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS + 1))
    assert issue_letter(letter.pk) is Outcome.ISSUED
    letter.refresh_from_db()
    assert letter.attempts == 2


def test_a_worker_that_lost_its_lease_throws_its_work_away(ready_newcomer, settings, monkeypatch):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    real_render = rendering.render_letter_pdf
    slow_worker = {}

    def render_while_another_worker_takes_over(letter_being_rendered):
        # While this (slow) worker renders, its lease runs out and another worker issues the letter.
        monkeypatch.setattr(rendering, "render_letter_pdf", real_render)
        settings.LETTER_RENDER_LEASE_SECONDS = 0
        slow_worker["other"] = issue_letter(letter_being_rendered.pk)
        return real_render(letter_being_rendered)

    monkeypatch.setattr(rendering, "render_letter_pdf", render_while_another_worker_takes_over)
    assert issue_letter(letter.pk) is Outcome.LOST_LEASE
    assert slow_worker["other"] is Outcome.ISSUED
    letter.refresh_from_db()
    assert letter.attempts == 2 and letter.status == LetterStatus.ISSUED
    assert events(letter).count("issued") == 1
    assert len(list(letter.pdf.storage.listdir(letter.pdf.name.rsplit("/", 1)[0])[1])) == 1


def test_an_attempt_in_another_month_overwrites_the_file_of_an_attempt_that_crashed(
        ready_newcomer, monkeypatch, _private_storage):
    """The file is named by the letter, not by the attempt's date: a crash after the file was
    written and a retry next month leave one file, not an orphan in last month's folder."""
    letter = Letter.objects.get(newcomer=ready_newcomer)
    real_record = issuing._record_stated_letters

    def crash_after_the_file_was_written(letters_being_stored):
        raise OSError("the process died here")

    monkeypatch.setattr(issuing, "_record_stated_letters", crash_after_the_file_was_written)
    assert issue_letter(letter.pk) is Outcome.FAILED
    assert len(list(_private_storage.rglob("*.pdf"))) == 1  # the rolled-back attempt's file

    monkeypatch.setattr(issuing, "_record_stated_letters", real_record)
    next_month = timezone.localdate() + timedelta(days=40)
    monkeypatch.setattr(issuing.timezone, "localdate", lambda *args: next_month)
    assert issue_letter(letter.pk) is Outcome.ISSUED
    letter.refresh_from_db()
    assert letter.letter_date == next_month and letter.attempts == 2
    assert stored_files(_private_storage) == [letter.pdf.name]
    assert letter.pdf.name.endswith(f"/{letter.reference}.pdf")


# --- Cancelled when no longer ready ----------------------------------------------------------


def test_withdrawing_the_permit_before_issuance_cancels_the_letter(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)

    case.withdraw_permit(ready_newcomer.permits.get(), timezone.localdate())

    letter.refresh_from_db()
    assert letter.status == LetterStatus.CANCELLED
    assert "no longer ready" in letter.cancel_reason
    assert issue_letter(letter.pk) is Outcome.ALREADY_DONE
    assert not letter.pdf
    ready_newcomer.refresh_from_db()
    assert ready_newcomer.start_letter_issued_on is None


def test_deregistering_before_issuance_cancels_the_letter(ready_newcomer):
    letter = Letter.objects.get(newcomer=ready_newcomer)

    case.record_deregistration(ready_newcomer.registrations.get(), timezone.localdate())

    letter.refresh_from_db()
    assert letter.status == LetterStatus.CANCELLED
    assert events(letter) == ["queued", "cancelled"]


def test_a_permit_withdrawn_while_the_letter_is_rendered_cancels_it(ready_newcomer, monkeypatch):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    real_render = rendering.render_letter_pdf

    def render_while_the_ind_withdraws(letter_being_rendered):
        case.withdraw_permit(ready_newcomer.permits.get(), timezone.localdate())
        return real_render(letter_being_rendered)

    monkeypatch.setattr(rendering, "render_letter_pdf", render_while_the_ind_withdraws)
    assert issue_letter(letter.pk) is Outcome.CANCELLED
    letter.refresh_from_db()
    assert letter.status == LetterStatus.CANCELLED and not letter.pdf
    assert events(letter)[-1] == "cancelled"


def test_a_person_ready_again_after_a_cancellation_gets_a_new_letter(ready_newcomer):
    first = Letter.objects.get(newcomer=ready_newcomer)
    registration = ready_newcomer.registrations.get()
    case.record_deregistration(registration, timezone.localdate())
    case.record_registration(ready_newcomer, municipality=registration.municipality, street="Biltstraat",
                             house_number="8", postcode="3572 AR", town="Utrecht", registered_on=timezone.localdate())

    second = Letter.objects.exclude(pk=first.pk).get(newcomer=ready_newcomer)
    assert second.status == LetterStatus.QUEUED
    assert issue_letter(second.pk) is Outcome.ISSUED


# --- Failures --------------------------------------------------------------------------------


def test_a_render_failure_marks_the_letter_failed_with_the_error(ready_newcomer, broken_letter_template):
    letter = Letter.objects.get(newcomer=ready_newcomer)

    assert issue_letter(letter.pk) is Outcome.FAILED

    letter.refresh_from_db()
    assert letter.status == LetterStatus.FAILED
    assert "no_such_tags" in letter.last_error and letter.last_error.startswith("TemplateSyntaxError")
    failed = letter.events.get(event="failed")
    assert failed.detail == letter.last_error
    assert BSN not in letter.last_error
    assert not letter.pdf
    ready_newcomer.refresh_from_db()
    assert ready_newcomer.start_letter_issued_on is None


def test_a_failed_letter_is_retried_by_the_sweep_after_the_retry_interval(
        ready_newcomer, broken_letter_template, settings):
    letter = Letter.objects.get(newcomer=ready_newcomer)
    assert issue_letter(letter.pk) is Outcome.FAILED
    broken_letter_template.repair()

    # Within the retry interval the sweep leaves it alone…
    assert sweep.sweep(run_now=True)["dispatched"] == 0
    # …after it, the letter is issued and the old error cleared.
    settings.LETTER_FAILED_RETRY_SECONDS = 0
    # The letter's notice too: owed when it was issued (here no commit hands it to a task).
    assert sweep.sweep(run_now=True) == {"requested": 0, "dispatched": 1, "issued": 1, "emails": 1}
    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED and letter.attempts == 2 and letter.last_error == ""
    assert events(letter) == ["queued", "rendering", "failed", "rendering", "issued", "email_sent"]


# --- The sweep -----------------------------------------------------------------------------------


def test_the_sweep_issues_what_the_queue_lost(db, ready_people, new_ready_newcomer, settings):
    """Ready people without a letter (a bulk import), a letter whose message was lost, and one
    whose worker died mid-render are all issued; an issued letter and a person not ready are
    left alone."""
    imported = ready_people(2)
    lost_message = new_ready_newcomer(bsn="111222333", surname="Queued")
    dead_worker = new_ready_newcomer(bsn="123456782", surname="Rendering", email="r@example.org")
    done = new_ready_newcomer(bsn="100000009", surname="Done", email="d@example.org")
    not_ready = new_ready_newcomer(bsn="111111110", surname="Later", email="l@example.org", registered=False)
    issue_letter(Letter.objects.get(newcomer=done).pk)
    long_ago = timezone.now() - timedelta(seconds=settings.LETTER_RENDER_LEASE_SECONDS + 60)
    Letter.objects.filter(newcomer=dead_worker).update(status=LetterStatus.RENDERING, attempts=1,
                                                       rendering_started_at=long_ago)

    output = []
    counts = sweep.sweep(run_now=True, log=output.append)

    # Five notices: the four letters issued here and the one issued before (no commit here hands
    # them to a task, so the sweep sends them).
    assert counts == {"requested": 2, "dispatched": 4, "issued": 4, "emails": 5}
    assert output, "the sweep reports its progress"
    for person in [*imported, lost_message.pk, dead_worker.pk, done.pk]:
        assert Letter.objects.get(newcomer_id=person).status == LetterStatus.ISSUED
    assert not Letter.objects.filter(newcomer=not_ready).exists()
    assert Letter.objects.get(newcomer=done).attempts == 1
    assert sweep.sweep(run_now=True) == {"requested": 0, "dispatched": 0, "issued": 0, "emails": 0}


def test_the_sweep_leaves_a_just_queued_letter_to_the_queue(ready_newcomer):
    assert sweep.sweep() == {"requested": 0, "dispatched": 0, "issued": 0, "emails": 0}
    assert Letter.objects.get(newcomer=ready_newcomer).status == LetterStatus.QUEUED


def test_the_sweep_finds_a_person_whose_only_letter_was_cancelled(ready_newcomer):
    """A cancelled letter no longer counts: when the person is ready again the sweep asks for
    a new one even if the case update that made them ready did not."""
    first = Letter.objects.get(newcomer=ready_newcomer)
    cancel_letter(first, "test: cancelled by hand")
    assert list(sweep.ready_without_letter(10)) == [ready_newcomer.pk]


def test_issue_due_letters_command_runs_the_sweep_and_prints_the_counts(ready_people, db):
    ready_people(3)
    output = _run_command()
    assert "3 ready people without a letter" in output and "3 letters issued" in output
    assert Letter.objects.filter(status=LetterStatus.ISSUED).count() == 3
    assert "0 letters issued" in _run_command()


def _run_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("issue_due_letters", stdout=out)
    return out.getvalue()


# --- The e-mail ------------------------------------------------------------------------------


def test_an_issued_letter_is_announced_once_without_personal_data(
        ready_newcomer, django_capture_on_commit_callbacks):
    letter = Letter.objects.get(newcomer=ready_newcomer)

    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(letter.pk)
    [email] = OutgoingEmail.objects.filter(letter=letter)
    assert sending.send(email.pk) == sending.Result.NOT_DUE  # a redelivered message
    issue_letter(letter.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [ready_newcomer.email]
    assert "letter" in message.subject.lower() or "brief" in message.subject.lower()
    assert "/mijn-inburgering/" in message.body
    text = f"{message.subject}\n{message.body}"
    for personal in (BSN, ready_newcomer.given_names, ready_newcomer.surname, letter.reference,
                     str(letter.start_date), "Oudegracht", "3511"):
        assert personal not in text
    letter.refresh_from_db()
    assert letter.email_sent_at is not None
    assert events(letter).count("email_sent") == 1


def test_no_email_for_a_person_without_an_address(db, new_ready_newcomer,
                                                   django_capture_on_commit_callbacks):
    newcomer = new_ready_newcomer(email="")
    with django_capture_on_commit_callbacks(execute=True):
        issue_letter(Letter.objects.get(newcomer=newcomer).pk)
    assert mail.outbox == []
    assert Newcomer.objects.get(pk=newcomer.pk).start_letter_issued_on is not None


def test_a_person_ready_again_after_a_cancelled_letter_gets_a_new_one(ready_newcomer):
    """The letter cancelled by a withdrawn permit no longer counts: a new permit queues a new
    letter, and the sweep's marker follows both steps."""
    first = Letter.objects.get(newcomer=ready_newcomer)
    assert Newcomer.objects.get(pk=ready_newcomer.pk).start_letter_requested

    case.withdraw_permit(ready_newcomer.permits.get(), timezone.localdate())
    first.refresh_from_db()
    assert first.status == LetterStatus.CANCELLED
    assert not Newcomer.objects.get(pk=ready_newcomer.pk).start_letter_requested

    today = timezone.localdate()
    case.record_permit(ready_newcomer, residence_title=21, purpose="FAMILY", decision_date=today,
                       valid_from=today)
    second = Letter.objects.exclude(pk=first.pk).get(newcomer=ready_newcomer)
    assert second.status == LetterStatus.QUEUED
    assert Newcomer.objects.get(pk=ready_newcomer.pk).start_letter_requested
    assert sweep.ready_without_letter(100).count() == 0


def test_the_sweep_hands_out_a_lost_queued_letter_once_per_grace_period(ready_newcomer, settings, monkeypatch):
    """A letter the queue lost is enqueued again by the sweep, but not by every sweep while
    that message is still waiting for a worker (a backlog must not double every 5 minutes)."""
    letter = Letter.objects.get(newcomer=ready_newcomer)
    Letter.objects.filter(pk=letter.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    sent = []
    monkeypatch.setattr(sweep, "enqueue_many", lambda letter_ids: sent.extend(letter_ids) or len(letter_ids))

    assert sweep.sweep()["dispatched"] == 1
    assert sweep.sweep()["dispatched"] == 0
    assert sent == [letter.pk]


def test_a_mail_server_outage_does_not_lose_the_letter_or_its_email(
        ready_newcomer, monkeypatch, django_capture_on_commit_callbacks):
    """The letter is issued whatever the mail server does; the e-mail that failed waits in the
    outbox and the sweep sends it once its back-off has passed."""
    from letters import notifications

    real_message = notifications.new_letter_email
    attempts = []

    def flaky_message(address, language):
        attempts.append(address)
        if len(attempts) == 1:
            raise ConnectionRefusedError("mail server down")
        return real_message(address, language)

    monkeypatch.setattr(notifications, "new_letter_email", flaky_message)
    letter = Letter.objects.get(newcomer=ready_newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        assert issue_letter(letter.pk) is Outcome.ISSUED

    letter.refresh_from_db()
    assert letter.status == LetterStatus.ISSUED and letter.email_sent_at is None
    [email] = OutgoingEmail.objects.filter(letter=letter)
    assert email.status == EmailStatus.PENDING and "mail server down" in email.last_error
    assert sweep.sweep(run_now=True)["emails"] == 0  # not before the back-off has passed
    OutgoingEmail.objects.filter(pk=email.pk).update(available_at=timezone.now())
    assert sweep.sweep(run_now=True)["emails"] == 1
    assert len(attempts) == 2 and len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == sending.message_id_header(email)
    letter.refresh_from_db()
    assert letter.email_sent_at is not None
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 2
