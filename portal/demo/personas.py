"""The demo personas: one newcomer for every state the portal shows, with a fixed BSN.

Every date is counted back from the day the demo data is loaded, so a persona that is "overdue"
is overdue on the day it is created. The facts go through `integration.services`, so the
derived case state is whatever the rules make of them, exactly as for real data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from integration import case_facts, intakes, plans, results, rules, services
from integration.case_status import CasePhase
from integration.choices import DecisionReason, Language, Outcome, PurposeOfStay, Regime, ResultOutcome, Route
from integration.models import IntakeAppointment, IntakeKind, IntakeStatus, Municipality, Newcomer
from letters import invitations
from portal.accounts.models import Role

from .letter_states import hold_start_letter_in_queue
from .staff import STAFF_ACCOUNTS

DateFromToday = Callable[[date], date]


def days_ago(days: int) -> DateFromToday:
    return lambda today: today - timedelta(days=days)


def fixed(day: date) -> DateFromToday:
    return lambda today: day


MUNICIPALITIES = {
    "GM0344": "Utrecht",
    "GM0363": "Amsterdam",
    "GM0599": "Rotterdam",
    "GM0518": "'s-Gravenhage",
}

# How newcomers reach each municipality: the sender of its invitation letter, the intake page,
# the invitation e-mail and its Reply-To. The town halls' published addresses and 14 0xx
# numbers; the e-mail addresses are made up (.example), so no reply reaches a real inbox.
MUNICIPAL_CONTACTS = {
    "GM0344": {"visiting_street": "Stadsplateau 1", "visiting_postcode": "3521 AZ", "visiting_town": "Utrecht",
               "postal_address": "Postbus 16200", "postal_postcode": "3500 CE", "postal_town": "Utrecht",
               "phone": "14 030", "email": "inburgering@utrecht.example", "website": "www.utrecht.nl"},
    "GM0363": {"visiting_street": "Amstel 1", "visiting_postcode": "1011 PN", "visiting_town": "Amsterdam",
               "postal_address": "Postbus 202", "postal_postcode": "1000 AE", "postal_town": "Amsterdam",
               "phone": "14 020", "email": "inburgering@amsterdam.example", "website": "www.amsterdam.nl"},
    "GM0599": {"visiting_street": "Coolsingel 40", "visiting_postcode": "3011 AD", "visiting_town": "Rotterdam",
               "postal_address": "Postbus 70012", "postal_postcode": "3000 KP", "postal_town": "Rotterdam",
               "phone": "14 010", "email": "inburgering@rotterdam.example", "website": "www.rotterdam.nl"},
    "GM0518": {"visiting_street": "Spui 70", "visiting_postcode": "2511 BT", "visiting_town": "Den Haag",
               "postal_address": "Postbus 12600", "postal_postcode": "2500 DJ", "postal_town": "Den Haag",
               "phone": "14 070", "email": "inburgering@denhaag.example", "website": "www.denhaag.nl"},
}

# A street in each town, for the address block of the letters.
_ADDRESSES = {
    "GM0344": ("Oudegracht", "3511 AB", "Utrecht"),
    "GM0363": ("Damrak", "1012 JS", "Amsterdam"),
    "GM0599": ("Coolsingel", "3011 AD", "Rotterdam"),
    "GM0518": ("Spui", "2511 BL", "Den Haag"),
}

# How a letter should stand once the persona is created.
LETTER_ISSUED = "issued"
LETTER_HELD_QUEUED = "held in the queue"
NO_LETTER = "none"


@dataclass(frozen=True)
class Permit:
    residence_title: int  # BRP table 56: 21 = regular fixed term (8a), 26 = asylum (8c), 28 = EU
    purpose: str
    decided: DateFromToday
    valid_from: DateFromToday
    valid_years: int = 5


@dataclass(frozen=True)
class Decision:
    regime: str
    outcome: str
    reason: str
    decided: DateFromToday


# Marker: let the registry rule derive the decision (DOMAIN.md §2), as the feed would.
FROM_REGISTRY = "from registry"


@dataclass(frozen=True)
class Persona:
    key: str
    given_names: str
    surname: str
    bsn: str
    nationality: str
    date_of_birth: date
    language: str
    state: str
    description: str
    bsn_assigned: DateFromToday
    permit: Permit
    municipality: str | None = None  # where registered; None: not registered yet
    registered: DateFromToday | None = None
    decision: Decision | str | None = None  # None: being assessed
    letter: str = NO_LETTER
    # Working days from the load day to the planned brede-intake interview; None: none planned.
    intake_in_working_days: int | None = None
    # The route (DOMAIN.md §5): the first PIP (B1-route) this many days ago, after an attended
    # interview, and the results DUO recorded, as (component, days ago) passed.
    pip_days_ago: int | None = None
    passed: tuple[tuple[str, int], ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"

    @property
    def email(self) -> str:
        """A made-up address (example.org), so the demo sends the person's e-mails."""
        return f"{self.given_names.lower()}@example.org"


