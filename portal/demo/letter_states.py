"""Putting a demo persona's start-date letter in the state the persona needs.

Demo tooling reaches into the letters app here (the portal's own code only depends the other
way round); everything goes through the letters' models and services (requests, issuing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from integration import case_facts
from integration.models import Newcomer
from letters.issuing import issue_letter
from letters.models import Letter, LetterEvent, LetterKind, LetterStatus
from letters.requests import active_start_letter


def hold_start_letter_in_queue(newcomer: Newcomer, regime: str, queued_on: date) -> Letter:
    """Create the start-date letter as "queued" just before the person becomes ready.

    `letters.requests.request_start_letter` keeps an active letter that already exists instead
    of creating and enqueueing another, so this letter is never handed to a worker: it waits,
    as after a lost queue message, until the sweep (`issue_due_letters`) picks it up. Call it
    inside the transaction that records the last fact, or a refresh in between cancels it.
    """
    letter = Letter.objects.create(newcomer=newcomer, kind=LetterKind.START_DATE, regime=regime)
    LetterEvent.objects.create(letter=letter, event="queued")
    # Queued on the ready date, as the letters app would have done.
    queued_at = timezone.make_aware(datetime.combine(queued_on, time(9, 0)))
    Letter.objects.filter(pk=letter.pk).update(queued_at=queued_at, updated_at=queued_at)
    return letter


@dataclass(frozen=True)
class IssueResult:
    status: str
    error: str = ""


def start_letter(newcomer: Newcomer) -> Letter | None:
    """The start-date letter of the person's current obligation, if one was requested."""
    status = case_facts.status_for(newcomer.pk)
    if status.obligation is None:
        return None
    return active_start_letter(newcomer, status.obligation.number)


def ensure_start_letter_issued(newcomer: Newcomer) -> IssueResult:
    """Issue the persona's start-date letter now, synchronously, unless it already is.

    Without a broker the letter was already tried right after commit; this retries one that
    failed, so running the demo data again after a rendering problem is fixed completes it.
    """
    letter = start_letter(newcomer)
    if letter is None:
        return IssueResult("missing", "no start-date letter was requested")
    if letter.status != LetterStatus.ISSUED:
        issue_letter(letter.pk)
        letter.refresh_from_db()
    return IssueResult(letter.status, letter.last_error if letter.status != LetterStatus.ISSUED else "")
