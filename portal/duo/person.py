"""One person's case as DUO staff see it: the facts with their sources, the dates the rules
derive from them now, and a timeline of everything that happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from integration.case_facts import status_of_loaded, with_case_facts
from integration.case_status import CaseStatus
from integration.models import Newcomer
from letters.models import UNFINISHED_STATUSES, Letter, LetterEvent, LetterKind
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
    status: CaseStatus
    permits: list
    registrations: list
    decisions: list
    contacts: list
    letters: list
    extension_requests: list = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)

    # The dates the page shows, all from the case status (DUO's list counts the same way).
    @property
    def conditions_met_on(self):
        return self.status.conditions_met_on

    @property
    def ready_on(self):
        return self.status.ready_on

    @property
    def expected_by(self):
        return self.status.expected_by

    @property
    def days_overdue(self) -> int:
        return self.status.days_overdue

    @property
    def decision(self):
        """The decision in force, as a model instance (for its labels and author)."""
        chosen = self.status.decision
        return next((d for d in self.decisions if chosen and d.pk == chosen.id), None)

    @property
    def unfinished_start_letter(self) -> Letter | None:
        """A start-date letter that a retry can push: failed, queued or rendering."""
        return next((letter for letter in self.letters if letter.kind == LetterKind.START_DATE
                     and letter.status in UNFINISHED_STATUSES), None)


def person_case(public_id, today: date | None = None) -> PersonCase:
    newcomer = get_object_or_404(
        with_case_facts(Newcomer.objects.prefetch_related(
            "permits", "registrations__municipality", "decisions__decided_by", "contacts__recorded_by")),
        public_id=public_id,
    )
    letters = list(Letter.objects.filter(newcomer=newcomer).select_related("corrects").order_by("-queued_at", "-pk"))
    extension_requests = list(newcomer.extension_requests.order_by("-requested_on", "-pk"))
    case = PersonCase(
        newcomer=newcomer,
        status=status_of_loaded(newcomer, today or timezone.localdate()),
        permits=list(newcomer.permits.all()),
        registrations=list(newcomer.registrations.all()),
        decisions=list(newcomer.decisions.all()),
        contacts=list(newcomer.contacts.all()),
        letters=letters,
        extension_requests=extension_requests,
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
