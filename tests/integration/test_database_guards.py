"""Every database guard refuses the write it exists for, on PostgreSQL, whatever code sends it.

One case per guard declared on a model (check, unique and exclusion constraints, triggers). The
last tests hold the list complete: a guard added to a model without a case here fails them, and
so does a guard a migration forgot to install.
"""

import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from integration.models import (
    ExtensionRequest,
    IntakeStatus,
    Municipality,
    MunicipalRegistration,
    ObligationDecision,
    ResidencePermit,
    Result,
)
from letters.models import (
    FROZEN_ONCE_ISSUED,
    MAY_CHANGE_AFTER_ISSUE,
    EmailKind,
    Letter,
    LetterKind,
    LetterStatus,
    OutgoingEmail,
)
from portal.audit.models import AuditAction, AuditRecord
from tests.portal import newcomer_cases as cases

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(connection.vendor != "postgresql",
                                                        reason="the guards are PostgreSQL's")]

GUARDED_APPS = ("accounts", "integration", "letters", "audit")


class World:
    """One person with everything a guard protects: permit, registration, decision, intake,
    plan, an issued start-date letter, an audit record; valid, so each case breaks one thing."""

    def __init__(self):
        self.person = cases.ready()
        self.municipality = Municipality.objects.get(code="GM0344")
        self.officer = cases.officer(self.municipality)
        self.intake = cases.intake(self.person, on=cases.days_from_now(5))
        self.plan = cases.plan(self.person, on=cases.days_ago(1))
        self.letter = cases.issue_start_letter(self.person)
        self.audit = AuditRecord.objects.create(actor=self.officer, newcomer=self.person, action=AuditAction.VIEW,
                                                what="person page")

    def result(self, **values):
        return Result.objects.create(**{"newcomer": self.person, "component": "knm", "taken_on": cases.days_ago(1),
                                        "outcome": "passed", **values})

    def extension(self, **values):
        return ExtensionRequest.objects.create(**{
            "newcomer": self.person, "reason": "illness", "explanation": "x", "requested_on": cases.days_ago(0),
            "period_last_day": cases.days_from_now(30), **values})

    def update(self, instance, **values):
        type(instance).objects.filter(pk=instance.pk).update(**values)

    def user(self, **values):
        return get_user_model().objects.create(username=f"guard-{values.get('role')}",
                                               **{"role": "duo_staff", **values})

    def copy(self, instance, **values):
        """A second row like `instance`, with `values` changed."""
        model = type(instance)
        fields = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields
                  if not f.primary_key and not f.unique}
        return model.objects.create(**{**fields, **values})


def one_digit_off(bsn: str) -> str:
    """Nine digits, not zero, but the 11-check fails: the last digit moved by one."""
    return bsn[:8] + str((int(bsn[8]) + 1) % 10)


