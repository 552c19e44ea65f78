"""Issuing letters in batches: one claim and one store transaction for several letters, with
every letter's own checks, lease and outcome, and one bad letter never holding back the rest."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integration import services as case
from letters import issuing, publish, rendering, sweep
from letters.issuing import IssueOutcome as Outcome
from letters.issuing import issue_letter, issue_letters
from letters.models import EmailKind, Letter, LetterStatus, OutgoingEmail
from tests.factories import valid_bsns

from .conftest import events, make_ready_newcomer, stored_files

pytestmark = pytest.mark.django_db


def ready_letters(count: int, first_bsn: int = 30_000_000) -> list[Letter]:
    """`count` people made ready through the services, each with a queued start-date letter."""
    bsns = valid_bsns(first_bsn)
    people = [make_ready_newcomer(bsn=next(bsns), surname=f"Persoon{n}", email=f"p{n}@example.org")
              for n in range(count)]
    return list(Letter.objects.filter(newcomer__in=people).order_by("pk"))


def ids(letters: list[Letter]) -> list[int]:
    return [letter.pk for letter in letters]


def test_a_batch_issues_each_letter_once_with_its_own_file_event_and_email(_private_storage):
    letters = ready_letters(4)

    assert issue_letters(ids(letters)) == dict.fromkeys(ids(letters), Outcome.ISSUED)

    for letter in letters:
        letter.refresh_from_db()
        assert letter.status == LetterStatus.ISSUED and letter.attempts == 1
        assert events(letter) == ["queued", "rendering", "issued"]
        with letter.pdf.open("rb") as pdf:
            assert hashlib.sha256(pdf.read()).hexdigest() == letter.sha256
        # What the person now holds in writing reached their case state, as for a single letter.
        assert letter.newcomer.start_letter_issued_on == letter.letter_date
        assert OutgoingEmail.objects.filter(letter=letter, kind=EmailKind.NEW_LETTER).count() == 1
    assert stored_files(_private_storage) == sorted(letter.pdf.name for letter in letters)

    # Handed out again (a redelivered message, an overlapping batch): nothing more happens.
    assert issue_letters(ids(letters)) == dict.fromkeys(ids(letters), Outcome.ALREADY_DONE)
    assert len(stored_files(_private_storage)) == 4


def test_a_batch_needs_far_fewer_database_round_trips_than_its_letters_one_by_one():
    one_by_one, together = ready_letters(6), ready_letters(6, first_bsn=31_000_000)
    with CaptureQueriesContext(connection) as singles:
        for letter in one_by_one:
            assert issue_letter(letter.pk) is Outcome.ISSUED
    with CaptureQueriesContext(connection) as batch:
        assert set(issue_letters(ids(together)).values()) == {Outcome.ISSUED}
    assert len(batch.captured_queries) <= len(singles.captured_queries) / 2, (
        f"{len(batch.captured_queries)} queries for a batch of 6, {len(singles.captured_queries)} one by one")


def test_each_letter_of_a_batch_gets_its_own_outcome(monkeypatch):
    issued, withdrawn, busy, broken, fine = ready_letters(5)
    assert issue_letter(issued.pk) is Outcome.ISSUED
    case.withdraw_permit(withdrawn.newcomer.permits.get(), timezone.localdate())  # cancels its letter
    Letter.objects.filter(pk=busy.pk).update(status=LetterStatus.RENDERING, attempts=1,
                                             rendering_started_at=timezone.now())
    real_render = rendering.render_letter_pdf

    def render_failing_for_one(letter):
        if letter.pk == broken.pk:
            raise rendering.LetterRenderingError("the letter takes 2 pages; it must fit on one page")
        return real_render(letter)

    monkeypatch.setattr(rendering, "render_letter_pdf", render_failing_for_one)

    assert issue_letters(ids([issued, withdrawn, busy, broken, fine])) == {
        issued.pk: Outcome.ALREADY_DONE, withdrawn.pk: Outcome.ALREADY_DONE, busy.pk: Outcome.BUSY,
        broken.pk: Outcome.FAILED, fine.pk: Outcome.ISSUED}
    broken.refresh_from_db()
    assert broken.status == LetterStatus.FAILED and "must fit on one page" in broken.last_error
    assert Letter.objects.get(pk=busy.pk).status == LetterStatus.RENDERING  # left to the worker that has it
    assert Letter.objects.get(pk=fine.pk).status == LetterStatus.ISSUED


def test_when_storing_the_batch_fails_each_letter_is_stored_on_its_own(monkeypatch, _private_storage):
    first, bad, last = ready_letters(3)
    real_save = issuing._save_pdf

    def disk_full_for_one(letter, result):
        if letter.pk == bad.pk:
            raise OSError(28, "No space left on device")
        real_save(letter, result)

    monkeypatch.setattr(issuing, "_save_pdf", disk_full_for_one)

    assert issue_letters(ids([first, bad, last])) == {
        first.pk: Outcome.ISSUED, bad.pk: Outcome.FAILED, last.pk: Outcome.ISSUED}
    bad.refresh_from_db()
    assert bad.status == LetterStatus.FAILED and "No space left on device" in bad.last_error
    for letter in (first, last):
        letter.refresh_from_db()
        assert events(letter).count("issued") == 1
    # The first letter's file from the rolled-back batch was replaced, not left beside the new one.
    assert stored_files(_private_storage) == sorted([first.pdf.name, last.pdf.name])


def test_a_batch_that_lost_one_lease_throws_that_letter_away_and_stores_the_others(monkeypatch, settings):
    taken, other = ready_letters(2)
    real_render = rendering.render_letter_pdf
    meanwhile = {}

    def render_while_another_worker_takes_one_over(letter):
        if letter.pk == taken.pk:
            # This worker is slow: the letter's lease runs out and another worker issues it.
            lease = settings.LETTER_RENDER_LEASE_SECONDS
            settings.LETTER_RENDER_LEASE_SECONDS = 0
            monkeypatch.setattr(rendering, "render_letter_pdf", real_render)
            meanwhile["outcome"] = issue_letter(taken.pk)
            settings.LETTER_RENDER_LEASE_SECONDS = lease
        return real_render(letter)

    monkeypatch.setattr(rendering, "render_letter_pdf", render_while_another_worker_takes_one_over)

    assert issue_letters(ids([taken, other])) == {taken.pk: Outcome.LOST_LEASE, other.pk: Outcome.ISSUED}
    assert meanwhile["outcome"] is Outcome.ISSUED
    taken.refresh_from_db()
    assert taken.attempts == 2 and events(taken).count("issued") == 1


def test_a_batch_naming_a_letter_that_does_not_exist_issues_the_others_then_fails():
    letters = ready_letters(2)
    with pytest.raises(Letter.DoesNotExist):
        issue_letters([*ids(letters), 987654321])
    assert set(Letter.objects.filter(pk__in=ids(letters)).values_list("status", flat=True)) == {LetterStatus.ISSUED}


def test_the_sweep_hands_out_unfinished_letters_in_batches(settings, monkeypatch):
    settings.LETTER_ISSUE_BATCH_SIZE = 2
    letters = ready_letters(5)
    Letter.objects.update(updated_at=timezone.now() - timedelta(hours=1))  # lost by the queue
    published = []
    monkeypatch.setattr(publish, "publish_or_log",
                        lambda task, *args, **kwargs: published.append((task, *args)) or True)

    assert sweep.sweep()["dispatched"] == 5
    first, second, third, fourth, fifth = ids(letters)
    assert published == [(publish.ISSUE_LETTERS, [first, second]), (publish.ISSUE_LETTERS, [third, fourth]),
                         (publish.ISSUE_LETTERS, [fifth])]


def test_the_sweep_run_here_issues_in_batches_too(settings):
    settings.LETTER_ISSUE_BATCH_SIZE = 2
    letters = ready_letters(3)

    assert sweep.sweep(run_now=True)["issued"] == 3
    for letter in letters:
        letter.refresh_from_db()
        assert letter.status == LetterStatus.ISSUED and events(letter).count("issued") == 1
