"""Synthetic newcomers for benchmarks, as plain rows ready for COPY or a bulk insert.

The mix follows what a running portal holds: most people have their start-date letter, some
wait for a condition, some are ready with a letter in the queue and a few are overdue. People
obliged under the 2021 act go on to the brede intake and the PIP as far as the time since their
letter allows, so the municipal work list holds every stage (`RowFactory._brede_intake`). Facts
are drawn at random (seeded); the decision is what the registry feed derives from them
(`case_status.registry_decision`) and the derived case columns are the SQL mirror of the
person's `case_status` (`mirror_columns`), so the rows are what the services would have stored.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter

from django.utils import timezone

from integration import rules
from integration.case_status import (
    CaseFacts,
    CaseStatus,
    DecisionRecord,
    IntakeRecord,
    PermitRecord,
    PlanRecord,
    RegistrationRecord,
    StatedLetter,
    case_status,
    mirror_columns,
    registry_decision,
)
from integration.choices import DecisionSource, Language, PurposeOfStay, Regime, Route
from integration.models import IntakeKind, IntakeStatus
from integration.names import searchable_name
from letters.models import KIND_REFERENCE_CODE, LetterKind, LetterStatus

# The stored case state of a newcomer: the keys of `case_status.mirror_columns`, in this order.
MIRROR_COLUMNS = (
    "conditions_met_on", "ready_on", "letter_clock_on", "start_letter_issued_on", "start_letter_owed",
    "obligation_start_on", "obligation_number", "case_regime", "case_phase", "start_letter_needs_correction",
    "current_municipality_id", "municipal_stage", "pip_due_on", "case_review_on", "fulfilled_on", "period_last_day",
)
# What the issued start-date letter stated, as the letters app records it when it issues one.
ISSUED_LETTER_COLUMNS = (
    "issued_letter_date", "issued_letter_start_date", "issued_letter_regime", "issued_letter_obligation",
    "correction_requested",
)
# Column order of every table, by Django attname. The writer checks these against the models,
# so a field added later fails loudly instead of loading rows without it.
NEWCOMER_COLUMNS = (
    "id", "public_id", "given_names", "surname", "name_search", "date_of_birth", "nationality",
    "preferred_language", "email", "bsn", "bsn_assigned_on", *MIRROR_COLUMNS, *ISSUED_LETTER_COLUMNS,
    "start_letter_requested", "created_at", "updated_at",
)
PERMIT_COLUMNS = (
    "id", "newcomer_id", "residence_title", "article", "purpose", "decision_date", "valid_from",
    "valid_until", "withdrawn_on", "created_at",
)
REGISTRATION_COLUMNS = (
    "id", "newcomer_id", "municipality_id", "street", "house_number", "postcode", "town",
    "registered_on", "deregistered_on", "moved_abroad", "created_at",
)
DECISION_COLUMNS = (
    "id", "newcomer_id", "regime", "outcome", "reason", "note", "decided_on", "source",
    "regime_override_reason", "decided_by_id", "created_at",
)
LETTER_COLUMNS = (
    "id", "public_id", "kind", "newcomer_id", "obligation_number", "regime", "reference", "status", "corrects_id",
    "start_date", "letter_date", "attempts", "last_error", "cancel_reason", "pdf", "sha256",
    "page_count", "queued_at", "rendering_started_at", "issued_at", "email_sent_at", "updated_at",
    "intake_id", "extension_id", "period_end",
)
INTAKE_COLUMNS = (
    "id", "public_id", "newcomer_id", "municipality_id", "kind", "starts_at", "ends_at", "location", "officer_id",
    "status", "invitation_sent_at", "calendar_uid", "calendar_sequence", "cancellation_sent_at", "outcome_notes",
    "created_at", "updated_at",
)
PLAN_COLUMNS = (
    "id", "newcomer_id", "plan_date", "route", "exams", "pvt_required", "map_required", "revision_of_id",
    "written_by_id", "created_at",
)

# What the letters of load data point to: no file exists, the hash is of nothing in particular.
PLACEHOLDER_SHA256 = "0" * 63 + "1"
SYNTHETIC_FAILURE = "RuntimeError: synthetic rendering failure (load data)"

# Where people end up, as fractions of all newcomers; the rest has an issued letter.
WAITING_FRACTION = 0.06
QUEUED_FRACTION = 0.07
DEFAULT_OVERDUE_FRACTION = 0.02
WI2013_SHARE_OF_ISSUED = 0.2

# The brede intake after the letter (WI2021, DOMAIN.md §5), in days: the interview one to six
# weeks after the letter, the learnability test up to two weeks later, the PIP one to five weeks
# after that. Some municipalities fall behind: a few people never got an intake, and of those
# whose interview still lies ahead some are not invited yet, so PIPs come due unwritten.
INTERVIEW_AFTER_LETTER = (7, 42)
TEST_AFTER_INTERVIEW = (1, 14)
PIP_AFTER_TEST = (7, 35)
NO_INTAKE_FRACTION = 0.04
NOT_YET_INVITED_FRACTION = 0.3
ROUTES = (Route.B1,) * 8 + (Route.EDUCATION, Route.Z)
# Appointments of an hour from 9.00, back to back: each officer has a room of their own, so
# neither an officer nor a room is ever booked twice at once.
INTAKE_FIRST_HOUR = 9
INTAKES_PER_OFFICER_DAY = 7

ISSUED, WAITING, QUEUED, OVERDUE = "issued", "waiting", "queued", "overdue"

_NO_LETTER_STATED = (None, None, "", None, False)  # ISSUED_LETTER_COLUMNS without an issued letter
_mirror_values = itemgetter(*MIRROR_COLUMNS)

# Nationals of these countries are obliged when the permit and purpose are (not EU/EEA/Swiss,
# not Turkish, whose obligation depends on the act).
_NATIONALITIES = ("SY", "ER", "AF", "MA", "IR", "IQ", "SO", "IN", "CN", "BR", "US", "NG", "YE", "SD")
_GIVEN_NAMES = ("Ahmad", "Fatima", "Mohammed", "Aisha", "Yonas", "Selam", "Omar", "Layla", "Dawit",
                "Meron", "Ali", "Zahra", "Hassan", "Noor", "Ravi", "Mei", "Lucas", "Amal", "Tesfay",
                "Hamid", "Sara", "Yusuf", "Mariam", "Abdi")
# Many surnames, each a small share of the people, so a name search picks out a few, as it does
# among real newcomers (a list of 20 names made every name a twentieth of the municipality).
_SURNAMES = ("Al-Hassan", "Tesfaye", "Ahmadi", "Haddad", "Yusuf", "Berhe", "Karimi", "El Idrissi",
             "Osman", "Rahimi", "Gebremedhin", "Hussein", "Singh", "Wang", "Silva", "Mahmoud",
             "Abdullah", "Mohammadi", "Kidane", "Farah", "Al-Khatib", "Darwish", "Nasser", "Saleh",
             "Ibrahim", "Mansour", "Kassem", "Habte", "Tekle", "Weldemariam", "Ghebreyesus", "Haile",
             "Mengistu", "Negash", "Amiri", "Hosseini", "Jafari", "Sadeghi", "Rezaei", "Azizi",
             "Noori", "Popal", "Stanekzai", "Wardak", "Benali", "Bouzid", "El Amrani", "Ouali",
             "Aziz", "Warsame", "Abdi", "Jama", "Hersi", "Patel", "Sharma", "Reddy", "Li", "Zhang",
             "Chen", "Liu", "Santos", "Oliveira", "Pereira", "Okafor", "Adeyemi", "Johnson", "Smith",
             "Al-Zubaidi", "Jassim", "Kareem", "Sabri", "Elamin", "Osman Ali", "Bakr", "Yilmaz",
             "Kaya", "Nowak", "Kowalski", "Popescu", "Ivanova")
# (residence title, purpose): non-temporary permits of type 8a or 8c.
_OBLIGED_PERMITS = ((26, PurposeOfStay.ASYLUM), (26, PurposeOfStay.ASYLUM), (21, PurposeOfStay.FAMILY),
                    (22, PurposeOfStay.HUMANITARIAN), (23, PurposeOfStay.OTHER_NON_TEMPORARY))
_POSTCODE_LETTERS = tuple(a + b for a in "ABCDEGHJKLMNPRTVWXZ" for b in "ABCDEGHJKLMNPRTVWXZ"
                          if a + b not in ("SA", "SD", "SS"))
_LANGUAGES = tuple(Language.values)


@dataclass(frozen=True)
class Place:
    municipality_id: int
    street: str
    postcode_digits: str
    town: str
    municipality_name: str = ""


@dataclass(frozen=True)
class Booking:
    """An intake appointment as drawn: the record the case status reads, and who holds it."""

    record: IntakeRecord
    municipality_id: int
    officer_id: int


@dataclass(frozen=True)
class BredeIntake:
    """How far a person got with the brede intake and the PIP (both empty: not invited yet)."""

    bookings: tuple[Booking, ...] = ()
    plan: PlanRecord | None = None
    written_by: int | None = None

    def with_facts(self, facts: CaseFacts) -> CaseFacts:
        return dataclasses.replace(facts, intakes=tuple(b.record for b in self.bookings),
                                   plans=(self.plan,) if self.plan else ())


NO_INTAKE = BredeIntake()


@dataclass
class Chunk:
    """The rows of one chunk, per table, plus how many ended up in each category."""

    newcomers: list[tuple] = field(default_factory=list)
    permits: list[tuple] = field(default_factory=list)
    registrations: list[tuple] = field(default_factory=list)
    decisions: list[tuple] = field(default_factory=list)
    letters: list[tuple] = field(default_factory=list)
    intakes: list[tuple] = field(default_factory=list)
    plans: list[tuple] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)


def load_reference(letter_id: int) -> str:
    """A unique reference for a load letter: `INB-SD-L…`.

    Built from the letter id, so unique across runs; the "L" is not in the alphabet of real
    references (letters.models.new_reference), so it never clashes with one the portal makes.
    """
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digits = []
    for _ in range(7):
        letter_id, remainder = divmod(letter_id, 32)
        digits.append(alphabet[remainder])
    if letter_id:
        raise ValueError("letter id too large for a load reference")
    code = "L" + "".join(reversed(digits))
    return f"INB-{KIND_REFERENCE_CODE[LetterKind.START_DATE]}-{code[:4]}-{code[4:]}"


def _working_day(day: date) -> date:
    """The day itself, or the Monday after when it falls in a weekend (no intakes then)."""
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=UTC)


class RowFactory:
    """Draws newcomers with their permits, registrations, decisions and letters."""

    def __init__(self, *, rng: random.Random, today: date, now: datetime, places: list[Place],
                 overdue_fraction: float, pension_ages: dict[int, tuple[int, int]],
                 officer_for: Callable[[int, int], int]):
        """`officer_for(municipality_id, number)` gives the user id of that municipality's
        officer number `number` (0, 1, …) of this run, creating the account when needed."""
        self.rng = rng
        self.today = today
        self.now = now
        self.places = places
        self.pension_ages = pension_ages
        self.officer_for = officer_for
        self.zone = timezone.get_default_timezone()
        self.booked: dict[tuple[int, date], int] = {}  # appointments per (municipality, day)
        self.plan_exams = {route: list(rules.route_requirements(route).exams) for route in set(ROUTES)}
        self.thresholds = []
        total = 0.0
        for category, fraction in ((OVERDUE, overdue_fraction), (WAITING, WAITING_FRACTION),
                                   (QUEUED, QUEUED_FRACTION)):
            total += fraction
            self.thresholds.append((total, category))
        if total >= 1:
            raise ValueError("the fractions of overdue, waiting and queued people leave no room for the rest")
        self.wi2021_days = (today - rules.WI2021_FIRST_DAY).days
        self.wi2013_days = (rules.WI2021_FIRST_DAY - rules.WI2013_FIRST_DAY).days

    def _category(self) -> str:
        draw = self.rng.random()
        for threshold, category in self.thresholds:
            if draw < threshold:
                return category
        return ISSUED

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def _dates(self, category: str) -> tuple[date, date, date | None]:
        """(permit decision, BSN assigned, registered on or None) for a category."""
        rng = self.rng
        if category == ISSUED:
            if rng.random() < WI2013_SHARE_OF_ISSUED:
                decided = rules.WI2013_FIRST_DAY + timedelta(days=rng.randrange(self.wi2013_days))
            else:
                decided = self._days_ago(30, max(30, self.wi2021_days))
            registered = decided + timedelta(days=rng.randint(0, 30))
        elif category == WAITING:
            decided, registered = self._days_ago(0, 120), None
        else:
            # Registration is the last condition: 0–55 days ago is within the 8 weeks, 57 or
            # more days ago is past them (rules.is_overdue).
            registered = self._days_ago(0, 55) if category == QUEUED else self._days_ago(57, 200)
            decided = registered - timedelta(days=rng.randint(0, 60))
        return decided, decided - timedelta(days=rng.randint(0, 30)), registered

    def _status(self, facts: CaseFacts) -> CaseStatus:
        return case_status(facts, self.today, now=self.now, pension_ages=self.pension_ages)

    def chunk(self, count: int, first_ids: dict[str, int], bsns) -> Chunk:
        rows = Chunk()
        rng, now, today = self.rng, self.now, self.today
        newcomer_id = first_ids["newcomer"]
        permit_id = first_ids["permit"]
        registration_id = first_ids["registration"]
        decision_id = first_ids["decision"]
        letter_id = first_ids["letter"]
        intake_id = first_ids["intake"]
        plan_id = first_ids["plan"]
        for _ in range(count):
            category = self._category()
            _, bsn = next(bsns)
            decided, bsn_on, registered = self._dates(category)
            date_of_birth = decided - timedelta(days=rng.randint(18 * 366, 60 * 365))
            nationality = rng.choice(_NATIONALITIES)
            title, purpose = rng.choice(_OBLIGED_PERMITS)
            valid_from = decided - timedelta(days=rng.randint(30, 180))
            valid_until = today + timedelta(days=rng.randint(180, 1800))  # renewed where needed
            permit = rules.PermitFacts(rules.vw_article_for_residence_title(title), purpose, decided,
                                       valid_from, valid_until)
            place = rng.choice(self.places) if registered else None
            registrations = (RegistrationRecord(
                registration_id, rules.RegistrationFacts(registered), place.municipality_id,
                place.municipality_name),) if place else ()
            facts = CaseFacts(date_of_birth=date_of_birth, nationality=nationality, bsn_assigned_on=bsn_on,
                              permits=(PermitRecord(permit_id, permit),), registrations=registrations)
            # What the registry feed derives (the 18th birthday, the AOW table), recorded on the
            # permit's decision date; the generated people are adults then, so it never changes.
            regime, outcome, reason = registry_decision(facts, today, self.pension_ages)
            facts = CaseFacts(date_of_birth=date_of_birth, nationality=nationality, bsn_assigned_on=bsn_on,
                              permits=facts.permits, registrations=registrations,
                              decisions=(DecisionRecord(decision_id, regime, outcome, reason, decided,
                                                        DecisionSource.REGISTRY_FEED),))

            letter, intake = None, NO_INTAKE
            if category == ISSUED:
                status, letter, intake = self._issued(facts, letter_id, newcomer_id)
            else:
                status = self._status(facts)
                if status.ready_on is not None and category != WAITING:
                    letter = self._unissued_letter(letter_id, newcomer_id, status, category)
            if letter is not None:
                rows.letters.append(letter)
                letter_id += 1
            actual = ISSUED if status.letter else (
                WAITING if status.conditions_met_on is None else OVERDUE if status.overdue else QUEUED)
            rows.categories[actual] = rows.categories.get(actual, 0) + 1

            stated = status.letter
            given_names, surname = rng.choice(_GIVEN_NAMES), rng.choice(_SURNAMES)
            rows.newcomers.append((
                newcomer_id, uuid.UUID(int=rng.getrandbits(128), version=4), given_names, surname,
                searchable_name(f"{given_names} {surname}"), date_of_birth, nationality, rng.choice(_LANGUAGES),
                f"nieuwkomer{newcomer_id}@example.org" if rng.random() < 0.6 else "",
                bsn, bsn_on, *_mirror_values(mirror_columns(status)),
                *((stated.issued_on, stated.start_date, stated.regime, stated.obligation_number,
                   stated.correction_requested) if stated else _NO_LETTER_STATED),
                letter is not None, now, now,
            ))
            rows.permits.append((permit_id, newcomer_id, title, permit.article, purpose, decided, valid_from,
                                 valid_until, None, now))
            if place:
                rows.registrations.append((
                    registration_id, newcomer_id, place.municipality_id, place.street,
                    str(rng.randint(1, 250)), f"{place.postcode_digits} {rng.choice(_POSTCODE_LETTERS)}",
                    place.town, registered, None, False, now,
                ))
                registration_id += 1
            rows.decisions.append((decision_id, newcomer_id, regime, outcome, reason, "", decided,
                                   DecisionSource.REGISTRY_FEED, "", None, now))
            for booking in intake.bookings:
                rows.intakes.append(self._intake_row(intake_id, newcomer_id, booking))
                intake_id += 1
            if intake.plan:
                plan = intake.plan
                rows.plans.append((plan_id, newcomer_id, plan.plan_date, plan.route, list(plan.exams),
                                   plan.pvt_required, plan.map_required, None, intake.written_by, now))
                plan_id += 1
            newcomer_id += 1
            permit_id += 1
            decision_id += 1
        return rows

    def _issued(self, facts: CaseFacts, letter_id: int,
                newcomer_id: int) -> tuple[CaseStatus, tuple | None, BredeIntake]:
        """The status of a person whose start-date letter was issued, that letter's row, and how
        far the person got with the brede intake since.

        The letter states what the status before it says (the ready date and the obligation's
        start, with the act of the decision), and the status with the letter is what gets stored.
        Those dates do not depend on the letter, so `_guess` works them out from the facts drawn
        and the one status computed confirms them: a person costs one `case_status` call instead
        of two. Should the rules see it otherwise, the status without the letter is computed and
        the letter follows that.
        """
        if not rules.letter_applies(facts.decisions[0].facts()) or not facts.registrations:
            return self._status(facts), None, NO_INTAKE
        ready, start = self._guess(facts)
        offset = self.rng.randint(0, 50)
        if ready <= self.today:
            status, intake = self._with_letter(facts, ready, start, offset)
            if status.ready_on == ready and status.start_date == start:
                return status, self._issued_letter(letter_id, newcomer_id, status), intake
        before = self._status(facts)
        if before.ready_on is None or before.start_date is None:
            return before, None, NO_INTAKE
        status, intake = self._with_letter(facts, before.ready_on, before.start_date, offset)
        return status, self._issued_letter(letter_id, newcomer_id, status), intake

    @staticmethod
    def _guess(facts: CaseFacts) -> tuple[date, date]:
        """(ready date, obligation start) of an obliged person as drawn: one permit that holds,
        one registration and a BSN, so the conditions hold from the last of their dates; the
        obligation starts on the permit's decision date or the 18th birthday (DOMAIN.md §8)."""
        permit = facts.permits[0].facts
        start = rules.obligation_start_for(permit, facts.date_of_birth)
        return max(facts.bsn_assigned_on, permit.decision_date, facts.registrations[0].facts.registered_on,
                   start), start

    def _with_letter(self, facts: CaseFacts, ready: date, start: date,
                     offset: int) -> tuple[CaseStatus, BredeIntake]:
        letter_date = min(self.today, ready + timedelta(days=offset))
        regime = facts.decisions[0].regime
        stated = StatedLetter(letter_date, start, regime)
        intake = self._brede_intake(facts, letter_date) if regime == Regime.WI2021 else NO_INTAKE
        return self._status(intake.with_facts(dataclasses.replace(facts, letter=stated))), intake

    def _brede_intake(self, facts: CaseFacts, letter_date: date) -> BredeIntake:
        """The intake interview, the learnability test and the first PIP of a person obliged
        under the 2021 act, each as far as the days since the letter reach: an appointment on a
        day still to come is planned, an earlier one was attended; the PIP is written once both
        parts are done. The first registration is where the person lives (one is drawn)."""
        rng, today = self.rng, self.today
        municipality_id = facts.registrations[0].municipality_id
        if rng.random() < NO_INTAKE_FRACTION:
            return NO_INTAKE
        interview_on = _working_day(letter_date + timedelta(days=rng.randint(*INTERVIEW_AFTER_LETTER)))
        if interview_on >= today and rng.random() < NOT_YET_INVITED_FRACTION:
            return NO_INTAKE
        bookings = [self._book(IntakeKind.INTERVIEW, interview_on, municipality_id)]
        if interview_on >= today:
            return BredeIntake(tuple(bookings))
        test_on = _working_day(interview_on + timedelta(days=rng.randint(*TEST_AFTER_INTERVIEW)))
        bookings.append(self._book(IntakeKind.LBT, test_on, municipality_id))
        plan_on = test_on + timedelta(days=rng.randint(*PIP_AFTER_TEST))
        if plan_on > today:
            return BredeIntake(tuple(bookings))
        route = rng.choice(ROUTES)
        plan = PlanRecord(0, plan_on, route, False, tuple(self.plan_exams[route]))
        return BredeIntake(tuple(bookings), plan, bookings[0].officer_id)

    def _book(self, kind: str, day: date, municipality_id: int) -> Booking:
        """The next free hour on `day` in the municipality: officers fill their days in turn."""
        taken = self.booked.get((municipality_id, day), 0)
        self.booked[(municipality_id, day)] = taken + 1
        officer_number, hour = divmod(taken, INTAKES_PER_OFFICER_DAY)
        officer_id = self.officer_for(municipality_id, officer_number)
        starts_at = datetime.combine(day, time(INTAKE_FIRST_HOUR + hour), tzinfo=self.zone)
        status = IntakeStatus.PLANNED if day >= self.today else IntakeStatus.COMPLETED
        record = IntakeRecord(0, kind, status, starts_at, starts_at + timedelta(hours=1),
                              f"Spreekkamer L{officer_id}")
        return Booking(record, municipality_id, officer_id)

    def _intake_row(self, intake_id: int, newcomer_id: int, booking: Booking) -> tuple:
        intake = booking.record
        rng = self.rng
        return (intake_id, uuid.UUID(int=rng.getrandbits(128), version=4), newcomer_id, booking.municipality_id,
                intake.kind, intake.starts_at, intake.ends_at, intake.location, booking.officer_id, intake.status,
                None, uuid.UUID(int=rng.getrandbits(128), version=4), 0, None, "", self.now, self.now)

    def _issued_letter(self, letter_id: int, newcomer_id: int, status: CaseStatus) -> tuple:
        """The row of the issued start-date letter `status.letter` describes."""
        stated = status.letter
        reference = load_reference(letter_id)
        queued_at = _morning(status.ready_on)
        issued_at = _morning(stated.issued_on) + timedelta(minutes=5)
        return (letter_id, uuid.UUID(int=self.rng.getrandbits(128), version=4), LetterKind.START_DATE, newcomer_id,
                stated.obligation_number, stated.regime, reference, LetterStatus.ISSUED, None, stated.start_date,
                stated.issued_on, 1, "", "", f"load/{reference}.pdf", PLACEHOLDER_SHA256, 1, queued_at,
                _morning(stated.issued_on), issued_at, None, issued_at, None, None, None)

    def _unissued_letter(self, letter_id: int, newcomer_id: int, status: CaseStatus, category: str) -> tuple:
        """A ready person's start-date letter that is not out yet: queued, or (for half of the
        overdue people) failed to render. Rendering stamps the date, start date and act."""
        reference = load_reference(letter_id)
        queued_at = _morning(status.ready_on)
        public_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        regime = status.decision.regime
        number = status.obligation.number
        if category == OVERDUE and letter_id % 2:
            # Half of the overdue letters failed to render; the other half got lost in the queue.
            failed_at = queued_at + timedelta(minutes=3)
            return (letter_id, public_id, LetterKind.START_DATE, newcomer_id, number, regime, reference,
                    LetterStatus.FAILED, None, status.start_date, status.ready_on, 3, SYNTHETIC_FAILURE, "", "",
                    "", None, queued_at, queued_at, None, None, failed_at, None, None, None)
        return (letter_id, public_id, LetterKind.START_DATE, newcomer_id, number, regime, reference,
                LetterStatus.QUEUED, None, None, None, 0, "", "", "", "", None, queued_at, None, None,
                None, queued_at, None, None, None)