GUARD_CASES = {
    # accounts
    "user_role_valid": lambda w: w.user(role="superhero"),
    "user_officer_has_municipality": lambda w: w.user(role="municipal_officer", municipality=None),
    "user_only_officers_have_municipality": lambda w: w.user(role="duo_staff", municipality=w.municipality),
    "user_newcomer_digid_only": lambda w: w.user(role="newcomer", password="pbkdf2_sha256$x"),
    # integration: municipality
    "municipality_code_format": lambda w: w.update(w.municipality, code="0344"),
    "municipality_visiting_address_complete": lambda w: w.update(
        w.municipality, visiting_street="Stadsplateau 1", visiting_postcode="", visiting_town="Utrecht"),
    "municipality_postal_address_complete": lambda w: w.update(
        w.municipality, postal_address="Postbus 16200", postal_postcode="3500 CE", postal_town=""),
    # newcomer
    "newcomer_bsn_nine_digits": lambda w: w.update(w.person, bsn="10000001"),  # eight digits that pass the 11-check
    "newcomer_bsn_not_zero": lambda w: w.update(w.person, bsn="000000000"),
    "newcomer_bsn_eleven_check": lambda w: w.update(w.person, bsn=one_digit_off(w.person.bsn)),
    "newcomer_bsn_with_date": lambda w: w.update(w.person, bsn_assigned_on=None),
    "newcomer_ready_needs_conditions": lambda w: w.update(w.person, conditions_met_on=None),
    "newcomer_phase_valid": lambda w: w.update(w.person, case_phase="finished_somehow"),
    # permits, registrations, decisions
    "permit_valid_until_after_from": lambda w: ResidencePermit.objects.filter(newcomer=w.person).update(
        valid_until=F("valid_from") - timedelta(days=1)),
    "permit_article_valid": lambda w: ResidencePermit.objects.filter(newcomer=w.person).update(article="99"),
    "permit_purpose_valid": lambda w: ResidencePermit.objects.filter(newcomer=w.person).update(purpose="HOLIDAY"),
    "permit_residence_title_valid": lambda w: ResidencePermit.objects.filter(newcomer=w.person).update(
        residence_title=99),
    "registration_postcode_format": lambda w: MunicipalRegistration.objects.filter(newcomer=w.person).update(
        postcode="3511 SS"),
    "registration_deregistered_after_registered": lambda w: MunicipalRegistration.objects.filter(
        newcomer=w.person).update(deregistered_on=F("registered_on") - timedelta(days=1)),
    "decision_regime_valid": lambda w: ObligationDecision.objects.filter(newcomer=w.person).update(regime="WI2030"),
    "decision_outcome_valid": lambda w: ObligationDecision.objects.filter(newcomer=w.person).update(outcome="MAYBE"),
    "decision_reason_valid": lambda w: ObligationDecision.objects.filter(newcomer=w.person).update(reason="WHIM"),
    "decision_voluntary_not_obliged": lambda w: ObligationDecision.objects.filter(newcomer=w.person).update(
        regime="VOLUNTARY", outcome="OBLIGED"),
    "decision_staff_has_author": lambda w: ObligationDecision.objects.filter(newcomer=w.person).update(
        source="DUO_STAFF", decided_by=None),
    # intakes and plans
    "intake_ends_after_start": lambda w: w.update(w.intake, ends_at=F("starts_at")),
    "intake_kind_valid": lambda w: w.update(w.intake, kind="PARTY"),
    "intake_status_valid": lambda w: w.update(w.intake, status="postponed"),
    "intake_calendar_version_unique": lambda w: w.copy(w.intake, status=IntakeStatus.CANCELLED),
    "intake_one_planned_per_calendar_event": lambda w: w.copy(
        w.intake, calendar_sequence=w.intake.calendar_sequence + 1, location="another room",
        starts_at=w.intake.starts_at + timedelta(days=30), ends_at=w.intake.ends_at + timedelta(days=30)),
    "intake_officer_not_double_booked": lambda w: w.copy(
        w.intake, newcomer_id=cases.ready("Yonas", "Berhe").pk, calendar_uid=uuid.uuid4(),
        location="another room", starts_at=w.intake.starts_at + timedelta(minutes=30),
        ends_at=w.intake.ends_at + timedelta(minutes=30)),
    "intake_room_not_double_booked": lambda w: w.copy(
        w.intake, newcomer_id=cases.ready("Yonas", "Berhe").pk, calendar_uid=uuid.uuid4(),
        officer_id=w.user(role="municipal_officer", municipality=w.municipality).pk,
        starts_at=w.intake.starts_at + timedelta(minutes=30), ends_at=w.intake.ends_at + timedelta(minutes=30)),
    "pip_one_first_plan_per_newcomer": lambda w: w.copy(w.plan),
    "pip_route_valid": lambda w: w.update(w.plan, route="SCENIC"),
    # results and extension requests
    "result_component_valid": lambda w: w.result(component="cooking"),
    "result_outcome_valid": lambda w: w.result(outcome="maybe"),
    "result_source_valid": lambda w: w.result(source="rumour"),
    "result_external_id_unique": lambda w: [w.result(external_id="EX-1", source="exam_import") for _ in range(2)],
    "result_import_has_external_id": lambda w: w.result(source="exam_import", external_id=""),
    "extension_reason_valid": lambda w: w.extension(reason="boredom"),
    "extension_status_valid": lambda w: w.extension(status="pending"),
    "extension_one_open_request": lambda w: [w.extension() for _ in range(2)],
    "extension_decision_complete": lambda w: w.extension(status="granted", decided_on=cases.days_ago(0),
                                                         new_last_day=cases.days_ago(1)),
    # letters
    "letter_one_start_date_letter_per_obligation": lambda w: Letter.objects.create(
        kind=LetterKind.START_DATE, newcomer=w.person, regime=w.letter.regime),
    "letter_one_correction_per_letter": lambda w: [Letter.objects.create(
        kind=LetterKind.START_DATE, newcomer=w.person, regime=w.letter.regime, corrects=w.letter) for _ in range(2)],
    "letter_one_invitation_per_appointment": lambda w: [Letter.objects.create(
        kind=LetterKind.INTAKE_INVITATION, newcomer=w.person, regime=w.letter.regime, intake=w.intake)
        for _ in range(2)],
    "letter_one_period_letter_per_person": lambda w: [Letter.objects.create(
        kind=LetterKind.PERIOD, newcomer=w.person, regime=w.letter.regime) for _ in range(2)],
    "letter_one_fulfilment_letter_per_obligation": lambda w: [Letter.objects.create(
        kind=LetterKind.FULFILMENT, newcomer=w.person, regime=w.letter.regime) for _ in range(2)],
    "letter_one_decision_letter_per_request": lambda w: [Letter.objects.create(
        kind=LetterKind.EXTENSION_DECISION, newcomer=w.person, regime=w.letter.regime, extension=request)
        for request in [w.extension()] * 2],
    "letter_one_per_period_end": lambda w: [Letter.objects.create(
        kind=LetterKind.REMINDER, newcomer=w.person, regime=w.letter.regime, period_end=cases.days_from_now(90))
        for _ in range(2)],
    "letter_decision_has_request": lambda w: Letter.objects.create(
        kind=LetterKind.EXTENSION_DECISION, newcomer=w.person, regime=w.letter.regime),
    "letter_period_end_given": lambda w: Letter.objects.create(
        kind=LetterKind.PERIOD_ENDED, newcomer=w.person, regime=w.letter.regime),
    "letter_invitation_has_appointment": lambda w: Letter.objects.create(
        kind=LetterKind.INTAKE_INVITATION, newcomer=w.person, regime=w.letter.regime),
    "letter_status_valid": lambda w: Letter.objects.create(kind=LetterKind.PERIOD, newcomer=cases.ready("Yonas"),
                                                           regime=w.letter.regime, status="lost"),
    "letter_kind_valid": lambda w: w.update(Letter.objects.create(kind=LetterKind.PERIOD, newcomer=w.person,
                                                                  regime=w.letter.regime), kind="POSTCARD"),
    "letter_issued_has_document": lambda w: Letter.objects.create(
        kind=LetterKind.PERIOD, newcomer=cases.ready("Yonas"), regime=w.letter.regime, status=LetterStatus.ISSUED),
    # Raw SQL: the ORM would stop first at the letter's protected history.
    "issued_letter_not_deleted": lambda w: connection.cursor().execute("DELETE FROM letters_letter WHERE id = %s",
                                                                       [w.letter.pk]),
    "issued_letter_not_changed": lambda w: w.update(w.letter, start_date=w.letter.start_date + timedelta(days=1)),
    # the e-mail outbox
    "outgoing_email_once_per_letter": lambda w: [OutgoingEmail.objects.create(
        kind=EmailKind.NEW_LETTER, letter=w.letter) for _ in range(2)],
    "outgoing_email_once_per_appointment": lambda w: [OutgoingEmail.objects.create(
        kind=EmailKind.INTAKE_CANCELLATION, appointment=w.intake) for _ in range(2)],
    "outgoing_email_status_valid": lambda w: OutgoingEmail.objects.create(kind=EmailKind.NEW_LETTER, status="lost"),
    # audit
    "audit_record_append_only": lambda w: AuditRecord.objects.filter(pk=w.audit.pk).update(
        what=Concat(F("what"), Value(" (edited)"))),
}

