"""One person's case as DUO staff see it: the facts with their sources, the dates the rules
derive from them now, and a timeline of everything that happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integration import rules
from integration.models import Newcomer
from integration.services import compute_case_state
from letters.models import Letter, LetterEvent
from portal.audit.models import AuditAction, AuditRecord

# Letter events as staff read them in the timeline.
LETTER_EVENT_LABELS = {
    "queued": gettext_noop("letter queued"),
    "rendering": gettext_noop("rendering started"),
    "failed": gettext_noop("rendering failed"),
    "issued": gettext_noop("letter issued"),
    "email_sent": gettext_noop("e-mail sent"),
    "cancelled": gettext_noop("letter cancelled"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: str
    detail: str = ""


@dataclass
class PersonCase:
    newcomer: Newcomer
    today: date
    permits: list
    registrations: list
    decisions: list
    contacts: list
    letters: list
    timeline: list[TimelineEntry] = field(default_factory=list)

    @property
    def conditions_met_on(self) -> date | None:
        """Derived from the facts today, not the stored case state (which may be stale)."""
        return compute_case_state(self.newcomer, self.today).conditions_met_on

    @property
    def ready_on(self) -> date | None:
        return compute_case_state(self.newcomer, self.today).ready_on

    @property
    def expected_by(self) -> date | None:
        return rules.letter_expected_by(self.ready_on) if self.ready_on else None

    @property
    def days_overdue(self) -> int:
        ready = self.ready_on
        if not rules.is_overdue(ready, self.newcomer.start_letter_issued_on, self.today):
            return 0
        return rules.days_overdue(ready, self.today)

    @property
    def decision(self):
        return self.newcomer.current_decision()

    @property
    def unfinished_start_letter(self) -> Letter | None:
        """A start-date letter that a retry can push: failed, queued or rendering."""
        return next((letter for letter in self.letters if letter.kind == "START_DATE"
                     and letter.status in ("failed", "queued", "rendering")), None)


def person_case(public_id, today: date | None = None) -> PersonCase:
    newcomer = get_object_or_404(
        Newcomer.objects.prefetch_related("permits", "registrations__municipality", "decisions__decided_by",
                                          "contacts__recorded_by"),
        public_id=public_id,
    )
    letters = list(Letter.objects.filter(newcomer=newcomer).order_by("-queued_at", "-pk"))
    case = PersonCase(
        newcomer=newcomer,
        today=today or timezone.localdate(),
        permits=list(newcomer.permits.all()),
        registrations=list(newcomer.registrations.all()),
        decisions=list(newcomer.decisions.all()),
        contacts=list(newcomer.contacts.all()),
        letters=letters,
    )
    case.timeline = _timeline(case)
    return case


def _timeline(case: PersonCase) -> list[TimelineEntry]:
    """Newest first: recorded facts, decisions, letter events, contacts and staff actions."""
    entries = []
    for permit in case.permits:
        entries.append(TimelineEntry(permit.created_at, _("residence permit recorded (IND)"),
                                     f"{permit.get_article_display()}, {permit.valid_from:%Y-%m-%d}"))
        if permit.withdrawn_on:
            entries.append(TimelineEntry(permit.created_at, _("permit withdrawn"), f"{permit.withdrawn_on:%Y-%m-%d}"))
    for registration in case.registrations:
        entries.append(TimelineEntry(registration.created_at, _("municipal registration recorded (BRP)"),
                                     registration.municipality.name))
    for decision in case.decisions:
        entries.append(TimelineEntry(decision.created_at, _("obligation decision recorded"),
                                     f"{decision} ({decision.get_reason_display()})"))
    for contact in case.contacts:
        entries.append(TimelineEntry(contact.created_at, _("contact recorded"),
                                     f"{contact.contacted_on:%Y-%m-%d}: {contact.subject}. {contact.note}".strip()))
    for event in LetterEvent.objects.filter(letter__newcomer=case.newcomer).select_related("letter"):
        label = LETTER_EVENT_LABELS.get(event.event, event.event)
        entries.append(TimelineEntry(event.at, _(label), f"{event.letter.reference} {event.detail}".strip()))
    staff_actions = AuditRecord.objects.filter(newcomer=case.newcomer).exclude(
        action=AuditAction.VIEW).select_related("actor")
    for record in staff_actions:
        entries.append(TimelineEntry(record.at, record.what,
                                     " ".join(filter(None, [record.actor.email, record.why]))))
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
