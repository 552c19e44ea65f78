"""`manage.py generate_load_data`: synthetic newcomers a benchmark can trust — valid and unique
BSNs, the mix asked for, and derived columns the rules agree with."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone
from stdnum.nl import bsn as stdnum_bsn

from integration import case_facts, rules, services
from integration.case_status import MunicipalStage, mirror_columns
from integration.choices import PurposeOfStay, Regime
from integration.models import (
    IntakeAppointment,
    IntakeKind,
    IntakeStatus,
    MunicipalRegistration,
    Newcomer,
    ObligationDecision,
    PersonalPlan,
    ResidencePermit,
)
from letters.models import Letter, LetterKind, LetterStatus, new_reference
from portal.demo.bsn import LOAD_FIRST_BSN
from portal.demo.load_rows import RowFactory, load_reference

pytestmark = pytest.mark.django_db

N = 2000


def generate(newcomers, **options):
    out = StringIO()
    call_command("generate_load_data", newcomers=newcomers, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def loaded():
    # Small chunks, so the run crosses chunk boundaries as a big one does.
    return generate(N, chunk_size=700)


def issued_letter_dates():
    return dict(Letter.objects.filter(kind=LetterKind.START_DATE, status=LetterStatus.ISSUED)
                .values_list("newcomer_id", "letter_date"))


def test_loads_n_newcomers_with_valid_unique_bsns(loaded):
    bsns = list(Newcomer.objects.values_list("bsn", flat=True))
    assert len(bsns) == N
    assert len(set(bsns)) == N
    assert all(stdnum_bsn.is_valid(bsn) and bsn >= LOAD_FIRST_BSN for bsn in bsns)
    assert "Loaded 2,000 newcomers" in loaded


def test_every_newcomer_has_a_permit_and_a_decision_and_most_a_registration(loaded):
    assert ResidencePermit.objects.count() == N
    assert ObligationDecision.objects.count() == N
    registered = MunicipalRegistration.objects.count()
    assert 0.9 * N < registered < N
    # Spread over several municipalities, not piled into one.
    per_municipality = MunicipalRegistration.objects.values("municipality").annotate(n=Count("id"))
    assert len(per_municipality) >= 4
    assert max(row["n"] for row in per_municipality) < registered / 2


def test_the_mix_is_mostly_issued_with_a_few_overdue(loaded):
    today = timezone.localdate()
    people = list(Newcomer.objects.values_list("conditions_met_on", "ready_on", "start_letter_issued_on"))
    issued = sum(1 for _, _, issued_on in people if issued_on)
    waiting = sum(1 for met, _, _ in people if met is None)
    overdue = sum(1 for _, ready, issued_on in people if rules.is_overdue(ready, issued_on, today))
    queued = N - issued - waiting - overdue
    assert 0.80 * N <= issued <= 0.90 * N
    assert 0.01 * N <= overdue <= 0.035 * N
    assert 0.03 * N <= waiting <= 0.09 * N
    assert 0.04 * N <= queued <= 0.10 * N


def test_derived_columns_agree_with_the_case_status_for_a_sample(loaded):
    """The SQL mirror of load data is what `case_status` makes of the stored facts, column by
    column, exactly as `services.refresh_case_state` would have stored it."""
    today = timezone.localdate()
    letter_dates = issued_letter_dates()
    letters = {letter.newcomer_id: letter for letter in Letter.objects.filter(status=LetterStatus.ISSUED)}
    sample = list(Newcomer.objects.order_by("id")[::37])
    assert len(sample) > 50
    # And the first person in each phase the load holds, so the rare ones are checked too.
    phases = set(Newcomer.objects.values_list("case_phase", flat=True))
    assert len(phases) >= 4
    sample += [Newcomer.objects.filter(case_phase=phase).order_by("id").first() for phase in sorted(phases)]
    # And the first person in each stage of the municipal work list (intakes and PIPs read too).
    stages = set(Newcomer.objects.exclude(municipal_stage="").values_list("municipal_stage", flat=True))
    sample += [Newcomer.objects.filter(municipal_stage=stage).order_by("id").first() for stage in sorted(stages)]
    for newcomer in sample:
        expected = mirror_columns(case_facts.status_for(newcomer.pk, today))
        stored = {name: getattr(newcomer, name) for name in expected}
        assert stored == expected, newcomer.pk
        assert newcomer.start_letter_issued_on == letter_dates.get(newcomer.id)
        # What the issued letter stated, as the letters app records it when it issues one.
        letter = letters.get(newcomer.id)
        assert (newcomer.issued_letter_date, newcomer.issued_letter_start_date, newcomer.issued_letter_regime,
                newcomer.issued_letter_obligation, newcomer.correction_requested) == (
            (letter.letter_date, letter.start_date, letter.regime, letter.obligation_number, False)
            if letter else (None, None, "", None, False))


def test_the_rows_follow_the_case_status_when_the_generators_guess_is_off(monkeypatch):
    """An issued letter states what the case status says, even where the generator's shortcut
    (guessing the ready date and start to compute one status per person) guessed wrong."""
    monkeypatch.setattr(RowFactory, "_guess", staticmethod(
        lambda facts: (facts.permits[0].facts.decision_date - timedelta(days=1),) * 2))
    generate(200, seed=3)
    today = timezone.localdate()
    letters = {letter.newcomer_id: letter for letter in Letter.objects.filter(status=LetterStatus.ISSUED)}
    assert len(letters) > 100
    for newcomer in Newcomer.objects.all():
        status = case_facts.status_for(newcomer.pk, today)
        assert {name: getattr(newcomer, name) for name in mirror_columns(status)} == mirror_columns(status)
        if newcomer.pk in letters:
            letter = letters[newcomer.pk]
            assert (letter.start_date, letter.regime) == (status.start_date, status.decision.regime)
            assert status.ready_on <= letter.letter_date == newcomer.start_letter_issued_on
            assert not status.needs_correction


def test_people_under_the_2021_act_are_at_every_stage_of_the_brede_intake(loaded):
    """The work list a benchmark times holds every stage, and each stage is what the intakes and
    PIPs stored say: attended appointments before the PIP, planned ones still to come."""
    today = timezone.localdate()
    stages = Counter(Newcomer.objects.exclude(municipal_stage="").values_list("municipal_stage", flat=True))
    assert set(stages) == set(MunicipalStage.values)
    assert stages[MunicipalStage.PIP_WRITTEN] > sum(stages.values()) / 2  # most letters went out long ago
    assert stages[MunicipalStage.INTAKE_PLANNED] >= 5 and stages[MunicipalStage.INTAKE_DONE] >= 5

    intakes = defaultdict(list)
    for appointment in IntakeAppointment.objects.select_related("officer"):
        intakes[appointment.newcomer_id].append(appointment)
        day = timezone.localtime(appointment.starts_at).date()
        assert day.weekday() < 5
        assert appointment.status == (IntakeStatus.PLANNED if day >= today else IntakeStatus.COMPLETED)
        # Held by an officer of the person's municipality, in a room of their own.
        assert appointment.officer.municipality_id == appointment.municipality_id
    people = Newcomer.objects.in_bulk(intakes)
    for newcomer_id, appointments in intakes.items():
        newcomer = people[newcomer_id]
        assert {a.municipality_id for a in appointments} == {newcomer.current_municipality_id}
        assert all(newcomer.start_letter_issued_on < a.starts_at.date() for a in appointments)
        assert newcomer.case_regime == Regime.WI2021
    plans = list(PersonalPlan.objects.all())
    assert len(plans) == stages[MunicipalStage.PIP_WRITTEN]
    for plan in plans:
        attended = sorted((a.kind, a.starts_at.date()) for a in intakes[plan.newcomer_id]
                          if a.status == IntakeStatus.COMPLETED)
        assert [kind for kind, _ in attended] == [IntakeKind.INTERVIEW, IntakeKind.LBT]
        assert all(day < plan.plan_date <= today for _, day in attended)
        assert plan.revision_of is None
        assert plan.exams == list(rules.route_requirements(plan.route).exams)  # as the PIP form proposes


def test_intakes_of_two_runs_never_book_an_officer_or_room_twice(django_user_model):
    """PostgreSQL refuses a double booking (exclusion constraints); a second run has its own
    officers, so both runs load."""
    generate(300, seed=1)
    generate(300, seed=1)
    booked = IntakeAppointment.objects.values("officer", "starts_at").annotate(n=Count("id"))
    assert booked and max(row["n"] for row in booked) == 1
    rooms = IntakeAppointment.objects.values("municipality", "location", "starts_at").annotate(n=Count("id"))
    assert max(row["n"] for row in rooms) == 1


def test_letters_match_the_state_of_their_person(loaded):
    today = timezone.localdate()
    letters = {letter.newcomer_id: letter for letter in Letter.objects.all()}
    assert len(letters) == Letter.objects.count()  # at most one start-date letter each
    for newcomer in Newcomer.objects.all():
        letter = letters.get(newcomer.id)
        if newcomer.ready_on is None:
            assert letter is None
        elif newcomer.start_letter_issued_on:
            assert letter.status == LetterStatus.ISSUED
            assert letter.pdf.name == f"load/{letter.reference}.pdf"
            assert letter.sha256 and letter.page_count and letter.issued_at
            assert newcomer.ready_on <= letter.letter_date <= today
        else:
            assert letter.status in (LetterStatus.QUEUED, LetterStatus.FAILED)
    # Overdue letters were queued on the ready date, long enough ago for the overdue list.
    overdue = Letter.objects.filter(status__in=[LetterStatus.QUEUED, LetterStatus.FAILED],
                                    newcomer__ready_on__lt=today - timedelta(days=56))
    assert overdue.exists()
    assert all(letter.queued_at.date() <= today - timedelta(days=56) for letter in overdue)


def test_runs_again_on_a_database_with_data(django_user_model):
    existing = Newcomer.objects.create(given_names="Amal", surname="Haddad", date_of_birth=date(1990, 5, 1),
                                       nationality="SY")
    services.record_bsn(existing, "111222333", date(2024, 1, 1))
    generate(300, seed=1)
    generate(300, seed=1)
    bsns = list(Newcomer.objects.values_list("bsn", flat=True))
    assert len(bsns) == len(set(bsns)) == 601
    assert len(set(Letter.objects.values_list("reference", flat=True))) == Letter.objects.count()

    # The portal's own writes still fit after the loads: ids, references and all.
    later = Newcomer.objects.create(given_names="Sam", surname="Nieuw", date_of_birth=date(1991, 2, 3),
                                    nationality="ER")
    services.record_permit(later, residence_title=26, purpose=PurposeOfStay.ASYLUM,
                           decision_date=date(2025, 1, 1), valid_from=date(2025, 1, 1))
    assert later.id > max(Newcomer.objects.exclude(pk=later.pk).values_list("id", flat=True))


def test_load_references_never_look_like_the_portals_own():
    assert load_reference(1) == "INB-SD-L000-0001"
    assert "L" not in new_reference(LetterKind.START_DATE)[len("INB-SD-"):]


def test_refuses_fractions_that_add_up_to_more_than_everyone():
    with pytest.raises(CommandError, match="fractions"):
        generate(10, overdue_fraction=0.9)
    assert not Newcomer.objects.exists()
