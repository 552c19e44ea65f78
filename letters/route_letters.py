"""DUO's letters on the way to the finish (DOMAIN.md §4–§5): the obligation fulfilled, the
decision on a request for more time, the reminder 6 months before the end of the period while
requirements are open, and the notice that the period ended without fulfilment.

Each is requested inside the transaction that changed the case (a result recorded, a decision
taken) or that re-derived it on its day (the daily re-derivation finds the person through
`newcomer_review_idx`: the reminder's day and the day after the period are review days). The
Letter row is the durable intent and the database allows one per obligation, request or period
end; `letters.services.issue` turns each into exactly one PDF. An extension moves the period
end, so the next reminder is a new letter: the reminder is re-armed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from integration.case_status import CaseStatus
from integration.models import ExtensionRequest, Newcomer

from .invitations import _create_once
from .models import Letter, LetterKind


def request_route_letters(newcomer: Newcomer, status: CaseStatus) -> list[Letter]:
    """The letters this status calls for that do not exist yet (none when nothing is due)."""
    if status.decision is None or status.obligation is None or not status.letter_issued:
        return []
    regime = status.decision.regime
    wanted = []
    if status.fulfilled:
        wanted.append(({"newcomer": newcomer, "kind": LetterKind.FULFILMENT,
                        "obligation_number": status.obligation.number}, {}))
    elif status.reminder_due:
        wanted.append(({"newcomer": newcomer, "kind": LetterKind.REMINDER, "period_end": status.period.last_day},
                       {"obligation_number": status.obligation.number}))
    elif status.ended_unfulfilled and _recently_ended(status):
        wanted.append(({"newcomer": newcomer, "kind": LetterKind.PERIOD_ENDED,
                        "period_end": status.period.last_day}, {"obligation_number": status.obligation.number}))
    created = []
    for lookup, extra in wanted:
        letter, new = _create_once(lookup, regime=regime, **extra)
        if new:
            created.append(letter)
    return created


def _recently_ended(status: CaseStatus) -> bool:
    """The notice goes out in the weeks after the period ended; periods that ended long before
    this portal sent notices (every WI2013 period, DOMAIN.md §8) get none."""
    days = settings.PERIOD_ENDED_NOTICE_DAYS
    return status.period.last_day >= status.today - timedelta(days=days)


def request_decision_letter(request: ExtensionRequest) -> Letter:
    """The letter with DUO's decision on a request for more time (one per request)."""
    letter, _ = _create_once({"extension": request, "kind": LetterKind.EXTENSION_DECISION},
                             newcomer=request.newcomer, regime=_regime(request.newcomer))
    return letter


def _regime(newcomer: Newcomer) -> str:
    decision = newcomer.current_decision()
    return decision.regime if decision else ""


def not_due_reason(letter: Letter) -> str | None:
    """The issuing check for these kinds, from the stored case state (kept under the newcomer
    lock the caller holds): a reminder or notice about a period end that moved, or for a person
    who has since fulfilled the obligation, is no longer due."""
    newcomer = letter.newcomer
    if letter.kind in (LetterKind.REMINDER, LetterKind.PERIOD_ENDED):
        if newcomer.fulfilled_on is not None:
            return "the obligation was fulfilled before issuance"
        if newcomer.period_last_day != letter.period_end:
            return "the period end moved before issuance (extension)"
    if letter.kind == LetterKind.FULFILMENT and newcomer.fulfilled_on is None:
        return "no longer fulfilled before issuance"
    return None