def _obliged(regime: str, decided: DateFromToday) -> Decision:
    return Decision(regime, Outcome.OBLIGED, DecisionReason.OBLIGED_BY_RULE, decided)


PERSONAS: tuple[Persona, ...] = (
    Persona(
        key="waiting",
        given_names="Amina", surname="Yusuf", bsn="111222333", nationality="ER",
        date_of_birth=date(1994, 3, 12), language=Language.TIGRINYA,
        state="waiting for municipal registration",
        description="Has a BSN and an asylum permit, but is not registered with a municipality yet, "
                    "so no letter can be sent.",
        bsn_assigned=days_ago(20),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(20), valid_from=days_ago(90)),
        decision=FROM_REGISTRY,
    ),
    Persona(
        key="ready",
        given_names="Samir", surname="Haddad", bsn="111222345", nationality="SY",
        date_of_birth=date(1988, 7, 2), language=Language.ARABIC,
        state="ready, letter on its way",
        description="All three conditions met 10 days ago and obliged under WI2021; the start-date "
                    "letter is queued but not issued yet (within the 8 weeks).",
        bsn_assigned=days_ago(40),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(30), valid_from=days_ago(120)),
        municipality="GM0363", registered=days_ago(10),
        decision=_obliged(Regime.WI2021, days_ago(10)),
        letter=LETTER_HELD_QUEUED,
    ),
    Persona(
        key="issued",
        given_names="Dawit", surname="Tesfaye", bsn="111222357", nationality="ER",
        date_of_birth=date(1991, 11, 23), language=Language.ENGLISH,
        state="letter issued (WI2021, intake scheduled)",
        description="Obliged under WI2021, registered in Utrecht, start-date letter issued. The "
                    "municipality has planned the brede intake interview a few days ahead, with "
                    "the Utrecht demo officer.",
        bsn_assigned=days_ago(60),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(50), valid_from=days_ago(150)),
        municipality="GM0344", registered=days_ago(45),
        decision=_obliged(Regime.WI2021, days_ago(45)),
        letter=LETTER_ISSUED,
        intake_in_working_days=5,  # the notice an invitation gives (intakes.DEFAULT_NOTICE_WORKING_DAYS)
    ),
    Persona(
        key="intake_held",
        given_names="Samira", surname="Osman", bsn="111222424", nationality="SO",
        date_of_birth=date(1994, 2, 14), language=Language.ENGLISH,
        state="letter issued (WI2021), intake interview held yesterday, outcome to record",
        description="Obliged under WI2021, registered in Utrecht, start-date letter issued. Her "
                    "brede intake interview with the Utrecht demo officer took place on the last "
                    "working day; the officer still has to record that she came and write her PIP.",
        bsn_assigned=days_ago(80),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(70), valid_from=days_ago(160)),
        municipality="GM0344", registered=days_ago(65),
        decision=_obliged(Regime.WI2021, days_ago(65)),
        letter=LETTER_ISSUED,
        intake_in_working_days=-1,
    ),
    Persona(
        # Overdue is an obliged person whose letter did not come: `rules.is_overdue` counts from
        # the ready date, which needs a positive decision, and this is the case DUO staff must
        # chase. Running the sweep (`issue_due_letters`) issues the letter, as a DUO retry would.
        key="overdue",
        given_names="Mariam", surname="Ahmadi", bsn="111222369", nationality="AF",
        date_of_birth=date(1985, 1, 30), language=Language.DARI,
        state="overdue",
        description="All three conditions met 10 weeks ago and obliged under WI2021, but the "
                    "start-date letter is still in the queue: past the 8 weeks, so she is asked "
                    "to contact DUO and appears in DUO's overdue list.",
        bsn_assigned=days_ago(100),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(90), valid_from=days_ago(200)),
        municipality="GM0599", registered=days_ago(70),
        decision=_obliged(Regime.WI2021, days_ago(70)),
        letter=LETTER_HELD_QUEUED,
    ),
    Persona(
        key="being_assessed",
        given_names="Yonas", surname="Berhe", bsn="111222370", nationality="ER",
        date_of_birth=date(1999, 5, 5), language=Language.TIGRINYA,
        state="being assessed",
        description="All three conditions met 9 weeks ago, but DUO has not decided on the "
                    "obligation: no ready date, no letter; DUO's overdue list shows the missing "
                    "decision.",
        bsn_assigned=days_ago(80),
        permit=Permit(21, PurposeOfStay.FAMILY, decided=days_ago(75), valid_from=days_ago(160)),
        municipality="GM0518", registered=days_ago(63),
    ),
    Persona(
        key="wi2013",
        given_names="Hassan", surname="El Amrani", bsn="111222382", nationality="MA",
        date_of_birth=date(1990, 9, 17), language=Language.DUTCH,
        state="WI2013, letter issued",
        description="Obliged under the 2013 act since 15 November 2021, weeks before the 2021 act "
                    "took over; letter issued. The 3-year period runs from the obligation start, "
                    "so without an extension it ended on 15 November 2024.",
        bsn_assigned=fixed(date(2021, 10, 4)),
        permit=Permit(21, PurposeOfStay.FAMILY, decided=fixed(date(2021, 11, 15)),
                      valid_from=fixed(date(2021, 8, 1)), valid_years=10),
        municipality="GM0518", registered=fixed(date(2021, 11, 22)),
        decision=_obliged(Regime.WI2013, fixed(date(2021, 11, 22))),
        letter=LETTER_ISSUED,
    ),
    Persona(
        key="pre_2013",
        given_names="Wei", surname="Chen", bsn="111222394", nationality="CN",
        date_of_birth=date(1975, 2, 8), language=Language.ENGLISH,
        state="obliged before 2013",
        description="Obliged since 2010, under the rules before 2013: no letter and no route; "
                    "the portal sends her to her municipality.",
        bsn_assigned=fixed(date(2010, 6, 1)),
        permit=Permit(21, PurposeOfStay.FAMILY, decided=fixed(date(2010, 5, 20)),
                      valid_from=fixed(date(2010, 3, 1)), valid_years=25),
        municipality="GM0363", registered=fixed(date(2010, 6, 1)),
        decision=_obliged(Regime.PRE_2013, fixed(date(2010, 6, 15))),
    ),
    Persona(
        key="voluntary",
        given_names="Priya", surname="Sharma", bsn="111222400", nationality="IN",
        date_of_birth=date(1992, 12, 1), language=Language.ENGLISH,
        state="voluntary",
        description="A knowledge migrant, so not obliged, who chose to integrate voluntarily "
                    "(for naturalisation): no letter, a route to the exams.",
        bsn_assigned=days_ago(400),
        permit=Permit(21, PurposeOfStay.KNOWLEDGE_MIGRANT, decided=days_ago(410),
                      valid_from=days_ago(410)),
        municipality="GM0344", registered=days_ago(395),
        decision=Decision(Regime.VOLUNTARY, Outcome.NOT_OBLIGED, DecisionReason.CHOSE_VOLUNTARY,
                          days_ago(200)),
    ),
    Persona(
        key="route_to_done",
        given_names="Layla", surname="Nasser", bsn="111222436", nationality="SY",
        date_of_birth=date(1993, 6, 9), language=Language.DUTCH,
        state="on the B1-route, one module (MAP) to go",
        description="Obliged under WI2021 in Utrecht; her PIP (B1-route) is over a year old and she "
                    "passed the four B1 exams, KNM and the PVT. When DUO records her MAP on her "
                    "person page, her step plan reaches \"done\" and she gets DUO's letter that she "
                    "fulfilled her integration obligation.",
        bsn_assigned=days_ago(520),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(510), valid_from=days_ago(600)),
        municipality="GM0344", registered=days_ago(500),
        decision=_obliged(Regime.WI2021, days_ago(500)),
        letter=LETTER_ISSUED,
        pip_days_ago=420,
        passed=(("reading", 120), ("listening", 120), ("writing", 90), ("speaking", 90), ("knm", 60),
                ("pvt", 300)),
    ),
    Persona(
        key="extra_time",
        given_names="Omar", surname="Karimi", bsn="111222448", nationality="AF",
        date_of_birth=date(1987, 10, 3), language=Language.DUTCH,
        state="period ends in about 3 months, may ask for extra time",
        description="Obliged under WI2021 in Utrecht; his integration period ends in about 3 "
                    "months and his speaking exam and the MAP are still open, so he got the "
                    "reminder and may ask for extra time in Mijn Inburgering; DUO decides on it "
                    "from its list of requests for more time.",
        bsn_assigned=days_ago(1120),
        permit=Permit(26, PurposeOfStay.ASYLUM, decided=days_ago(1110), valid_from=days_ago(1200)),
        municipality="GM0344", registered=days_ago(1100),
        decision=_obliged(Regime.WI2021, days_ago(1100)),
        letter=LETTER_ISSUED,
        pip_days_ago=3 * 365 - 100,
        passed=(("reading", 200), ("listening", 200), ("writing", 150), ("knm", 150), ("pvt", 500)),
    ),
    Persona(
        key="not_obliged",
        given_names="Katarzyna", surname="Nowak", bsn="111222412", nationality="PL",
        date_of_birth=date(1996, 4, 21), language=Language.ENGLISH,
        state="not obliged (EU national)",
        description="A Polish national living here under EU law: not obliged, no letter.",
        bsn_assigned=days_ago(150),
        permit=Permit(28, PurposeOfStay.EMPLOYMENT, decided=days_ago(160), valid_from=days_ago(160)),
        municipality="GM0599", registered=days_ago(150),
        decision=FROM_REGISTRY,
    ),
)


