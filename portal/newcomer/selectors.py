"""Everything the newcomer pages show: the person and their case status, read in one query
whatever the size of the database or of the person's history (`integration.case_facts`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from integration import case_facts
from integration.case_status import CaseStatus
from integration.models import IntakeAppointment, Newcomer


@dataclass(frozen=True)
class PersonAndStatus:
    newcomer: Newcomer
    status: CaseStatus


def situation_for(newcomer_id: int, today: date | None = None) -> PersonAndStatus:
    """The newcomer and their status on `today`; raises Newcomer.DoesNotExist for an unknown id."""
    newcomer = case_facts.load(newcomer_id)
    return PersonAndStatus(newcomer, case_facts.status_of_loaded(newcomer, today))


def intakes_for(newcomer_id: int):
    """All the person's intake appointments, in time order, with the municipality (one query)."""
    return IntakeAppointment.objects.filter(newcomer_id=newcomer_id).select_related("municipality").order_by(
        "starts_at", "pk")


def has_appointments(newcomer_id: int) -> bool:
    return IntakeAppointment.objects.filter(newcomer_id=newcomer_id).exists()