# How PostgreSQL names the guard in its refusal, where that is not the guard's own name.
REFUSAL_MESSAGE = {
    "issued_letter_not_deleted": r"issued letter \S+ cannot be deleted",
    "issued_letter_not_changed": r"issued letter \S+ cannot be changed; issue a correction instead",
    "audit_record_append_only": r"the audit trail is append-only",
}


@pytest.fixture
def world():
    return World()


@pytest.mark.parametrize("guard", sorted(GUARD_CASES))
def test_the_database_refuses_the_write_the_guard_exists_for(world, guard):
    with pytest.raises(IntegrityError, match=REFUSAL_MESSAGE.get(guard, guard)), transaction.atomic():
        GUARD_CASES[guard](world)


def test_an_issued_letter_still_records_that_its_email_went_out(world):
    """The guard freezes what was sent, not the bookkeeping around it."""
    Letter.objects.filter(pk=world.letter.pk).update(email_sent_at=world.letter.issued_at)
    world.letter.refresh_from_db()
    assert world.letter.email_sent_at == world.letter.issued_at


def test_an_audit_record_is_still_written(world):
    AuditRecord.objects.create(actor=world.officer, newcomer=world.person, action=AuditAction.VIEW, what="letters")
    assert AuditRecord.objects.filter(newcomer=world.person).count() == 2


def declared_guards() -> dict[str, str]:
    """Every guard the models declare: name → kind."""
    found = {}
    for label in GUARDED_APPS:
        for model in apps.get_app_config(label).get_models():
            found.update({c.name: "constraint" for c in model._meta.constraints})
            found.update({t.name: "trigger" for t in getattr(model._meta, "triggers", [])})
    return found


def test_every_declared_guard_has_a_case_here():
    assert set(declared_guards()) == set(GUARD_CASES)


def test_every_declared_guard_is_installed_in_the_database():
    with connection.cursor() as cursor:
        # A unique constraint with a condition is a unique index in PostgreSQL.
        cursor.execute("SELECT conname FROM pg_constraint UNION SELECT indexname FROM pg_indexes")
        constraints = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {name for (name,) in cursor.fetchall()}
    missing = [name for name, kind in declared_guards().items()
               if (kind == "constraint" and name not in constraints)
               or (kind == "trigger" and not any(t.startswith(f"pgtrigger_{name}_") for t in triggers))]
    assert missing == []


def test_each_letter_field_is_either_frozen_once_issued_or_allowed_to_change():
    fields = {f.name for f in Letter._meta.concrete_fields}
    assert set(FROZEN_ONCE_ISSUED) | set(MAY_CHANGE_AFTER_ISSUE) == fields
    assert not set(FROZEN_ONCE_ISSUED) & set(MAY_CHANGE_AFTER_ISSUE)


def test_the_old_hand_written_guards_are_gone():
    """The declared triggers replaced the hand-written ones: one refusal each, not two."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname IN "
                       "('letters_issued_letter_is_immutable', 'audit_record_is_append_only')")
        assert cursor.fetchall() == []