def persona_by_key(key: str) -> Persona:
    return next(persona for persona in PERSONAS if persona.key == key)


def ensure_municipalities() -> dict[str, Municipality]:
    """The demo municipalities with their contact details; a detail an administrator has
    changed in the admin since is kept, one left empty is filled in."""
    found = {}
    for code, name in MUNICIPALITIES.items():
        municipality, _ = Municipality.objects.update_or_create(code=code, defaults={"name": name})
        empty = {field: value for field, value in MUNICIPAL_CONTACTS[code].items()
                 if not getattr(municipality, field)}
        address_fields = {"visiting": ("visiting_street", "visiting_postcode", "visiting_town"),
                          "postal": ("postal_address", "postal_postcode", "postal_town")}
        for fields in address_fields.values():
            if any(getattr(municipality, field) for field in fields):
                for field in fields:  # an address is filled in whole or kept whole
                    empty.pop(field, None)
        if empty:
            for field, value in empty.items():
                setattr(municipality, field, value)
            municipality.save(update_fields=list(empty))
        found[code] = municipality
    return found


def ensure_email(newcomer: Newcomer, persona: Persona) -> None:
    """Give a persona made before the demo had e-mail addresses its address (kept if set)."""
    if not newcomer.email:
        Newcomer.objects.filter(pk=newcomer.pk, email="").update(email=persona.email)
        newcomer.email = persona.email


def create_persona(persona: Persona, today: date, duo_officer, municipalities) -> Newcomer:
    """Record a persona's facts in one transaction, in the order the registries would send them.

    A persona whose letter must stay queued gets that letter just before its last fact: the
    letters app then finds a start-date letter on its way and queues no second one. It is the
    state after a queue message got lost, which the sweep repairs.
    """
    with transaction.atomic():
        newcomer = Newcomer.objects.create(
            given_names=persona.given_names, surname=persona.surname,
            date_of_birth=persona.date_of_birth, nationality=persona.nationality,
            preferred_language=persona.language, email=persona.email,
        )
        services.record_bsn(newcomer, persona.bsn, persona.bsn_assigned(today))
        permit = persona.permit
        decided = permit.decided(today)
        valid_from = permit.valid_from(today)
        services.record_permit(
            newcomer, residence_title=permit.residence_title, purpose=permit.purpose,
            decision_date=decided, valid_from=valid_from,
            valid_until=rules.add_years(valid_from, permit.valid_years),
        )
        if persona.municipality:
            street, postcode, town = _ADDRESSES[persona.municipality]
            services.record_registration(
                newcomer, municipality=municipalities[persona.municipality], street=street,
                house_number=str(10 + PERSONAS.index(persona)), postcode=postcode, town=town,
                registered_on=persona.registered(today),
            )
        if persona.decision == FROM_REGISTRY:
            services.derive_decision_from_registry(newcomer, on=decided)
        elif isinstance(persona.decision, Decision):
            decision = persona.decision
            if persona.letter == LETTER_HELD_QUEUED:
                hold_start_letter_in_queue(newcomer, decision.regime, queued_on=decision.decided(today))
            services.record_decision(
                newcomer, regime=decision.regime, outcome=decision.outcome, reason=decision.reason,
                decided_on=decision.decided(today), decided_by=duo_officer,
            )
    if persona.intake_in_working_days is not None:
        ensure_planned_intake(newcomer, persona, today)
    if persona.pip_days_ago is not None:
        record_route(newcomer, persona, today, duo_officer)
    return newcomer


def record_route(newcomer: Newcomer, persona: Persona, today: date, duo_officer) -> None:
    """The persona's way along the route: an attended interview, the first PIP (B1-route) and
    the results DUO recorded, through the services the officer's and DUO's pages use."""
    registration = newcomer.current_registration(today)
    officer = _demo_officer(registration.municipality)
    held_on = today - timedelta(days=persona.pip_days_ago + 14)
    starts = timezone.make_aware(datetime.combine(held_on, INTAKE_FROM))
    interview = intakes.schedule(newcomer=newcomer, municipality=registration.municipality,
                                 kind=IntakeKind.INTERVIEW, starts_at=starts,
                                 ends_at=starts + intakes.DEFAULT_DURATION[IntakeKind.INTERVIEW],
                                 location=INTAKE_LOCATION, officer=officer)
    intakes.record_outcome(interview, attended=True)
    route = plans.plan_defaults(Route.B1)
    plans.write_first_plan(newcomer, plan_date=today - timedelta(days=persona.pip_days_ago), route=Route.B1,
                           exams=route.exams, pvt_required=route.pvt_required, map_required=route.map_required,
                           written_by=officer)
    for component, days in persona.passed:
        results.record_result(newcomer, component=component, taken_on=today - timedelta(days=days),
                              outcome=ResultOutcome.PASSED, recorded_by=duo_officer)


INTAKE_LOCATION = "Stadskantoor, spreekkamer 2.14"
INTAKE_FROM = time(10, 0)  # the first time tried on the intake day


def _working_days_ahead(today: date, days: int) -> date:
    """The working day `days` working days from today; negative counts back."""
    day, step = today, (1 if days >= 0 else -1)
    days = abs(days)
    while days > 0:
        day += timedelta(days=step)
        if day.weekday() < 5:
            days -= 1
    return day


def _demo_officer(municipality):
    """The municipality's demo officer account (made by `staff.ensure_staff_account`)."""
    emails = [a.email for a in STAFF_ACCOUNTS if a.municipality_code == municipality.code]
    return municipality.officers.get(email__in=emails, role=Role.MUNICIPAL_OFFICER)


def ensure_planned_intake(newcomer: Newcomer, persona: Persona, today: date) -> IntakeAppointment:
    """The persona's brede intake interview, planned through the scheduling service with the demo
    officer of the persona's municipality, `intake_in_working_days` ahead at the first free time
    from 10:00 that leaves the notice period (or, when negative, held that many working days ago
    at 10:00, its outcome still to record). One still to come gets its invitation letter and
    e-mail, as the officer's planning page sends them. An interview that is already there is
    kept, so a second run adds nothing."""
    interviews = newcomer.intakes.filter(kind=IntakeKind.INTERVIEW)
    if persona.intake_in_working_days >= 0:
        interviews = interviews.filter(status=IntakeStatus.PLANNED, starts_at__gte=timezone.now())
    if (existing := interviews.first()) is not None:
        return existing  # an interview held before stays, whatever the officer recorded since
    registration = newcomer.current_registration(today)
    officer = _demo_officer(registration.municipality)
    duration = intakes.DEFAULT_DURATION[IntakeKind.INTERVIEW]
    day = _working_days_ahead(today, persona.intake_in_working_days)
    after = timezone.make_aware(datetime.combine(day, INTAKE_FROM))
    if persona.intake_in_working_days < 0:
        # Held in the past, waiting for its outcome: the service books it as the officer's
        # form would have when it was still ahead.
        return intakes.schedule(newcomer=newcomer, municipality=registration.municipality,
                                kind=IntakeKind.INTERVIEW, starts_at=after, ends_at=after + duration,
                                location=INTAKE_LOCATION, officer=officer)
    (slot, *_) = intakes.free_slots(municipality=registration.municipality, officer=officer,
                                    location=INTAKE_LOCATION, duration=duration, after=after, count=1)
    with transaction.atomic():
        appointment = intakes.schedule(newcomer=newcomer, municipality=registration.municipality,
                                       kind=IntakeKind.INTERVIEW, starts_at=slot.starts_at, ends_at=slot.ends_at,
                                       location=INTAKE_LOCATION, officer=officer)
        # As the officer's planning page does: the invitation letter, and after commit its e-mail
        # (kept in the demo's mailbox, /dev/e-mail/).
        invitations.request_intake_invitation(appointment)
    return appointment


def case_state_label(newcomer: Newcomer, today: date, letter_status: str | None = None) -> str:
    """A one-line account of where a case stands by its status, for the summary table."""
    status = case_facts.status_for(newcomer.pk, today)
    label = f"{status.phase.label}"
    if status.decision is not None:
        label = f"{status.decision.regime}: {label}"
    if status.phase == CasePhase.WAITING:
        return f"{label} (missing: {', '.join(status.missing_conditions)})"
    if status.expected_by is not None and status.letter is None:
        label += f", letter expected by {status.expected_by:%Y-%m-%d}"
        if status.overdue:
            label += f", {status.days_overdue} days overdue"
        if letter_status:
            label += f" (letter {letter_status})"
    if status.letter is not None:
        label += f", letter issued {status.letter.issued_on:%Y-%m-%d}"
    return label
